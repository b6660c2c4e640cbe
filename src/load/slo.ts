import { RtvoiceError } from '../errors.ts';
import {
  LOAD_METRICS,
  PERCENTILE_STATS,
  type LoadMetric,
  type LoadReport,
  type PercentileStat,
} from './report.ts';

/**
 * Service-level objectives for `rtvoice load --slo "v2v_p95<900,errors=0"`: a comma-separated list of
 * `<metric>_<stat><op><number>` (or `errors` / `failed_calls` `<op><number>`), checked against the report;
 * the run exits non-zero when one fails.
 */

export const SLO_OPERATORS = ['<', '<=', '=', '>=', '>'] as const;
export type SloOperator = (typeof SLO_OPERATORS)[number];

/** Short names people type; the full metric names work too. */
export const METRIC_ALIASES: Readonly<Record<string, LoadMetric>> = {
  v2v: 'voice_to_voice_ms',
  greeting: 'greeting_ttfb_ms',
  barge_in: 'barge_in_stop_ms',
  connect: 'connect_ms',
  agent_speech: 'agent_speech_ms',
};

/** Whole-run counts that take no statistic. */
export const SLO_COUNTS = ['errors', 'failed_calls'] as const;
export type SloCount = (typeof SLO_COUNTS)[number];

export type SloTarget =
  | { readonly kind: 'metric'; readonly metric: LoadMetric; readonly stat: PercentileStat }
  | { readonly kind: 'count'; readonly count: SloCount };

export interface Slo {
  /** As written (trimmed), for messages and results. */
  readonly text: string;
  readonly target: SloTarget;
  readonly op: SloOperator;
  readonly threshold: number;
}

export interface SloResult {
  slo: string;
  /** The report's value; null when the metric has no samples (which fails the SLO). */
  actual: number | null;
  pass: boolean;
  /** For a person: `412.3 < 900`, `950 not < 900`, or `no voice_to_voice_ms samples: nothing to check`. */
  detail: string;
}

export interface SloEvaluation {
  pass: boolean;
  results: SloResult[];
}

/** Longest operators first, so `<=` is not read as `<` followed by `=900`. */
const SLO_PATTERN = /^([A-Za-z0-9_]+)\s*(<=|>=|==|<|>|=)\s*(.*)$/;
const NUMBER_PATTERN = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:ms)?$/;

const METRIC_NAMES = [...Object.keys(METRIC_ALIASES), ...LOAD_METRICS];
const VALID_NAMES =
  `<metric>_<stat> with metric one of ${METRIC_NAMES.join(', ')} and stat one of ` +
  `${PERCENTILE_STATS.join(', ')} (e.g. v2v_p95), or ${SLO_COUNTS.join(', ')}`;

export function parseSlos(text: string): Slo[] {
  const parts = text
    .split(',')
    .map((part) => part.trim())
    // A trailing comma is harmless.
    .filter((part) => part !== '');
  if (parts.length === 0)
    throw invalid(`no SLOs in ${JSON.stringify(text)}; write e.g. "v2v_p95<900,errors=0"`);
  return parts.map(parseSlo);
}

function parseSlo(text: string): Slo {
  const match = SLO_PATTERN.exec(text);
  if (!match)
    throw invalid(
      `${JSON.stringify(text)} is not <name><operator><number> (e.g. v2v_p95<900); ` +
        `operators: ${SLO_OPERATORS.join(' ')}; names: ${VALID_NAMES}`,
    );
  const [, rawName = '', rawOp = '', rawValue = ''] = match;
  const target = parseTarget(rawName.toLowerCase(), text);
  const value = rawValue.trim().toLowerCase();
  if (!NUMBER_PATTERN.test(value) || (target.kind === 'count' && value.endsWith('ms')))
    throw invalid(`${JSON.stringify(text)}: ${JSON.stringify(rawValue.trim())} is not a number`);
  const op: SloOperator = rawOp === '==' ? '=' : (rawOp as SloOperator);
  return { text, target, op, threshold: Number.parseFloat(value) };
}

function parseTarget(name: string, text: string): SloTarget {
  if ((SLO_COUNTS as readonly string[]).includes(name)) return { kind: 'count', count: name as SloCount };
  // `v2v<900`, `voice_to_voice_ms<900`: a known metric without its statistic.
  if (metricNamed(name))
    throw invalid(
      `${JSON.stringify(text)}: "${name}" needs a statistic, e.g. ${name}_p95; use ${VALID_NAMES}`,
    );
  const cut = name.lastIndexOf('_');
  const metric = cut < 0 ? undefined : metricNamed(name.slice(0, cut));
  if (!metric) throw invalid(`${JSON.stringify(text)}: unknown name "${name}"; use ${VALID_NAMES}`);
  const stat = name.slice(cut + 1);
  if (!(PERCENTILE_STATS as readonly string[]).includes(stat))
    throw invalid(
      `${JSON.stringify(text)}: unknown statistic "${stat}" of ${metric}; use one of ${PERCENTILE_STATS.join(', ')}`,
    );
  return { kind: 'metric', metric, stat: stat as PercentileStat };
}

function metricNamed(name: string): LoadMetric | undefined {
  // Own keys only: `constructor_p95` must not find Object.prototype.constructor.
  if (Object.hasOwn(METRIC_ALIASES, name)) return METRIC_ALIASES[name];
  return LOAD_METRICS.find((full) => full === name);
}

function invalid(message: string): RtvoiceError {
  return new RtvoiceError('SLO_INVALID', `invalid SLO: ${message}`);
}

export function evaluateSlos(report: LoadReport, slos: readonly Slo[]): SloEvaluation {
  const results = slos.map((slo) => evaluate(report, slo));
  return { pass: results.every((result) => result.pass), results };
}

function evaluate(report: LoadReport, slo: Slo): SloResult {
  const { target } = slo;
  const actual =
    target.kind === 'count'
      ? target.count === 'errors'
        ? report.errors.count
        : report.calls.failed
      : report.metrics[target.metric][target.stat];
  if (actual === null) {
    const metric = target.kind === 'metric' ? target.metric : target.count;
    return { slo: slo.text, actual, pass: false, detail: `no ${metric} samples: nothing to check` };
  }
  const pass = compare(actual, slo.op, slo.threshold);
  return {
    slo: slo.text,
    actual,
    pass,
    detail: `${actual} ${pass ? '' : 'not '}${slo.op} ${slo.threshold}`,
  };
}

function compare(actual: number, op: SloOperator, threshold: number): boolean {
  switch (op) {
    case '<':
      return actual < threshold;
    case '<=':
      return actual <= threshold;
    case '=':
      return actual === threshold;
    case '>=':
      return actual >= threshold;
    case '>':
      return actual > threshold;
  }
}
