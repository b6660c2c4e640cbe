import { errorMessage } from '../errors.ts';

/** One dependency the server needs to serve calls. `run` rejects (with a reason) when it is unhealthy. */
export interface ReadinessCheck {
  readonly name: string;
  run(signal: AbortSignal): Promise<void>;
}

export interface CheckResult {
  readonly status: 'healthy' | 'unhealthy';
  readonly latency_ms: number;
  readonly error?: string;
}

export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: Record<string, CheckResult>;
}

/** Runs every check in parallel, each bounded by `timeoutMs`, so one hung dependency cannot hang the probe. */
export async function runReadinessChecks(
  checks: readonly ReadinessCheck[],
  timeoutMs: number,
): Promise<ReadinessReport> {
  const results = await Promise.all(checks.map((check) => runOne(check, timeoutMs)));
  return {
    ready: results.every((result) => result.status === 'healthy'),
    checks: Object.fromEntries(checks.map((check, i) => [check.name, results[i]!])),
  };
}

async function runOne(check: ReadinessCheck, timeoutMs: number): Promise<CheckResult> {
  const started = performance.now();
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`no answer within ${timeoutMs} ms`));
      controller.abort();
    }, timeoutMs);
  });
  const latency = () => Math.round(performance.now() - started);
  try {
    await Promise.race([check.run(controller.signal), timedOut]);
    return { status: 'healthy', latency_ms: latency() };
  } catch (err) {
    return { status: 'unhealthy', latency_ms: latency(), error: errorMessage(err) };
  } finally {
    clearTimeout(timer);
  }
}
