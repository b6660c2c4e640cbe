import { EventEmitter } from 'node:events';
import type { Pcm16 } from '../../audio/pcm.ts';
import {
  SttError,
  type Recognizer,
  type RecognizerEvents,
  type RecognizerOptions,
  type SttProvider,
  type SttResult,
} from '../types.ts';
import { NullVad } from './null-vad.ts';
import { AudioTally } from './tally.ts';

const SAMPLE_RATE = 16000;

/**
 * STT_PROVIDER=null: recognizers that hear nothing (every final is empty, so no caller turn ever starts)
 * and need no native library. For measuring the server without speech (bench/capacity.ts) and for tests.
 */
export class NullStt implements SttProvider {
  readonly name = 'null';
  /** Audio every recognizer and detector of this provider was given. */
  readonly audio = new AudioTally();
  private closed = false;

  open(options: RecognizerOptions = {}): Promise<Recognizer> {
    if (this.closed) return Promise.reject(new SttError('the null STT provider is closed'));
    const recognizer = new NullRecognizer(this.audio);
    const { signal } = options;
    if (signal?.aborted) recognizer.close();
    else signal?.addEventListener('abort', () => recognizer.close(), { once: true });
    return Promise.resolve(recognizer);
  }

  /** A voice activity detector to go with these recognizers: it never hears speech either. */
  detector(): NullVad {
    return new NullVad(this.audio);
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

export class NullRecognizer extends EventEmitter<RecognizerEvents> implements Recognizer {
  /** Frames (writes) and samples since the recognizer was opened. */
  readonly written = new AudioTally();
  private readonly provider: AudioTally | undefined;
  private samplesBefore = 0;
  private isClosed = false;

  constructor(provider?: AudioTally) {
    super();
    this.provider = provider;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  write(samples: Pcm16): void {
    if (this.isClosed) throw new SttError('recognizer is closed');
    this.written.add(samples.length);
    this.provider?.add(samples.length);
  }

  flush(): Promise<SttResult> {
    if (this.isClosed) return Promise.reject(new SttError('recognizer is closed'));
    // The utterance spans the audio since the previous flush, on the recognizer's stream clock.
    const startMs = (this.samplesBefore * 1000) / SAMPLE_RATE;
    const endMs = (this.written.samples * 1000) / SAMPLE_RATE;
    this.samplesBefore = this.written.samples;
    const result: SttResult = { text: '', confidence: 0, startMs, endMs };
    this.emit('final', result);
    return Promise.resolve(result);
  }

  expect(): void {}

  close(): void {
    this.isClosed = true;
  }
}
