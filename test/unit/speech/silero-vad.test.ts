import { describe, expect, it } from 'vitest';
import type { VadEvent } from '../../../src/speech/types.ts';
import { createTts } from '../../../src/speech/providers.ts';
import { SileroVad } from '../../../src/speech/vad/silero.ts';
import { join, librivox, noise, silence } from '../../helpers/speech-data.ts';

/** Feeds audio in 20 ms frames, as transports deliver it. */
function run(vad: SileroVad, audio: Int16Array): VadEvent[] {
  const events: VadEvent[] = [];
  for (let offset = 0; offset < audio.length; offset += 320)
    events.push(...vad.process(audio.subarray(offset, offset + 320)));
  return events;
}

describe('SileroVad on real speech', () => {
  const [first, second] = librivox();

  it('finds one utterance, starting soon after its onset and ending after the hangover', () => {
    const events = run(new SileroVad(), join([silence(1000), first!.samples, silence(1500)]));
    expect(events.map((e) => e.type)).toEqual(['speech_start', 'speech_end']);
    const [start, end] = events;
    // The recording has a short lead-in, so speech begins a little after the 1 s of silence.
    expect(start!.atMs).toBeGreaterThan(1000);
    expect(start!.atMs).toBeLessThan(1700);
    const speechEndsBy = 1000 + first!.samples.length / 16;
    expect(end!.atMs).toBeLessThan(speechEndsBy + 600);
    expect(end!.type === 'speech_end' && end!.atMs - end!.speechEndMs).toBe(250);
  });

  it('separates two utterances with a pause between them', () => {
    const events = run(
      new SileroVad(),
      join([silence(500), first!.samples, silence(1200), second!.samples, silence(1000)]),
    );
    expect(events.map((e) => e.type)).toEqual(['speech_start', 'speech_end', 'speech_start', 'speech_end']);
  });

  it('ignores noise and hum', () => {
    const vad = new SileroVad();
    for (const kind of ['pinknoise', 'brownnoise', 'hum'] as const)
      expect(run(vad, noise(kind, 5))).toEqual([]);
    expect(vad.speaking).toBe(false);
  });

  it('hears every short "No." through a long call, not only in its first minute', async () => {
    // Run on without a break, Silero's state came to miss about one such word in three (the caller then
    // heard nothing back); the detector now starts afresh between utterances.
    const tts = createTts('flite', {});
    const parts: Int16Array[] = [];
    try {
      for await (const chunk of tts.synthesize({ text: 'No.', voice: 'kal16', rate: 1.1, sampleRate: 16000 }))
        parts.push(chunk);
    } finally {
      await tts.close();
    }
    const no = join(parts).map((x) => Math.round(x * 0.5));
    const hiss = noise('pinknoise', 4).map((x) => Math.round(x * 0.01));
    const utterances = 40;
    const call = join(
      Array.from({ length: utterances }, (_, i) => [
        hiss.subarray(0, 16000 + ((i * 7919) % 48000)),
        no,
      ]).flat(),
    );
    const starts = run(new SileroVad(), join([call, silence(1000)])).filter((e) => e.type === 'speech_start');
    expect(starts).toHaveLength(utterances);
  });

  it('starts over after reset', () => {
    const vad = new SileroVad();
    run(vad, join([silence(300), first!.samples.subarray(0, 16000 * 2)]));
    expect(vad.speaking).toBe(true);
    vad.reset();
    expect(vad.speaking).toBe(false);
    expect(run(vad, silence(1000))).toEqual([]);
  });

  it('honours a longer hangover', () => {
    const events = run(
      new SileroVad({ hangoverMs: 600 }),
      join([silence(500), first!.samples, silence(1500)]),
    );
    const end = events.find((e) => e.type === 'speech_end');
    expect(end && end.atMs - end.speechEndMs).toBe(600);
  });
});
