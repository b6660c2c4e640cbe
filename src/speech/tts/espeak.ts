import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import type { Pcm16 } from '../../audio/pcm.ts';
import { requireDependencies } from '../system-dependencies.ts';
import { TtsError, type SynthesisRequest, type TtsProvider } from '../types.ts';
import { streamSpeech, type RenderedAudio } from './stream.ts';

const ESPEAK_RATE = 22050;
const WAV_HEADER_BYTES = 44;
const NORMAL_WORDS_PER_MINUTE = 175;
/** A sentence's audio buffered ahead: over six minutes at 22.05 kHz. */
const MAX_SENTENCE_BYTES = 16 << 20;

/**
 * espeak-ng as a subprocess (it is GPL, so it stays out of our process): many languages, first audio in
 * about 13 ms, streamed from its stdout as it is produced.
 */
export class EspeakTts implements TtsProvider {
  readonly name = 'espeak';
  readonly defaultVoice = 'en-us';

  constructor() {
    requireDependencies('espeak');
  }

  synthesize(request: SynthesisRequest): AsyncIterable<Pcm16> {
    const voice = request.voice ?? this.defaultVoice;
    if (!/^[a-z]{2,3}([-+][\w-]+)*$/i.test(voice))
      throw new TtsError(`"${voice}" is not an espeak-ng voice name (e.g. en-us, es, fr)`);
    const wordsPerMinute = Math.round(NORMAL_WORDS_PER_MINUTE * (request.rate ?? 1));
    return streamSpeech(request, (sentence, signal) => speak(sentence, voice, wordsPerMinute, signal));
  }

  async close(): Promise<void> {}
}

function speak(
  sentence: string,
  voice: string,
  wordsPerMinute: number,
  signal: AbortSignal,
): AsyncIterable<RenderedAudio> {
  // `--` ends the options, so a sentence starting with "-" is spoken, not parsed.
  const child = spawn('espeak-ng', ['-v', voice, '-s', String(wordsPerMinute), '--stdout', '--', sentence], {
    stdio: ['ignore', 'pipe', 'pipe'],
    signal,
  });
  // Read at once into memory: the sentence rendered ahead is only consumed when the one before it has
  // played, and a child's stdout not read before the child exits loses what it had buffered (all but the
  // last bytes of every sentence after the first).
  const stdout = child.stdout.pipe(new PassThrough({ highWaterMark: MAX_SENTENCE_BYTES }));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => {
    child.once('close', resolve);
    child.once('error', () => resolve(null));
  });
  exited.catch(() => {});
  return (async function* () {
    let header = Buffer.alloc(0);
    let carry: Buffer | undefined; // an odd byte waiting for its pair
    for await (const data of stdout as AsyncIterable<Buffer>) {
      let chunk = data;
      if (header.length < WAV_HEADER_BYTES) {
        const need = WAV_HEADER_BYTES - header.length;
        header = Buffer.concat([header, chunk.subarray(0, need)]);
        chunk = chunk.subarray(need);
      }
      if (carry) chunk = Buffer.concat([carry, chunk]);
      const even = chunk.length - (chunk.length % 2);
      carry = even < chunk.length ? Buffer.from(chunk.subarray(even)) : undefined;
      if (even > 0) {
        const samples = new Int16Array(chunk.buffer.slice(chunk.byteOffset, chunk.byteOffset + even));
        yield { samples, sampleRate: ESPEAK_RATE };
      }
    }
    const code = await exited;
    if (code !== 0 && !signal.aborted)
      throw new TtsError(`espeak-ng failed (exit ${code}): ${stderr.trim() || 'no output'}`);
  })();
}
