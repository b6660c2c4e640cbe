import { afterAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { rms } from '../../../src/audio/levels.ts';
import { concatPcm16, type Pcm16 } from '../../../src/audio/pcm.ts';
import { PocketsphinxStt } from '../../../src/speech/stt/pocketsphinx.ts';
import { EspeakTts } from '../../../src/speech/tts/espeak.ts';
import { FliteTts } from '../../../src/speech/tts/flite.ts';
import { TtsError, type SynthesisRequest, type TtsProvider } from '../../../src/speech/types.ts';
import { wordErrorRate } from '../../../src/speech/wer.ts';

const flite = new FliteTts();
const espeak = new EspeakTts();
afterAll(() => Promise.all([flite.close(), espeak.close()]));

async function collect(provider: TtsProvider, request: SynthesisRequest): Promise<Pcm16[]> {
  const chunks: Pcm16[] = [];
  for await (const chunk of provider.synthesize(request)) chunks.push(chunk);
  return chunks;
}

describe('FliteTts', () => {
  it('streams a multi-sentence reply sentence by sentence at the requested rate', async () => {
    const text = 'Thank you for calling. Your claim number is four five six. Is there anything else?';
    const at16 = concatPcm16(await collect(flite, { text, sampleRate: 16000 }));
    const chunks48 = await collect(flite, { text, sampleRate: 48000 });
    const at48 = concatPcm16(chunks48);
    expect(chunks48.length).toBeGreaterThanOrEqual(3);
    expect(at16.length / 16000).toBeGreaterThan(3);
    expect(at16.length / 16000).toBeLessThan(12);
    expect(rms(at16)).toBeGreaterThan(0.02);
    // Same speech at three times the rate: the resampler keeps the duration.
    expect(Math.abs(at48.length / 48000 - at16.length / 16000)).toBeLessThan(0.01);
  });

  it('is understood by the recogniser (flite → pocketsphinx round trip)', async () => {
    const sentences = [
      'Please cancel my order and send me a refund.',
      'I need to change my password because I forgot it.',
      'How long does shipping take to Canada?',
      'Thank you very much, that is all I needed today.',
    ];
    const stt = new PocketsphinxStt({ maxWorkers: 1 });
    try {
      const recognizer = await stt.open();
      const pairs: [string, string][] = [];
      for (const text of sentences) {
        for (const chunk of await collect(flite, { text, sampleRate: 16000 })) recognizer.write(chunk);
        recognizer.write(new Int16Array(8000));
        pairs.push([text, (await recognizer.flush()).text]);
      }
      recognizer.close();
      expect(wordErrorRate(pairs)).toBeLessThan(0.15);
    } finally {
      await stt.close();
    }
  });

  it('stops mid-utterance when aborted and keeps working afterwards', async () => {
    const controller = new AbortController();
    const text = 'One. Two. Three. Four. Five. Six. Seven. Eight. Nine. Ten.';
    const chunks: Pcm16[] = [];
    for await (const chunk of flite.synthesize({ text, sampleRate: 16000, signal: controller.signal })) {
      chunks.push(chunk);
      controller.abort();
    }
    expect(chunks).toHaveLength(1);
    expect((await collect(flite, { text: 'Still here.', sampleRate: 16000 })).length).toBeGreaterThan(0);
  });

  it('speaks faster at a higher rate and honours SSML-lite pauses', async () => {
    const normal = concatPcm16(
      await collect(flite, { text: 'This is a test of the speaking rate.', sampleRate: 16000 }),
    );
    const fast = concatPcm16(
      await collect(flite, { text: 'This is a test of the speaking rate.', sampleRate: 16000, rate: 1.5 }),
    );
    expect(fast.length).toBeLessThan(normal.length * 0.8);
    const paused = concatPcm16(
      await collect(flite, {
        text: '<speak>This is a test of the speaking rate.<break time="500ms"/></speak>',
        sampleRate: 16000,
      }),
    );
    // 500 ms of pause; flite's silence trimming may differ by a few ms between two renderings.
    expect(Math.abs(paused.length - normal.length - 8000)).toBeLessThanOrEqual(160);
  });

  it('rejects unknown voices, rates and sample rates with clear errors', async () => {
    expect(() => flite.synthesize({ text: 'hi', voice: 'nope', sampleRate: 16000 })).toThrow(
      /no voice "nope"/,
    );
    await expect(collect(flite, { text: 'hi', sampleRate: 4000 })).rejects.toThrow(TtsError);
    await expect(collect(flite, { text: 'hi', sampleRate: 16000, rate: 9 })).rejects.toThrow(/rate 9/);
  });

  it('gives no audio for empty text', async () => {
    expect(await collect(flite, { text: '   ', sampleRate: 16000 })).toEqual([]);
  });
});

describe('EspeakTts', () => {
  it('speaks other languages, resampled from 22.05 kHz', async () => {
    const audio = concatPcm16(
      await collect(espeak, { text: 'Hola, buenos días. ¿Cómo está usted?', voice: 'es', sampleRate: 16000 }),
    );
    expect(audio.length / 16000).toBeGreaterThan(1);
    expect(rms(audio)).toBeGreaterThan(0.02);
  });

  it('keeps every sentence whole when the reply is consumed at playback pace', async () => {
    const length = async (text: string, paced: boolean) => {
      let samples = 0;
      for await (const chunk of espeak.synthesize({ text, voice: 'en+f2', sampleRate: 16000 })) {
        samples += chunk.length;
        if (paced) await sleep(100); // the sentence rendered ahead waits, as during a call
      }
      return samples;
    };
    const parts = ['Hi,', 'my name is Alice Brown.', 'And this is another sentence after it.'];
    const alone = (await Promise.all(parts.map((p) => length(p, false)))).reduce((a, b) => a + b);
    const paced = await length(parts.join(' '), true);
    expect(paced / alone).toBeGreaterThan(0.9);
  });

  it('stops the subprocess when aborted', async () => {
    const controller = new AbortController();
    let chunks = 0;
    for await (const _ of espeak.synthesize({
      text: 'A long sentence that goes on and on. And another one.',
      sampleRate: 16000,
      signal: controller.signal,
    })) {
      chunks += 1;
      controller.abort();
    }
    expect(chunks).toBe(1);
  });

  it('reports a bad voice', async () => {
    expect(() => espeak.synthesize({ text: 'hi', voice: '; rm -rf /', sampleRate: 16000 })).toThrow(TtsError);
    await expect(collect(espeak, { text: 'hi', voice: 'xx-nonexistent', sampleRate: 16000 })).rejects.toThrow(
      /espeak-ng failed/,
    );
  });
});
