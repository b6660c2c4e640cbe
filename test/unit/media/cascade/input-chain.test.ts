import { describe, expect, it } from 'vitest';
import { concatPcm16, type Pcm16 } from '../../../../src/audio/pcm.ts';
import { createResampler } from '../../../../src/audio/resampler.ts';
import { InputChain } from '../../../../src/media/cascade/input-chain.ts';
import type { Recognizer, VadEvent, VoiceActivityDetector } from '../../../../src/speech/types.ts';
import { sine } from '../../../helpers/signals.ts';
import { silence } from '../../../helpers/speech-data.ts';

/** A VAD that reports speech where the test says, on the audio clock, like Silero (late onsets). */
class ScriptedVad implements VoiceActivityDetector {
  speaking = false;
  private heardMs = 0;
  private readonly script: { atMs: number; event: VadEvent }[];
  constructor(script: { atMs: number; event: VadEvent }[]) {
    this.script = script;
  }
  process(samples: Pcm16): VadEvent[] {
    this.heardMs += (samples.length * 1000) / 16000;
    const due = this.script.filter((s) => s.atMs <= this.heardMs);
    this.script.splice(0, due.length);
    return due.map((s) => s.event);
  }
  reset(): void {}
}

/** A recognizer that keeps what it was given. */
class Tape {
  readonly written: Pcm16[] = [];
  write(samples: Pcm16): void {
    this.written.push(samples);
  }
  get ms(): number {
    return (concatPcm16(this.written).length * 1000) / 16000;
  }
}

const frames = (audio: Pcm16, ms = 20, rate = 16000): Pcm16[] => {
  const size = (rate * ms) / 1000;
  return Array.from({ length: Math.ceil(audio.length / size) }, (_, i) =>
    audio.subarray(i * size, (i + 1) * size),
  );
};

describe('InputChain', () => {
  it('clocks caller audio, and tells sound from background', () => {
    const chain = new InputChain(new ScriptedVad([]));
    const quiet = frames(silence(400)).map((frame) => chain.process(frame));
    const loud = frames(sine(300, 16000, 16000 * 0.2, 0.3)).map((frame) => chain.process(frame));
    expect(chain.audioMs).toBe(600);
    expect(quiet.every((piece) => piece.ms === 20 && !piece.voiced)).toBe(true);
    expect(loud.every((piece) => piece.voiced)).toBe(true);
  });

  it('dates a speech start at the real onset of the sound, before the late VAD, and at the VAD end', () => {
    // Sound from 500 ms; the VAD says so at 680 ms, estimating 600 ms; it ends at 1200 ms.
    const vad = new ScriptedVad([
      { atMs: 680, event: { type: 'speech_start', atMs: 680, speechStartMs: 600 } },
      { atMs: 1200, event: { type: 'speech_end', atMs: 1200, speechEndMs: 950 } },
    ]);
    const chain = new InputChain(vad);
    const audio = concatPcm16([silence(500), sine(300, 16000, 16000 * 0.45, 0.3), silence(300)]);
    const events = frames(audio).flatMap((frame) => chain.process(frame).events);
    expect(events).toHaveLength(2);
    const [start, end] = events;
    expect(start!.type).toBe('speech_start');
    expect((start as { onsetAudioMs: number }).onsetAudioMs).toBeGreaterThanOrEqual(490);
    expect((start as { onsetAudioMs: number }).onsetAudioMs).toBeLessThanOrEqual(510);
    expect(end).toEqual({ type: 'speech_end', speechEndAudioMs: 950 });
  });

  it('gives the recognizer the preroll at a speech start, then the audio until the speech ends', () => {
    const vad = new ScriptedVad([
      { atMs: 700, event: { type: 'speech_start', atMs: 700, speechStartMs: 600 } },
      { atMs: 1100, event: { type: 'speech_end', atMs: 1100, speechEndMs: 850 } },
    ]);
    const chain = new InputChain(vad);
    const tape = new Tape();
    expect(chain.attach(tape as unknown as Recognizer)).toBe(false);
    for (const frame of frames(sine(300, 16000, 16000 * 1.5, 0.3))) chain.process(frame);
    // 300 ms of preroll (up to and including the frame the VAD fired on), then 700 → 1100 ms.
    expect(tape.written[0]!.length).toBe(16000 * 0.3);
    expect(tape.ms).toBe(300 + 400);
  });

  it('keeps speech heard while the recognizer loads, and hands it over when it comes', () => {
    const vad = new ScriptedVad([
      { atMs: 700, event: { type: 'speech_start', atMs: 700, speechStartMs: 600 } },
      { atMs: 1100, event: { type: 'speech_end', atMs: 1100, speechEndMs: 850 } },
    ]);
    const chain = new InputChain(vad);
    for (const frame of frames(sine(300, 16000, 16000 * 1.5, 0.3))) chain.process(frame);
    const tape = new Tape();
    // The utterance ended before the recognizer came: the caller's end of turn is still owed.
    expect(chain.attach(tape as unknown as Recognizer)).toBe(true);
    expect(tape.ms).toBe(300 + 400);
    expect(chain.recognizer).toBe(tape);
  });

  it('resamples 24 kHz ACS audio to the pipeline rate, on the same clock', async () => {
    const chain = new InputChain(new ScriptedVad([]), await createResampler(24000, 16000));
    const pieces = frames(sine(300, 24000, 24000, 0.3), 20, 24000).map((frame) => chain.process(frame));
    expect(chain.audioMs).toBeGreaterThan(980);
    expect(chain.audioMs).toBeLessThanOrEqual(1000);
    expect(pieces.every((piece) => piece.ms > 0)).toBe(true);
  });

  it('turns a point of the caller-audio clock into wall time', () => {
    const chain = new InputChain(new ScriptedVad([]));
    for (const frame of frames(silence(1000))) chain.process(frame);
    expect(chain.wallTime(800, 50_000)).toBe(49_800);
  });
});
