import { parentPort } from 'node:worker_threads';
import { fliteSynthesize, type FliteVoice } from '../tts/flite-synth.ts';

// Runs in a worker thread: flite blocks for 20-50 ms per sentence.

export interface FliteJob {
  readonly id: number;
  readonly text: string;
  readonly voice: FliteVoice;
  readonly rate: number;
}

export type FliteResult =
  | { readonly id: number; readonly samples: Int16Array; readonly sampleRate: number }
  | { readonly id: number; readonly error: string };

const port = parentPort!;
port.on('message', (job: FliteJob) => {
  try {
    const { samples, sampleRate } = fliteSynthesize(job.text, job.voice, job.rate);
    port.postMessage({ id: job.id, samples, sampleRate } satisfies FliteResult, [
      samples.buffer as ArrayBuffer,
    ]);
  } catch (err) {
    port.postMessage({
      id: job.id,
      error: err instanceof Error ? err.message : String(err),
    } satisfies FliteResult);
  }
});
