import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';

/** What a streaming worker sends back for a request: chunks, then `done` or `error`. */
export type StreamReply<Chunk> =
  | { readonly id: number; readonly chunk: Chunk }
  | { readonly id: number; readonly done: true }
  | { readonly id: number; readonly error: string };

/** Chunks arriving from a worker, read as an async iterable; buffered until read. */
class ChunkQueue<Chunk> implements AsyncIterable<Chunk> {
  private readonly buffered: Chunk[] = [];
  private ended = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  push(chunk: Chunk): void {
    this.buffered.push(chunk);
    this.wake?.();
  }

  end(failure?: Error): void {
    this.ended = true;
    this.failure = failure;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Chunk> {
    for (;;) {
      const next = this.buffered.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (this.failure) throw this.failure;
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}

/**
 * A worker thread that answers each request with a stream of chunks. The request is posted at once (work
 * starts before anyone reads), and a thread that dies fails its open streams and is replaced.
 */
export class StreamWorker<Req extends { id: number }, Chunk> {
  private worker: Worker;
  private readonly streams = new Map<number, ChunkQueue<Chunk>>();
  private readonly url: URL;
  private nextId = 1;
  private stopped = false;

  constructor(url: URL) {
    this.url = url;
    this.worker = this.spawn();
  }

  get inFlight(): number {
    return this.streams.size;
  }

  request(body: Omit<Req, 'id'>): AsyncIterable<Chunk> {
    const queue = new ChunkQueue<Chunk>();
    if (this.stopped) {
      queue.end(new Error('worker is stopped'));
      return queue;
    }
    const id = this.nextId++;
    this.streams.set(id, queue);
    this.worker.postMessage({ ...body, id });
    return queue;
  }

  /**
   * Stops the thread once its current work is done (at most `graceMs`): terminating a thread while native
   * code is calling back into it (flite's audio callback) can bring the whole process down.
   */
  async stop(graceMs = 2_000): Promise<void> {
    this.stopped = true;
    const deadline = Date.now() + graceMs;
    while (this.streams.size > 0 && Date.now() < deadline) await sleep(10);
    await this.worker.terminate();
  }

  private spawn(): Worker {
    const worker = new Worker(this.url);
    worker.unref();
    worker.on('message', (reply: StreamReply<Chunk>) => {
      const queue = this.streams.get(reply.id);
      if (!queue) return;
      if ('chunk' in reply) return queue.push(reply.chunk);
      this.streams.delete(reply.id);
      queue.end('error' in reply ? new Error(reply.error) : undefined);
    });
    let dead = false;
    const die = (reason: string) => {
      if (dead) return;
      dead = true;
      for (const queue of this.streams.values()) queue.end(new Error(`worker thread stopped: ${reason}`));
      this.streams.clear();
      if (!this.stopped) this.worker = this.spawn();
    };
    worker.on('error', (err: Error) => die(err.message));
    worker.on('exit', (code) => die(`exit code ${code}`));
    return worker;
  }
}
