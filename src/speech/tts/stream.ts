import type { Pcm16 } from '../../audio/pcm.ts';
import { createResampler, type Resampler } from '../../audio/resampler.ts';
import { TtsError, type SynthesisRequest } from '../types.ts';
import { toSpeechParts } from './speech-text.ts';

/** Audio as a provider renders it, at its own native rate. */
export interface RenderedAudio {
  readonly samples: Pcm16;
  readonly sampleRate: number;
}

/**
 * Renders one sentence. It must start work when called (not when iterated), so the next sentence renders
 * while the current one plays out, and stop when `signal` aborts.
 */
export type SentenceRenderer = (sentence: string, signal: AbortSignal) => AsyncIterable<RenderedAudio>;

const MIN_RATE = 0.5;
const MAX_RATE = 2;

/**
 * The streaming loop every local TTS provider shares: sentences and pauses from the text, one sentence
 * rendered ahead, everything resampled to the requested rate, stopped at once by the request's signal.
 */
export async function* streamSpeech(
  request: SynthesisRequest,
  render: SentenceRenderer,
): AsyncGenerator<Pcm16> {
  if (!Number.isInteger(request.sampleRate) || request.sampleRate < 8000 || request.sampleRate > 48000) {
    throw new TtsError(`cannot synthesise at ${request.sampleRate} Hz; use 8000 to 48000`);
  }
  const rate = request.rate ?? 1;
  if (!(rate >= MIN_RATE && rate <= MAX_RATE))
    throw new TtsError(`speaking rate ${rate} is outside ${MIN_RATE}-${MAX_RATE}`);
  const stop = new AbortController();
  const signal = request.signal ? AbortSignal.any([request.signal, stop.signal]) : stop.signal;
  const parts = toSpeechParts(request.text);
  let resampler: Resampler | undefined;
  const start = (i: number) => {
    const part = parts[i];
    return part && 'text' in part ? render(part.text, signal) : undefined;
  };
  try {
    let ahead = start(0);
    for (let i = 0; i < parts.length && !signal.aborted; i += 1) {
      const part = parts[i]!;
      const current = ahead;
      ahead = start(i + 1);
      if ('pauseMs' in part) {
        yield new Int16Array(Math.round((part.pauseMs * request.sampleRate) / 1000));
        continue;
      }
      for await (const audio of withTtsErrors(current!)) {
        if (signal.aborted) return;
        if (resampler?.fromRate !== audio.sampleRate) {
          if (resampler) yield resampler.flush();
          resampler?.destroy();
          resampler = await createResampler(audio.sampleRate, request.sampleRate);
        }
        const out = resampler.process(audio.samples);
        if (out.length > 0) yield out;
      }
    }
    const tail = resampler?.flush();
    if (tail && tail.length > 0 && !signal.aborted) yield tail;
  } finally {
    stop.abort(); // stops the sentence rendered ahead when the consumer leaves early
    resampler?.destroy();
  }
}

/** Failures from a renderer (a dead worker, a crashed subprocess) surface as TtsError. */
async function* withTtsErrors(audio: AsyncIterable<RenderedAudio>): AsyncGenerator<RenderedAudio> {
  try {
    yield* audio;
  } catch (err) {
    throw err instanceof TtsError
      ? err
      : new TtsError(`synthesis failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
