import { describe, expect, it } from 'vitest';
import { missingDependencies } from '../../../src/speech/system-dependencies.ts';
import { NullStt, type NullRecognizer } from '../../../src/speech/null/null-stt.ts';
import { NullTts } from '../../../src/speech/null/null-tts.ts';
import { createStt, createTts } from '../../../src/speech/providers.ts';
import type { SttResult } from '../../../src/speech/types.ts';

const frame = () => new Int16Array(320).fill(1000);

describe('the null speech provider', () => {
  it('is made by name and needs nothing from the machine', () => {
    expect(createStt('null').name).toBe('null');
    expect(createTts('null').name).toBe('null');
    expect(missingDependencies(['null'])).toEqual([]);
  });

  it('counts the frames and samples a recognizer is given and hears nothing in them', async () => {
    const stt = new NullStt();
    const recognizer = (await stt.open()) as NullRecognizer;
    const finals: SttResult[] = [];
    recognizer.on('final', (result) => finals.push(result));
    for (let i = 0; i < 50; i += 1) recognizer.write(frame());
    const first = await recognizer.flush();
    recognizer.write(frame());
    const second = await recognizer.flush();

    expect(recognizer.written).toMatchObject({ frames: 51, samples: 51 * 320 });
    expect(stt.audio).toMatchObject({ frames: 51, samples: 51 * 320 });
    expect(first).toEqual({ text: '', confidence: 0, startMs: 0, endMs: 1000 });
    expect(second).toMatchObject({ text: '', startMs: 1000, endMs: 1020 });
    expect(finals).toEqual([first, second]);
  });

  it('closes its recognizers with their signal, and a closed one takes no audio', async () => {
    const controller = new AbortController();
    const recognizer = await new NullStt().open({ signal: controller.signal });
    controller.abort();
    expect(recognizer.closed).toBe(true);
    expect(() => recognizer.write(frame())).toThrow(/closed/);
    await expect(recognizer.flush()).rejects.toThrow(/closed/);
  });

  it('gives detectors that never hear speech but count the audio', () => {
    const stt = new NullStt();
    const vad = stt.detector();
    for (let i = 0; i < 10; i += 1) expect(vad.process(frame())).toEqual([]);
    vad.reset();
    expect(vad.speaking).toBe(false);
    expect(stt.audio.frames).toBe(10);
  });

  it('synthesizes nothing, and counts the requests', async () => {
    const tts = new NullTts();
    const chunks: unknown[] = [];
    for await (const chunk of tts.synthesize({ text: 'Hello there.', sampleRate: 16000 })) chunks.push(chunk);
    expect(chunks).toEqual([]);
    expect(tts).toMatchObject({ requests: 1, characters: 12 });
    await tts.close();
  });
});
