import type { MemoManager } from '../../state/memo-manager.ts';

/** Where timings go besides the session: Prometheus, span attributes. */
export type LatencyObserver = (stage: string, ms: number) => void;

/**
 * The seed's LatencyTool: named timers (`start(name)` / `stop(name)`) grouped in runs, one run per turn.
 * Each stopped timer becomes a sample in the session's memory (summarised per session by the sessions
 * API) and goes to the observer; the current run's values make the turn's metrics.
 */
export class LatencyTool {
  private readonly memo: MemoManager | undefined;
  private readonly observe: LatencyObserver | undefined;
  private started = new Map<string, number>();
  private values: Record<string, number> = {};
  private runId = 0;

  constructor(memo?: MemoManager, observe?: LatencyObserver) {
    this.memo = memo;
    this.observe = observe;
  }

  /** Starts a new run (a turn): earlier timers and values are forgotten. */
  beginRun(): number {
    this.started = new Map();
    this.values = {};
    return ++this.runId;
  }

  /** Starts (or restarts) a timer; `at` is a performance.now() time, now by default. */
  start(name: string, at = performance.now()): void {
    this.started.set(name, at);
  }

  has(name: string): boolean {
    return this.started.has(name) || name in this.values;
  }

  /** Stops a started timer and records it once; later stops of the same timer are ignored. */
  stop(name: string, at = performance.now()): number | undefined {
    const startedAt = this.started.get(name);
    if (startedAt === undefined || name in this.values) return undefined;
    return this.record(name, at - startedAt);
  }

  /** Records a duration measured elsewhere. */
  record(name: string, ms: number): number {
    const rounded = Math.max(0, Math.round(ms * 10) / 10);
    this.values[name] = rounded;
    this.memo?.addLatencySample(name, rounded);
    this.observe?.(name, rounded);
    return rounded;
  }

  /** The current run's recorded durations. */
  get run(): Readonly<Record<string, number>> {
    return this.values;
  }
}
