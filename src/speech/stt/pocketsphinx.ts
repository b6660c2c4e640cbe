import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import { durationMs, type Pcm16 } from '../../audio/pcm.ts';
import { requireDependencies } from '../system-dependencies.ts';
import {
  SttError,
  type RecognitionHints,
  type Recognizer,
  type RecognizerEvents,
  type RecognizerOptions,
  type SttProvider,
  type SttResult,
} from '../types.ts';
import type {
  FromWorker,
  RecognitionResult,
  ToWorker,
  WorkerOptions,
} from '../workers/pocketsphinx-protocol.ts';
import { workerUrl } from '../workers/worker-url.ts';

export interface PocketsphinxOptions {
  /**
   * Worker threads at most. Each runs one active decoder: two decoders sharing a thread made a flush
   * wait behind the other's audio (finalize p95 300+ ms instead of about 70 ms).
   */
  readonly maxWorkers: number;
  readonly partialIntervalMs: number;
}

const DEFAULTS: PocketsphinxOptions = { maxWorkers: 16, partialIntervalMs: 150 };
const WORKER_URL = workerUrl('../workers/pocketsphinx-worker', import.meta.url);

/**
 * Offline speech recognition with Debian's pocketsphinx (US English), each decoder in its own worker
 * thread so the event loop never waits on it. Threads start on demand and keep their decoder loaded when
 * a recognizer closes, ready for the next. A crashed thread's recognizers get an `error` event.
 */
export class PocketsphinxStt implements SttProvider {
  readonly name = 'pocketsphinx';
  private readonly options: PocketsphinxOptions;
  private readonly threads = new Set<DecoderThread>();
  private nextId = 1;
  private closed = false;

  constructor(options: Partial<PocketsphinxOptions> = {}) {
    requireDependencies('pocketsphinx');
    this.options = { ...DEFAULTS, ...options };
  }

  async open(options: RecognizerOptions = {}): Promise<Recognizer> {
    if (this.closed) throw new SttError('the pocketsphinx provider is closed');
    const thread = this.pickThread();
    const recognizer = new WorkerRecognizer(thread, this.nextId++);
    await thread.open(recognizer, { grammar: options.grammar, phrases: options.phrases });
    if (options.signal) {
      if (options.signal.aborted) recognizer.close();
      else options.signal.addEventListener('abort', () => recognizer.close(), { once: true });
    }
    return recognizer;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.threads].map((thread) => thread.terminate()));
  }

  /** An idle thread, else a new one, else (at the limit) the least loaded. */
  private pickThread(): DecoderThread {
    let least: DecoderThread | undefined;
    for (const thread of this.threads) {
      if (thread.load === 0) return thread;
      if (!least || thread.load < least.load) least = thread;
    }
    if (least && this.threads.size >= this.options.maxWorkers) return least;
    const thread = new DecoderThread(
      { partialIntervalMs: this.options.partialIntervalMs, maxIdleDecoders: 2 },
      () => this.threads.delete(thread),
    );
    this.threads.add(thread);
    return thread;
  }
}

/** One worker thread and the recognizers it serves. */
class DecoderThread {
  private readonly worker: Worker;
  private readonly recognizers = new Map<number, WorkerRecognizer>();
  private readonly opening = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  private dead = false;

  constructor(options: WorkerOptions, onDeath: () => void) {
    this.worker = new Worker(WORKER_URL, { workerData: options });
    this.worker.unref();
    this.worker.on('message', (message: FromWorker) => this.receive(message));
    const die = (reason: string) => {
      if (this.dead) return;
      this.dead = true;
      const error = new SttError(`speech recognition worker stopped: ${reason}`);
      for (const pending of this.opening.values()) pending.reject(error);
      for (const recognizer of this.recognizers.values()) recognizer.fail(error);
      this.recognizers.clear();
      onDeath();
    };
    this.worker.on('error', (err: Error) => die(err.message));
    this.worker.on('exit', (code) => die(`exit code ${code}`));
  }

  get load(): number {
    return this.recognizers.size;
  }

  open(recognizer: WorkerRecognizer, hints: RecognitionHints): Promise<void> {
    this.recognizers.set(recognizer.id, recognizer);
    return new Promise((resolve, reject) => {
      this.opening.set(recognizer.id, { resolve, reject });
      this.post({ type: 'open', id: recognizer.id, hints });
    });
  }

  post(message: ToWorker): void {
    if (this.dead) throw new SttError('speech recognition worker is not running');
    this.worker.postMessage(message);
  }

  release(id: number): void {
    if (this.recognizers.delete(id) && !this.dead) this.post({ type: 'close', id });
  }

  async terminate(): Promise<void> {
    this.dead = true;
    await this.worker.terminate();
  }

  private receive(message: FromWorker): void {
    const opening = this.opening.get(message.id);
    if (opening && (message.type === 'opened' || message.type === 'error')) {
      this.opening.delete(message.id);
      if (message.type === 'opened') opening.resolve();
      else {
        this.recognizers.delete(message.id);
        opening.reject(new SttError(message.message));
      }
      return;
    }
    this.recognizers.get(message.id)?.receive(message);
  }
}

class WorkerRecognizer extends EventEmitter<RecognizerEvents> implements Recognizer {
  readonly id: number;
  private readonly thread: DecoderThread;
  private readonly pendingFlushes: {
    resolve: (result: SttResult) => void;
    reject: (err: Error) => void;
    startMs: number;
  }[] = [];
  private samplesWritten = 0;
  private utteranceStartMs: number | undefined;
  private isClosed = false;

  constructor(thread: DecoderThread, id: number) {
    super();
    this.thread = thread;
    this.id = id;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  write(samples: Pcm16): void {
    if (this.isClosed) throw new SttError('recognizer is closed');
    this.utteranceStartMs ??= durationMs(this.samplesWritten, 16000);
    this.samplesWritten += samples.length;
    this.thread.post({ type: 'audio', id: this.id, samples });
  }

  flush(): Promise<SttResult> {
    if (this.isClosed) return Promise.reject(new SttError('recognizer is closed'));
    const startMs = this.utteranceStartMs ?? durationMs(this.samplesWritten, 16000);
    this.utteranceStartMs = undefined;
    return new Promise((resolve, reject) => {
      this.pendingFlushes.push({ resolve, reject, startMs });
      this.thread.post({ type: 'flush', id: this.id });
    });
  }

  expect(hints: RecognitionHints): void {
    if (this.isClosed) throw new SttError('recognizer is closed');
    this.thread.post({ type: 'expect', id: this.id, hints });
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.thread.release(this.id);
    this.rejectPending(new SttError('recognizer closed before its result arrived'));
  }

  receive(message: FromWorker): void {
    if (message.type === 'partial') this.emit('partial', message.text);
    else if (message.type === 'final') this.settle(message.result);
    else if (message.type === 'error') {
      this.fail(new SttError(message.message));
      this.thread.release(this.id);
    }
  }

  /** The worker died or the decoder failed: this recognizer is finished. */
  fail(error: Error): void {
    this.isClosed = true;
    this.rejectPending(error);
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }

  private settle(hypothesis: RecognitionResult): void {
    const pending = this.pendingFlushes.shift();
    if (!pending) return;
    const first = hypothesis.words[0];
    const last = hypothesis.words.at(-1);
    const result: SttResult = {
      text: hypothesis.text,
      confidence: hypothesis.confidence,
      startMs: pending.startMs + (first?.startMs ?? 0),
      endMs: pending.startMs + (last?.endMs ?? 0),
      ...(hypothesis.inGrammar === undefined
        ? {}
        : { inGrammar: hypothesis.inGrammar, alternatives: hypothesis.alternatives ?? [] }),
    };
    this.emit('final', result);
    pending.resolve(result);
  }

  private rejectPending(error: Error): void {
    for (const pending of this.pendingFlushes.splice(0)) pending.reject(error);
  }
}
