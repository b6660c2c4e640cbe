import { RtvoiceError, errorMessage } from '../errors.ts';

/** How a pool makes and unmakes its resources. */
export interface PoolFactory<T> {
  create(): Promise<T>;
  destroy(resource: T): Promise<void> | void;
  /** False for a resource that broke while idle (a closed recognizer): it is destroyed, not handed out. */
  isUsable?(resource: T): boolean;
}

export interface PoolOptions {
  /** Used in metrics and errors. */
  readonly name: string;
  /** Resources in existence at most: idle, in use and parked together. */
  readonly maxSize: number;
  /** Idle resources kept ready; refilled in the background after each acquisition. */
  readonly warmSize: number;
  /** How long `acquire` waits for a free resource before it fails. */
  readonly acquireTimeoutMs: number;
  /** How long a resource released by a session stays reserved for it before it joins the warm tier. */
  readonly sessionHoldMs: number;
  /**
   * Default 0: the warm tier is refilled at once, all missing resources together. Above 0, it is refilled
   * one resource at a time, each this long after the last: a resource whose creation blocks the event loop
   * is then made neither while the call that took the last one starts, nor many in one go.
   */
  readonly refillDelayMs?: number;
}

/** Where an acquired resource came from. */
export type PoolTier = 'dedicated' | 'warm' | 'cold';

export interface AcquireOptions {
  /** The session asking: it gets back the resource it released last, if still held for it. */
  readonly sessionId?: string | undefined;
  readonly timeoutMs?: number | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** What the pool reports to metrics; implemented in pools/pool-metrics.ts. */
export interface PoolObserver {
  acquired(tier: PoolTier, waitedMs: number): void;
  exhausted(): void;
  createFailed(): void;
}

export class PoolExhaustedError extends RtvoiceError {
  constructor(pool: string, timeoutMs: number, maxSize: number) {
    super(
      'POOL_EXHAUSTED',
      `the ${pool} pool had no free resource within ${timeoutMs} ms (all ${maxSize} in use); raise its size or add instances`,
    );
  }
}

export class PoolOwnershipError extends RtvoiceError {
  constructor(pool: string) {
    super(
      'POOL_OWNERSHIP',
      `released a resource the ${pool} pool did not lend (or lent and got back already)`,
    );
  }
}

interface Waiter<T> {
  readonly sessionId: string | undefined;
  resolve(resource: T, tier: PoolTier): void;
  reject(error: Error): void;
}

interface Held<T> {
  readonly resource: T;
  readonly timer: NodeJS.Timeout;
}

/**
 * A bounded pool of costly resources (speech recognizers, synthesizers, LLM clients) with three tiers:
 * the session's own held resource, then a warm idle one, then a cold one created on demand up to
 * `maxSize`. Every resource has exactly one owner; `acquire` never waits past its timeout.
 */
export class ResourcePool<T> {
  readonly options: PoolOptions;
  private readonly factory: PoolFactory<T>;
  private readonly observer: PoolObserver | undefined;
  private readonly idle: T[] = [];
  private readonly lent = new Map<T, string | undefined>();
  private readonly held = new Map<string, Held<T>>();
  private readonly waiters: Waiter<T>[] = [];
  private creating = 0;
  private refilling = false;
  private draining = false;

  constructor(factory: PoolFactory<T>, options: PoolOptions, observer?: PoolObserver) {
    if (options.warmSize > options.maxSize) throw new RangeError(`${options.name}: warmSize exceeds maxSize`);
    this.factory = factory;
    this.options = options;
    this.observer = observer;
  }

  /** Creates the warm tier, all in parallel; resolves when it is full. */
  async prepare(): Promise<void> {
    await Promise.all(Array.from({ length: this.missing() }, () => this.createInto()));
  }

  async acquire(options: AcquireOptions = {}): Promise<T> {
    if (this.draining) throw new RtvoiceError('POOL_CLOSED', `the ${this.options.name} pool is shut down`);
    const started = performance.now();
    const immediate = this.takeAvailable(options.sessionId);
    if (immediate) return this.lend(immediate.resource, immediate.tier, options.sessionId, started);
    if (this.size < this.options.maxSize) {
      this.creating += 1;
      try {
        const resource = await this.factory.create();
        return this.lend(resource, 'cold', options.sessionId, started);
      } catch (err) {
        this.observer?.createFailed();
        throw new RtvoiceError(
          'POOL_CREATE_FAILED',
          `the ${this.options.name} pool could not create a resource: ${errorMessage(err)}`,
          {
            cause: err,
          },
        );
      } finally {
        this.creating -= 1;
      }
    }
    return this.wait(options, started);
  }

  /** Gives a resource back. With `sessionId` it is held for that session for `sessionHoldMs`. */
  release(resource: T): void {
    if (!this.lent.has(resource)) throw new PoolOwnershipError(this.options.name);
    const sessionId = this.lent.get(resource);
    this.lent.delete(resource);
    if (!this.usable(resource)) {
      void this.destroy(resource);
      this.scheduleRefill();
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter.resolve(
        resource,
        sessionId !== undefined && waiter.sessionId === sessionId ? 'dedicated' : 'warm',
      );
      return;
    }
    if (sessionId !== undefined && this.options.sessionHoldMs > 0) {
      this.hold(sessionId, resource);
      return;
    }
    this.idle.push(resource);
  }

  /** Takes a broken resource out of circulation instead of returning it. */
  async discard(resource: T): Promise<void> {
    if (!this.lent.delete(resource)) throw new PoolOwnershipError(this.options.name);
    await this.destroy(resource);
    this.scheduleRefill();
  }

  /** Runs `use` with a resource and always gives it back, even when `use` throws. */
  async lease<R>(use: (resource: T) => Promise<R>, options: AcquireOptions = {}): Promise<R> {
    const resource = await this.acquire(options);
    try {
      return await use(resource);
    } finally {
      this.release(resource);
    }
  }

  /** Refuses new acquisitions, fails the waiting ones and destroys every idle and held resource. */
  async drain(): Promise<void> {
    this.draining = true;
    for (const waiter of this.waiters.splice(0))
      waiter.reject(new RtvoiceError('POOL_CLOSED', `the ${this.options.name} pool is shut down`));
    const idle = this.idle.splice(0);
    const held = [...this.held.values()];
    this.held.clear();
    for (const { timer } of held) clearTimeout(timer);
    await Promise.all([...idle, ...held.map((h) => h.resource)].map((resource) => this.destroy(resource)));
  }

  /** Resources in existence (idle, lent, held and being created). */
  get size(): number {
    return this.idle.length + this.lent.size + this.held.size + this.creating;
  }

  stats(): { size: number; inUse: number; warm: number; held: number; waiters: number } {
    return {
      size: this.size,
      inUse: this.lent.size,
      warm: this.idle.length,
      held: this.held.size,
      waiters: this.waiters.length,
    };
  }

  private takeAvailable(sessionId: string | undefined): { resource: T; tier: PoolTier } | undefined {
    const held = sessionId === undefined ? undefined : this.held.get(sessionId);
    if (held) {
      this.held.delete(sessionId!);
      clearTimeout(held.timer);
      if (this.usable(held.resource)) return { resource: held.resource, tier: 'dedicated' };
      void this.destroy(held.resource);
    }
    while (this.idle.length > 0) {
      const resource = this.idle.pop()!;
      if (this.usable(resource)) return { resource, tier: 'warm' };
      void this.destroy(resource);
    }
    // At capacity, a resource kept for a session that may come back goes to a caller who is here now.
    if (this.size >= this.options.maxSize) {
      for (const [owner, kept] of this.held) {
        this.held.delete(owner);
        clearTimeout(kept.timer);
        if (this.usable(kept.resource)) return { resource: kept.resource, tier: 'warm' };
        void this.destroy(kept.resource);
      }
    }
    return undefined;
  }

  private lend(resource: T, tier: PoolTier, sessionId: string | undefined, started: number): T {
    this.lent.set(resource, sessionId);
    this.observer?.acquired(tier, performance.now() - started);
    this.scheduleRefill();
    return resource;
  }

  private wait(options: AcquireOptions, started: number): Promise<T> {
    const timeoutMs = options.timeoutMs ?? this.options.acquireTimeoutMs;
    return new Promise<T>((resolve, reject) => {
      const settle = () => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
      };
      const waiter: Waiter<T> = {
        sessionId: options.sessionId,
        resolve: (resource, tier) => {
          settle();
          resolve(this.lend(resource, tier, options.sessionId, started));
        },
        reject: (error) => {
          settle();
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        this.observer?.exhausted();
        waiter.reject(new PoolExhaustedError(this.options.name, timeoutMs, this.options.maxSize));
      }, timeoutMs);
      const onAbort = () =>
        waiter.reject(new RtvoiceError('ABORTED', `gave up waiting for the ${this.options.name} pool`));
      if (options.signal?.aborted) return onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private hold(sessionId: string, resource: T): void {
    const previous = this.held.get(sessionId);
    if (previous) {
      clearTimeout(previous.timer);
      this.idle.push(previous.resource);
    }
    const timer = setTimeout(() => {
      this.held.delete(sessionId);
      const waiter = this.waiters.shift();
      if (waiter) waiter.resolve(resource, 'warm');
      else this.idle.push(resource);
    }, this.options.sessionHoldMs);
    timer.unref();
    this.held.set(sessionId, { resource, timer });
  }

  /** Tops the warm tier up in the background; failures are counted and retried on the next acquisition. */
  private scheduleRefill(): void {
    if (this.refilling || this.draining) return;
    const delay = this.options.refillDelayMs ?? 0;
    if (delay <= 0) return this.refill(Number.POSITIVE_INFINITY);
    if (this.missing() <= 0) return;
    this.refilling = true;
    setTimeout(() => {
      this.refilling = false;
      this.refill(1);
    }, delay).unref();
  }

  /** Warm resources the tier lacks, within the pool's size. */
  private missing(): number {
    return Math.min(
      this.options.warmSize - this.idle.length - this.creating,
      this.options.maxSize - this.size,
    );
  }

  /** Creates up to `most` of the missing warm resources; with a refill delay, goes on one at a time. */
  private refill(most: number): void {
    if (this.refilling || this.draining) return;
    const count = Math.min(this.missing(), most);
    if (count <= 0) return;
    this.refilling = true;
    void Promise.all(
      Array.from({ length: count }, () => this.createInto().catch(() => this.observer?.createFailed())),
    ).finally(() => {
      this.refilling = false;
      if ((this.options.refillDelayMs ?? 0) > 0) this.scheduleRefill();
    });
  }

  private async createInto(): Promise<void> {
    this.creating += 1;
    let resource: T;
    try {
      resource = await this.factory.create();
    } finally {
      this.creating -= 1;
    }
    if (this.draining) return void (await this.destroy(resource));
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve(resource, 'cold');
    else this.idle.push(resource);
  }

  private usable(resource: T): boolean {
    return this.factory.isUsable?.(resource) ?? true;
  }

  private async destroy(resource: T): Promise<void> {
    try {
      await this.factory.destroy(resource);
    } catch {
      // A resource that fails to close is gone either way.
    }
  }
}
