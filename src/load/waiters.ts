export interface WaitOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

export type WaitResult =
  | { readonly ok: true; readonly atMs: number }
  | { readonly ok: false; readonly reason: 'timeout' | 'closed' | 'aborted' };

interface Waiter {
  readonly test: (now: number) => boolean;
  readonly settle: (result: WaitResult) => void;
}

/** Things a caller waits for (agent speech, agent silence), each settled once: when it holds, or not. */
export class Waiters {
  private readonly pending = new Set<Waiter>();

  /** Resolves once `test` holds at a `check`; `onTimeout` runs when it did not in time. */
  add(test: (now: number) => boolean, options: WaitOptions, onTimeout: () => void): Promise<WaitResult> {
    if (options.signal?.aborted) return Promise.resolve({ ok: false, reason: 'aborted' });
    return new Promise<WaitResult>((resolve) => {
      const onAbort = () => waiter.settle({ ok: false, reason: 'aborted' });
      const timer = setTimeout(() => {
        onTimeout();
        waiter.settle({ ok: false, reason: 'timeout' });
      }, options.timeoutMs);
      const waiter: Waiter = {
        test,
        settle: (result) => {
          clearTimeout(timer);
          options.signal?.removeEventListener('abort', onAbort);
          this.pending.delete(waiter);
          resolve(result);
        },
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.add(waiter);
    });
  }

  /** Settles every waiter whose test holds now; `atMs` is the moment it reports. */
  check(now: number, atMs: number): void {
    if (this.pending.size === 0) return;
    for (const waiter of this.pending) if (waiter.test(now)) waiter.settle({ ok: true, atMs });
  }

  /** The call ended: nothing more will hold. */
  close(): void {
    for (const waiter of this.pending) waiter.settle({ ok: false, reason: 'closed' });
  }
}
