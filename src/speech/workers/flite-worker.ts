import { parentPort } from 'node:worker_threads';
import { fliteSynthesize, type FliteVoice } from '../tts/flite-synth.ts';
import type { RenderedAudio } from '../tts/stream.ts';
import type { StreamReply } from './stream-worker.ts';

// Runs in a worker thread: flite blocks for 20-50 ms per sentence.

export interface FliteJob {
  readonly id: number;
  readonly text: string;
  readonly voice: FliteVoice;
  readonly rate: number;
}

const port = parentPort!;
const reply = (message: StreamReply<RenderedAudio>, transfer: ArrayBuffer[] = []) =>
  port.postMessage(message, transfer);

port.on('message', (job: FliteJob) => {
  try {
    const { samples, sampleRate } = fliteSynthesize(job.text, job.voice, job.rate);
    reply({ id: job.id, chunk: { samples, sampleRate } }, [samples.buffer as ArrayBuffer]);
    reply({ id: job.id, done: true });
  } catch (err) {
    reply({ id: job.id, error: err instanceof Error ? err.message : String(err) });
  }
});
