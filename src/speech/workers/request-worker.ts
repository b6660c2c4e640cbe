import { Worker } from 'node:worker_threads';

interface Pending<Res> {
  resolve(result: Res): void;
  reject(error: Error): void;
}

/**
 * A worker thread answering requests by id, one answer per request. When the thread dies, every pending
 * request rejects and a fresh thread takes its place, so one crash costs only the requests in flight.
 */
export class RequestWorker<Req extends { id: number }, Res extends { id: number }> {
  private worker: Worker;
  private readonly pending = new Map<number, Pending<Res>>();
  private readonly url: URL;
  private nextId = 1;
  private stopped = false;

  constructor(url: URL) {
    this.url = url;
    this.worker = this.spawn();
  }

  get inFlight(): number {
    return this.pending.size;
  }

  request(body: Omit<Req, 'id'>): Promise<Res> {
    if (this.stopped) return Promise.reject(new Error('worker is stopped'));
    const id = this.nextId++;
    return new Promise<Res>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...body, id });
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.worker.terminate();
  }

  private spawn(): Worker {
    const worker = new Worker(this.url);
    worker.unref();
    worker.on('message', (message: Res) => {
      const pending = this.pending.get(message.id);
      this.pending.delete(message.id);
      pending?.resolve(message);
    });
    let dead = false;
    const die = (reason: string) => {
      if (dead) return;
      dead = true;
      const error = new Error(`worker thread stopped: ${reason}`);
      for (const pending of this.pending.values()) pending.reject(error);
      this.pending.clear();
      if (!this.stopped) this.worker = this.spawn();
    };
    worker.on('error', (err: Error) => die(err.message));
    worker.on('exit', (code) => die(`exit code ${code}`));
    return worker;
  }
}
