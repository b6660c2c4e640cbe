import { build, type Histogram } from 'hdr-histogram-js';
import type { CallErrorKind, CallRecord, TurnRecord } from './call-record.ts';

/**
 * The JSON report of a load run: latency percentiles per metric (HDR histograms), overall and per turn
 * index, call and error counts, frame totals and the run's timeline. Every time is in milliseconds,
 * rounded to 0.1 ms, and measured on the callers' side.
 */

export const LOAD_METRICS = [
  'connect_ms',
  'greeting_ttfb_ms',
  'voice_to_voice_ms',
  'barge_in_stop_ms',
  'agent_speech_ms',
] as const;
export type LoadMetric = (typeof LOAD_METRICS)[number];

/** The metrics a turn has; the others are one per call. */
export const PER_TURN_METRICS = ['voice_to_voice_ms', 'barge_in_stop_ms', 'agent_speech_ms'] as const;
export type PerTurnMetric = (typeof PER_TURN_METRICS)[number];

/** The statistics of a metric, in the order reports show them. */
export const PERCENTILE_STATS = ['p50', 'p75', 'p90', 'p95', 'p99', 'max', 'mean'] as const;
export type PercentileStat = (typeof PERCENTILE_STATS)[number];

/**
 * Statistics of one metric in ms. With no samples (`count` 0) every value is null: a 0 would read as
 * "instant" and pass any latency SLO.
 */
export interface Percentiles {
  count: number;
  mean: number | null;
  p50: number | null;
  p75: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

/**
 * Sample counts of a metric in equal-width bins, for the HTML report's distribution plots: bin `i` holds
 * the samples in [from_ms + i × bin_ms, from_ms + (i + 1) × bin_ms).
 */
export interface Distribution {
  from_ms: number;
  bin_ms: number;
  counts: number[];
  /** Samples past the last bin: far outliers (beyond 1.5 × p99) are counted apart so they do not squeeze the plot. */
  above: number;
}

/** One sample of the run's progress, taken by the runner (see LiveStats.timelinePoint). */
export interface TimelinePoint {
  /** Since the run started. */
  t_ms: number;
  active: number;
  done: number;
  errors: number;
  /** Over the last samples (LiveStats' window), null before the first reply. */
  voice_to_voice_p95_ms: number | null;
}

export interface LoadRunInfo {
  url: string;
  protocol: 'acs' | 'browser';
  concurrency: number;
  conversations: number;
  turns: number;
  ramp_up_s: number;
  duration_s: number | null;
  scenario: string | null;
  started_at: string;
  finished_at: string;
  machine: string;
}

export interface LoadErrorEntry {
  /** The call's position in the records given to buildReport (the runner's call number). */
  call: number;
  session_id: string;
  kind: string;
  reason: string;
  /** Since that call's connect(). */
  at_ms: number;
}

export interface LoadReport {
  run: LoadRunInfo;
  calls: { total: number; completed: number; failed: number };
  metrics: Record<LoadMetric, Percentiles>;
  /** By turn index within a call (0-based, as TurnRecord.index), for the per-turn metrics. */
  per_turn: { turn: number; metrics: Partial<Record<LoadMetric, Percentiles>> }[];
  /** `count` and `by_kind` are exact; `list` keeps the first MAX_LISTED_ERRORS (each call keeps its first 100). */
  errors: { count: number; by_kind: Record<string, number>; list: LoadErrorEntry[] };
  frames: { in: number; out: number; bytes_in: number; bytes_out: number };
  distributions: Record<LoadMetric, Distribution>;
  timeline: TimelinePoint[];
}

/** A report of 10 000 broken calls stays readable; the counts stay exact. */
export const MAX_LISTED_ERRORS = 1000;

/** Errors that mean the call as a whole did not happen or was cut off by the server. */
export const CALL_FAILING_ERRORS: readonly CallErrorKind[] = [
  'connect_failed',
  'connect_timeout',
  'upgrade_refused',
  'server_closed',
];

/** Failed: it never connected, the server cut it off, or it ended by an error; else completed. */
export function isFailedCall(record: CallRecord): boolean {
  if (record.endedBy === 'error') return true;
  return CALL_FAILING_ERRORS.some((kind) => (record.errorCounts[kind] ?? 0) > 0);
}

export function buildReport(
  records: readonly CallRecord[],
  timeline: readonly TimelinePoint[],
  run: LoadRunInfo,
): LoadReport {
  const overall = Object.fromEntries(LOAD_METRICS.map((metric) => [metric, new Samples(true)])) as Record<
    LoadMetric,
    Samples
  >;
  const perTurn = new Map<number, Record<PerTurnMetric, Samples>>();
  const byKind: Record<string, number> = {};
  const list: LoadErrorEntry[] = [];
  const frames = { in: 0, out: 0, bytes_in: 0, bytes_out: 0 };
  let errorCount = 0;
  let failed = 0;

  records.forEach((record, call) => {
    if (isFailedCall(record)) failed += 1;
    overall.connect_ms.add(record.connectMs);
    overall.greeting_ttfb_ms.add(record.greetingTtfbMs);
    for (const turn of record.turns) {
      let samples = perTurn.get(turn.index);
      if (!samples) {
        samples = {
          voice_to_voice_ms: new Samples(false),
          barge_in_stop_ms: new Samples(false),
          agent_speech_ms: new Samples(false),
        };
        perTurn.set(turn.index, samples);
      }
      for (const metric of PER_TURN_METRICS) {
        const value = turnValue(turn, metric);
        overall[metric].add(value);
        samples[metric].add(value);
      }
    }
    for (const [kind, count] of Object.entries(record.errorCounts)) {
      byKind[kind] = (byKind[kind] ?? 0) + count;
      errorCount += count;
    }
    for (const error of record.errors) {
      if (list.length >= MAX_LISTED_ERRORS) break;
      list.push({
        call,
        session_id: record.sessionId,
        kind: error.kind,
        reason: error.reason,
        at_ms: round(error.atMs),
      });
    }
    frames.in += record.framesIn;
    frames.out += record.framesOut;
    frames.bytes_in += record.bytesIn;
    frames.bytes_out += record.bytesOut;
  });

  return {
    run: { ...run },
    calls: { total: records.length, completed: records.length - failed, failed },
    metrics: mapMetrics(LOAD_METRICS, (metric) => overall[metric].percentiles()),
    per_turn: [...perTurn.entries()]
      .sort(([a], [b]) => a - b)
      .map(([turn, samples]) => ({
        turn,
        metrics: mapMetrics(PER_TURN_METRICS, (metric) => samples[metric].percentiles()),
      })),
    errors: { count: errorCount, by_kind: byKind, list },
    frames,
    distributions: mapMetrics(LOAD_METRICS, (metric) => overall[metric].distribution()),
    timeline: [...timeline]
      .sort((a, b) => a.t_ms - b.t_ms)
      .map((point) => ({
        ...point,
        t_ms: round(point.t_ms),
        voice_to_voice_p95_ms:
          point.voice_to_voice_p95_ms === null ? null : round(point.voice_to_voice_p95_ms),
      })),
  };
}

/**
 * A turn's sample of a metric. agent_speech_ms counts only turns the agent answered: a turn with no reply
 * is a voice-to-voice failure, not a 0 ms answer.
 */
function turnValue(turn: TurnRecord, metric: PerTurnMetric): number | undefined {
  if (metric === 'voice_to_voice_ms') return turn.voiceToVoiceMs;
  if (metric === 'barge_in_stop_ms') return turn.bargeInStopMs;
  return turn.agentFirstAudioMs === undefined ? undefined : turn.agentSpeechMs;
}

function mapMetrics<M extends LoadMetric, T>(metrics: readonly M[], fn: (metric: M) => T): Record<M, T> {
  return Object.fromEntries(metrics.map((metric) => [metric, fn(metric)])) as Record<M, T>;
}

export function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/** HDR histogram unit: 0.1 ms, the precision of the report. */
const UNITS_PER_MS = 10;
/**
 * The initial range, 6 s (≈200 KB a histogram at 4 digits); autoResize grows it for longer samples (a
 * 10-minute call adds ≈450 KB), so memory follows the values actually seen.
 */
const INITIAL_HIGHEST_UNITS = 6000 * UNITS_PER_MS;
/** Bins of a distribution plot, about. */
const TARGET_BINS = 30;

/**
 * One metric's samples: an HDR histogram for the percentiles (4 significant digits: exact to 0.1 ms up to
 * 1.6 s, within 0.01 % above), exact count/sum/max beside it (HDR reports the top of a value's bucket),
 * and, for overall metrics, the raw values to bin for the distribution plot.
 */
class Samples {
  private readonly histogram: Histogram = build({
    // Not 'packed': in hdr-histogram-js 3.0.1 it gives wrong percentiles at 4 significant digits.
    bitBucketSize: 32,
    useWebAssembly: false,
    autoResize: true,
    lowestDiscernibleValue: 1,
    highestTrackableValue: INITIAL_HIGHEST_UNITS,
    numberOfSignificantValueDigits: 4,
  });
  private readonly values: number[] | undefined;
  private count = 0;
  private sum = 0;
  private max = 0;

  constructor(keepValues: boolean) {
    this.values = keepValues ? [] : undefined;
  }

  add(ms: number | undefined): void {
    if (ms === undefined || !Number.isFinite(ms)) return;
    // Clock jitter between two performance.now() readings must not make a negative sample.
    const value = Math.max(0, ms);
    this.histogram.recordValue(Math.round(value * UNITS_PER_MS));
    this.values?.push(value);
    this.count += 1;
    this.sum += value;
    if (value > this.max) this.max = value;
  }

  percentiles(): Percentiles {
    if (this.count === 0)
      return { count: 0, mean: null, p50: null, p75: null, p90: null, p95: null, p99: null, max: null };
    const max = round(this.max);
    const at = (percentile: number) =>
      Math.min(max, round(this.histogram.getValueAtPercentile(percentile) / UNITS_PER_MS));
    return {
      count: this.count,
      mean: round(this.sum / this.count),
      p50: at(50),
      p75: at(75),
      p90: at(90),
      p95: at(95),
      p99: at(99),
      max,
    };
  }

  distribution(): Distribution {
    const values = this.values ?? [];
    if (values.length === 0) return { from_ms: 0, bin_ms: 0, counts: [], above: 0 };
    const min = values.reduce((a, b) => Math.min(a, b), Number.POSITIVE_INFINITY);
    const p99 = this.histogram.getValueAtPercentile(99) / UNITS_PER_MS;
    const top = Math.min(this.max, Math.max(p99 * 1.5, min + 1));
    const binMs = niceStep((top - min) / TARGET_BINS);
    const from = Math.floor(min / binMs) * binMs;
    const bins = Math.max(1, Math.floor((top - from) / binMs) + 1);
    const counts = new Array<number>(bins).fill(0);
    let above = 0;
    for (const value of values) {
      const bin = Math.floor((value - from) / binMs);
      if (bin < bins) counts[Math.max(0, bin)]! += 1;
      else above += 1;
    }
    return { from_ms: round(from), bin_ms: binMs, counts, above };
  }
}

/** 1, 2 or 5 × a power of ten, at least `raw` (and 0.1 ms at the least). */
function niceStep(raw: number): number {
  if (!(raw > 0.1)) return 0.1;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((candidate) => candidate >= raw) ?? 10 * power;
  return Number(step.toPrecision(6));
}

export interface LiveSnapshot {
  active: number;
  done: number;
  completed: number;
  failed: number;
  errors: number;
  /** Turns with a voice-to-voice sample so far. */
  replies: number;
  /** Over the last `window` replies; null before the first. */
  voice_to_voice_p50_ms: number | null;
  voice_to_voice_p95_ms: number | null;
}

/**
 * Running numbers for the live progress line and the timeline: counts, and voice-to-voice percentiles over
 * the last `window` replies (recent, so a server that degrades shows at once; a ring buffer so it stays
 * cheap). Feed it callStarted(), addTurn() as each turn ends, and callEnded() with the final record (which
 * counts the call and its errors, not its turns again).
 */
export class LiveStats {
  private readonly window: Float64Array;
  private filled = 0;
  private next = 0;
  private replies = 0;
  private active = 0;
  private done = 0;
  private failed = 0;
  private errors = 0;

  constructor(options: { readonly window?: number } = {}) {
    const window = options.window ?? 200;
    if (!Number.isInteger(window) || window < 1) throw new RangeError(`window must be ≥ 1, not ${window}`);
    this.window = new Float64Array(window);
  }

  callStarted(): void {
    this.active += 1;
  }

  addTurn(turn: { readonly voiceToVoiceMs?: number | undefined }): void {
    const value = turn.voiceToVoiceMs;
    if (value === undefined || !Number.isFinite(value)) return;
    this.window[this.next] = Math.max(0, value);
    this.next = (this.next + 1) % this.window.length;
    this.filled = Math.min(this.filled + 1, this.window.length);
    this.replies += 1;
  }

  callEnded(record: CallRecord): void {
    this.active = Math.max(0, this.active - 1);
    this.done += 1;
    if (isFailedCall(record)) this.failed += 1;
    for (const count of Object.values(record.errorCounts)) this.errors += count;
  }

  snapshot(): LiveSnapshot {
    const sorted = this.window.slice(0, this.filled).sort();
    return {
      active: this.active,
      done: this.done,
      completed: this.done - this.failed,
      failed: this.failed,
      errors: this.errors,
      replies: this.replies,
      voice_to_voice_p50_ms: nearestRank(sorted, 50),
      voice_to_voice_p95_ms: nearestRank(sorted, 95),
    };
  }

  /** A timeline sample for buildReport, `tMs` after the run started. */
  timelinePoint(tMs: number): TimelinePoint {
    const snapshot = this.snapshot();
    return {
      t_ms: round(tMs),
      active: snapshot.active,
      done: snapshot.done,
      errors: snapshot.errors,
      voice_to_voice_p95_ms: snapshot.voice_to_voice_p95_ms,
    };
  }
}

/** The smallest sample with at least `percentile` % of the samples at or below it, as HDR picks it. */
function nearestRank(sorted: Float64Array, percentile: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((percentile / 100) * sorted.length));
  return round(sorted[rank - 1]!);
}
