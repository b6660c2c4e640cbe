import type { Pcm16 } from '../../audio/pcm.ts';
import { requireDependencies } from '../system-dependencies.ts';
import { TtsError, type SynthesisRequest, type TtsProvider } from '../types.ts';
import type { FliteJob } from '../workers/flite-worker.ts';
import { StreamWorker } from '../workers/stream-worker.ts';
import { workerUrl } from '../workers/worker-url.ts';
import { FLITE_VOICES, isFliteVoice } from './flite-synth.ts';
import { streamSpeech, type RenderedAudio } from './stream.ts';
import { trimSilence } from '../../audio/levels.ts';
import { RenderCache } from './render-cache.ts';

/**
 * flite is not thread-safe: its voices are process-wide objects that registering mutates, and a second
 * thread registering while a first synthesised crashed the process. So every FliteTts shares one worker
 * thread, started by the first and stopped with the last (flite runs about 66 times faster than real
 * time, so one thread serves many calls).
 */
let shared: { worker: StreamWorker<FliteJob, RenderedAudio>; users: number } | undefined;

function acquireWorker(): StreamWorker<FliteJob, RenderedAudio> {
  shared ??= { worker: new StreamWorker(workerUrl('../workers/flite-worker', import.meta.url)), users: 0 };
  shared.users += 1;
  return shared.worker;
}

async function releaseWorker(): Promise<void> {
  if (!shared || --shared.users > 0) return;
  const { worker } = shared;
  shared = undefined;
  await worker.stop();
}

/**
 * Offline speech synthesis with Debian's flite (CMU voices, 16 kHz) in a worker thread, one sentence at
 * a time: the first sentence of a reply is ready in 20-50 ms, the next renders while it plays.
 */
export class FliteTts implements TtsProvider {
  readonly name = 'flite';
  readonly defaultVoice = 'slt';
  private readonly worker: StreamWorker<FliteJob, RenderedAudio>;
  private closed = false;

  constructor() {
    requireDependencies('flite');
    this.worker = acquireWorker();
  }

  synthesize(request: SynthesisRequest): AsyncIterable<Pcm16> {
    if (this.closed) throw new TtsError('the flite synthesizer is closed');
    const voice = request.voice ?? this.defaultVoice;
    if (!isFliteVoice(voice)) {
      throw new TtsError(
        `flite has no voice "${voice}"; choose one of ${Object.keys(FLITE_VOICES).join(', ')}`,
      );
    }
    const rate = request.rate ?? 1;
    return streamSpeech(request, (sentence) =>
      RENDERED.render(`${voice}|${rate}|${sentence}`, () =>
        tight(this.worker.request({ text: sentence, voice, rate })),
      ),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await releaseWorker();
  }
}

/**
 * flite pads every sentence with about 220 ms of silence before and 100-200 ms after: trimmed to a short
 * breath, the caller hears the answer that much sooner and sentences follow each other naturally.
 */
async function* tight(audio: AsyncIterable<RenderedAudio>): AsyncGenerator<RenderedAudio> {
  for await (const rendered of audio) {
    const samples = trimSilence(rendered.samples, rendered.sampleRate, FLITE_TRIM);
    if (samples.length > 0) yield { samples, sampleRate: rendered.sampleRate };
  }
}

const FLITE_TRIM = { keepLeadMs: 15, keepTailMs: 90, threshold: 0.006 } as const;

/** One per process, like the flite thread: every call's synthesizer shares the sentences rendered. */
const RENDERED = new RenderCache();

/** Sentences served from the render cache, and rendered, since the process started. */
export function fliteCacheStats(): { hits: number; misses: number } {
  return { hits: RENDERED.hits, misses: RENDERED.misses };
}
