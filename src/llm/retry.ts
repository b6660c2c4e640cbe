import { setTimeout as wait } from 'node:timers/promises';
import { LlmError } from './types.ts';

/** Backoff settings; the defaults are the seed's AOAI retry policy (SEED_SYSTEM.md §12.3). */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  factor: number;
  maxDelayMs: number;
  /** A random 0..jitterMs added to each computed delay, so many sessions do not retry in lockstep. */
  jitterMs: number;
  /** A server's Retry-After is honoured up to this long; a longer hint is shortened to it. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = {
  maxAttempts: 4,
  baseDelayMs: 500,
  factor: 2,
  maxDelayMs: 8000,
  jitterMs: 200,
  maxRetryAfterMs: 20_000,
};

/** Statuses worth another try: rate limited, or a server / gateway failure. */
const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 500, 502, 503, 504]);

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status);
}

/**
 * The wait before retry number `retry` (1 for the first retry): the server's hint when it gave one,
 * otherwise base × factor^(retry−1), capped, plus jitter.
 */
export function retryDelayMs(
  policy: RetryPolicy,
  retry: number,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== undefined) return Math.min(Math.max(0, retryAfterMs), policy.maxRetryAfterMs);
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * policy.factor ** (retry - 1));
  return exponential + random() * policy.jitterMs;
}

interface HeaderSource {
  get(name: string): string | null;
}

/**
 * The server's retry hint in milliseconds: `retry-after-ms` (Azure, OpenAI) first, then `Retry-After` as
 * seconds or as an HTTP date. Undefined when absent or unreadable.
 */
export function parseRetryAfter(headers: HeaderSource | undefined, now = Date.now()): number | undefined {
  const ms = headers?.get('retry-after-ms');
  if (ms) {
    const value = Number(ms);
    if (Number.isFinite(value) && value >= 0) return value;
  }
  const after = headers?.get('retry-after')?.trim();
  if (!after) return undefined;
  if (/^\d+(\.\d+)?$/.test(after)) return Number(after) * 1000;
  const date = Date.parse(after);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return wait(ms, undefined, { signal }).catch(() => Promise.reject(signal?.reason as Error));
}

export interface RetryInfo {
  /** The attempt that failed (1 for the first). */
  attempt: number;
  delayMs: number;
  error: LlmError;
}

export interface RetryStreamOptions {
  policy?: RetryPolicy;
  /** Aborts a backoff wait at once (the wait rejects with the signal's reason). */
  signal?: AbortSignal;
  /** Epoch ms; a wait that would end after it is not started, the error is thrown instead. */
  deadline?: number;
  onRetry?: (info: RetryInfo) => void;
  random?: () => number;
}

/**
 * Runs `attempt` and passes its items through. A retryable `LlmError` starts the next attempt after a
 * backoff, but only while no item has been passed on: once the consumer has seen output, a retry could
 * repeat it, so the failure is thrown instead.
 */
export async function* retryStream<T>(
  attempt: (attemptNumber: number) => AsyncIterable<T>,
  options: RetryStreamOptions = {},
): AsyncGenerator<T, void, undefined> {
  const policy = options.policy ?? DEFAULT_RETRY_POLICY;
  for (let attemptNumber = 1; ; attemptNumber++) {
    let yielded = false;
    try {
      for await (const item of attempt(attemptNumber)) {
        yielded = true;
        yield item;
      }
      return;
    } catch (err) {
      if (yielded || !(err instanceof LlmError) || !err.retryable || attemptNumber >= policy.maxAttempts)
        throw err;
      const delayMs = retryDelayMs(policy, attemptNumber, err.retryAfterMs, options.random);
      if (options.deadline !== undefined && Date.now() + delayMs >= options.deadline) throw err;
      options.onRetry?.({ attempt: attemptNumber, delayMs, error: err });
      await sleep(delayMs, options.signal);
    }
  }
}
