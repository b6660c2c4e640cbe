import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RETRY_POLICY,
  isRetryableStatus,
  parseRetryAfter,
  retryDelayMs,
  retryStream,
  sleep,
  type RetryInfo,
  type RetryPolicy,
} from '../../../src/llm/retry.ts';
import { LlmError } from '../../../src/llm/types.ts';

const fast: RetryPolicy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 1, maxDelayMs: 4, jitterMs: 0 };
const transient = () => new LlmError('LLM_HTTP_503', 'unavailable', { retryable: true, status: 503 });

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('retry policy', () => {
  it('has the seed defaults: 4 attempts, 0.5 s base, factor 2, 8 s cap, 0.2 s jitter', () => {
    expect(DEFAULT_RETRY_POLICY).toMatchObject({
      maxAttempts: 4,
      baseDelayMs: 500,
      factor: 2,
      maxDelayMs: 8000,
      jitterMs: 200,
    });
  });

  it('backs off exponentially up to the cap, plus jitter', () => {
    const noJitter = () => 0;
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelayMs(DEFAULT_RETRY_POLICY, n, undefined, noJitter))).toEqual(
      [500, 1000, 2000, 4000, 8000, 8000],
    );
    expect(retryDelayMs(DEFAULT_RETRY_POLICY, 1, undefined, () => 0.999)).toBeCloseTo(699.8);
  });

  it("prefers the server's hint, capped, without jitter", () => {
    expect(retryDelayMs(DEFAULT_RETRY_POLICY, 3, 1000, () => 0.9)).toBe(1000);
    expect(retryDelayMs(DEFAULT_RETRY_POLICY, 1, 120_000)).toBe(20_000);
    expect(retryDelayMs(DEFAULT_RETRY_POLICY, 1, 0)).toBe(0);
  });

  it('retries 429 and 5xx gateway failures only', () => {
    expect([429, 500, 502, 503, 504].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 408, 413, 422, 501].some(isRetryableStatus)).toBe(false);
  });
});

describe('parseRetryAfter', () => {
  const headers = (entries: Record<string, string>) => new Headers(entries);

  it('reads seconds, fractions, HTTP dates and retry-after-ms', () => {
    expect(parseRetryAfter(headers({ 'retry-after': '1' }))).toBe(1000);
    expect(parseRetryAfter(headers({ 'retry-after': '0.5' }))).toBe(500);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter(headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:03 GMT' }), now)).toBe(3000);
    expect(parseRetryAfter(headers({ 'retry-after': 'Wed, 31 Dec 2025 23:59:00 GMT' }), now)).toBe(0);
    expect(parseRetryAfter(headers({ 'retry-after-ms': '250', 'retry-after': '9' }))).toBe(250);
  });

  it('ignores absent or unreadable values', () => {
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter(headers({}))).toBeUndefined();
    expect(parseRetryAfter(headers({ 'retry-after': 'soon' }))).toBeUndefined();
    expect(parseRetryAfter(headers({ 'retry-after-ms': '-5', 'retry-after': '2' }))).toBe(2000);
  });
});

describe('sleep', () => {
  it('rejects with the signal reason as soon as it aborts', async () => {
    const controller = new AbortController();
    const reason = new LlmError('LLM_ABORTED', 'stop');
    const started = Date.now();
    const waiting = sleep(5000, controller.signal);
    setTimeout(() => controller.abort(reason), 20);
    await expect(waiting).rejects.toBe(reason);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('rejects at once on an aborted signal', async () => {
    await expect(sleep(5000, AbortSignal.abort(new LlmError('LLM_ABORTED', 'x')))).rejects.toBeInstanceOf(
      LlmError,
    );
  });
});

describe('retryStream', () => {
  it('retries a retryable failure that happened before anything was yielded', async () => {
    const retries: RetryInfo[] = [];
    let calls = 0;
    const items = await collect(
      retryStream(
        async function* (attempt) {
          calls += 1;
          if (attempt < 3) throw transient();
          yield 'ok';
        },
        { policy: fast, onRetry: (info) => retries.push(info) },
      ),
    );
    expect(items).toEqual(['ok']);
    expect(calls).toBe(3);
    expect(retries.map((r) => [r.attempt, r.delayMs, r.error.code])).toEqual([
      [1, 1, 'LLM_HTTP_503'],
      [2, 2, 'LLM_HTTP_503'],
    ]);
  });

  it('never retries once an item was yielded', async () => {
    let calls = 0;
    const seen: string[] = [];
    const run = async () => {
      for await (const item of retryStream(
        async function* () {
          calls += 1;
          yield 'partial';
          throw transient();
        },
        { policy: fast },
      ))
        seen.push(item);
    };
    await expect(run()).rejects.toMatchObject({ code: 'LLM_HTTP_503' });
    expect(calls).toBe(1);
    expect(seen).toEqual(['partial']);
  });

  it('does not retry non-retryable errors or foreign errors', async () => {
    let calls = 0;
    const failing = (error: Error) =>
      retryStream(
        async function* () {
          calls += 1;
          yield* [];
          throw error;
        },
        { policy: fast },
      );
    await expect(
      collect(failing(new LlmError('LLM_HTTP_400', 'bad', { status: 400 }))),
    ).rejects.toMatchObject({
      code: 'LLM_HTTP_400',
    });
    await expect(collect(failing(new Error('bug')))).rejects.toThrow('bug');
    expect(calls).toBe(2);
  });

  it('gives up after maxAttempts and throws the last error', async () => {
    let calls = 0;
    const stream = retryStream(
      async function* () {
        calls += 1;
        yield* [];
        throw transient();
      },
      { policy: { ...fast, maxAttempts: 3 } },
    );
    await expect(collect(stream)).rejects.toMatchObject({ code: 'LLM_HTTP_503' });
    expect(calls).toBe(3);
  });

  it('honours the error’s retryAfterMs', async () => {
    let calls = 0;
    const started = Date.now();
    await collect(
      retryStream(
        async function* () {
          calls += 1;
          if (calls === 1)
            throw new LlmError('LLM_HTTP_429', 'slow down', { retryable: true, retryAfterMs: 150 });
          yield 1;
        },
        { policy: fast },
      ),
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('does not start a wait that would end after the deadline', async () => {
    let calls = 0;
    const stream = retryStream(
      async function* () {
        calls += 1;
        yield* [];
        throw new LlmError('LLM_HTTP_429', 'slow down', { retryable: true, retryAfterMs: 5000 });
      },
      { policy: fast, deadline: Date.now() + 1000 },
    );
    const started = Date.now();
    await expect(collect(stream)).rejects.toMatchObject({ code: 'LLM_HTTP_429' });
    expect(calls).toBe(1);
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('stops waiting when the signal aborts', async () => {
    const controller = new AbortController();
    const stream = retryStream(
      async function* () {
        yield* [];
        throw new LlmError('LLM_HTTP_503', 'x', { retryable: true, retryAfterMs: 10_000 });
      },
      { policy: fast, signal: controller.signal },
    );
    setTimeout(() => controller.abort(new LlmError('LLM_ABORTED', 'caller left')), 20);
    const started = Date.now();
    await expect(collect(stream)).rejects.toMatchObject({ code: 'LLM_ABORTED' });
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
