import type { Pcm16 } from '../../audio/pcm.ts';
import { requireDependencies } from '../system-dependencies.ts';
import { TtsError, type SynthesisRequest, type TtsProvider } from '../types.ts';
import type { FliteJob } from '../workers/flite-worker.ts';
import { StreamWorker } from '../workers/stream-worker.ts';
import { workerUrl } from '../workers/worker-url.ts';
import { FLITE_VOICES, isFliteVoice } from './flite-synth.ts';
import { streamSpeech, type RenderedAudio } from './stream.ts';

/**
 * Offline speech synthesis with Debian's flite (CMU voices, 16 kHz), one sentence per call in worker
 * threads: the first sentence of a reply is ready in 20-50 ms.
 */
export class FliteTts implements TtsProvider {
  readonly name = 'flite';
  readonly defaultVoice = 'slt';
  private readonly workers: StreamWorker<FliteJob, RenderedAudio>[];

  constructor(options: { workers?: number } = {}) {
    requireDependencies('flite');
    const url = workerUrl('../workers/flite-worker', import.meta.url);
    this.workers = Array.from(
      { length: options.workers ?? 2 },
      () => new StreamWorker<FliteJob, RenderedAudio>(url),
    );
  }

  synthesize(request: SynthesisRequest): AsyncIterable<Pcm16> {
    const voice = request.voice ?? this.defaultVoice;
    if (!isFliteVoice(voice)) {
      throw new TtsError(
        `flite has no voice "${voice}"; choose one of ${Object.keys(FLITE_VOICES).join(', ')}`,
      );
    }
    const rate = request.rate ?? 1;
    return streamSpeech(request, (sentence) => {
      const worker = this.workers.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
      return worker.request({ text: sentence, voice, rate });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.stop()));
  }
}
