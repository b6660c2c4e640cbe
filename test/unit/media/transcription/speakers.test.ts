import { describe, expect, it } from 'vitest';
import { speechEndOf, StreamClock } from '../../../../src/media/transcription/speakers.ts';
import { playSource } from '../../../../src/telephony/call-media.ts';

const result = (
  words: { offsetMs: number; durationMs: number }[],
  offsetMs?: number,
  durationMs?: number,
) => ({
  kind: 'result' as const,
  text: 'x',
  final: true,
  confidence: undefined,
  offsetMs,
  durationMs,
  words: words.map((w) => ({ text: 'w', ...w })),
  participantRawId: undefined,
});

describe("ACS's stream positions on this machine's clock", () => {
  it('ends speech at the last word, else at the end of the result', () => {
    expect(
      speechEndOf(
        result([
          { offsetMs: 100, durationMs: 50 },
          { offsetMs: 200, durationMs: 80 },
        ]),
      ),
    ).toBe(280);
    expect(speechEndOf(result([], 1000, 400))).toBe(1400);
    expect(speechEndOf(result([]))).toBeUndefined();
  });

  it('anchors the stream by the result that arrived soonest after its speech', () => {
    const clock = new StreamClock();
    expect(clock.wallTime(0)).toBeUndefined();
    clock.observe(5_000, 10_900); // a Final, 900 ms after its speech
    expect(clock.wallTime(5_000)).toBe(10_900);
    clock.observe(6_000, 11_150); // an Intermediate, 150 ms after
    expect(clock.wallTime(6_000)).toBe(11_150);
    clock.observe(7_000, 12_800); // a slower one does not move the anchor
    expect(clock.wallTime(7_000)).toBe(12_150);
  });
});

describe('what ACS is asked to play', () => {
  const voice = {
    alias: 'a',
    provider: 'azure',
    voice: 'en-US-AvaMultilingualNeural',
    style: undefined as string | undefined,
    rate: 1,
    language: 'en-US',
  };
  it('a TextSource in the agent voice, SSML when a style or rate must be said, the default voice without one', () => {
    expect(playSource({ text: 'Hi', voice, operationContext: 'o' })).toEqual({
      kind: 'textSource',
      text: 'Hi',
      sourceLocale: 'en-US',
      voiceName: 'en-US-AvaMultilingualNeural',
    });
    const styled = playSource({
      text: 'Fish & <chips>',
      voice: { ...voice, style: 'chat', rate: 1.1 },
      operationContext: 'o',
    });
    expect(styled).toEqual({
      kind: 'ssmlSource',
      ssmlText:
        '<speak version="1.0" xmlns="http://www.w3.org/2001/10/synthesis" xmlns:mstts="https://www.w3.org/2001/mstts" xml:lang="en-US"><voice name="en-US-AvaMultilingualNeural"><mstts:express-as style="chat"><prosody rate="+10%">Fish &amp; &lt;chips&gt;</prosody></mstts:express-as></voice></speak>',
    });
    expect(playSource({ text: 'Hi', operationContext: 'o' })).toEqual({ kind: 'textSource', text: 'Hi' });
  });
});
