import {
  LOAD_METRICS,
  PER_TURN_METRICS,
  PERCENTILE_STATS,
  type Distribution,
  type LoadMetric,
  type LoadReport,
  type Percentiles,
  type TimelinePoint,
} from './report.ts';
import type { SloEvaluation } from './slo.ts';

/**
 * The load report as one self-contained HTML page: no scripts and nothing fetched (load machines are often
 * offline), the plots are inline SVG drawn here. Every string from the report is escaped: error reasons
 * come from whatever the server sent.
 */

export interface HtmlReportOptions {
  /** Shown at the top when the run had SLOs. */
  readonly slo?: SloEvaluation | undefined;
  readonly title?: string | undefined;
}

const METRIC_LABELS: Record<LoadMetric, string> = {
  connect_ms: 'Connect',
  greeting_ttfb_ms: 'Greeting time to first audio',
  voice_to_voice_ms: 'Voice to voice',
  barge_in_stop_ms: 'Barge-in stop',
  agent_speech_ms: 'Agent speech per reply',
};

const COLORS = { blue: '#2563eb', teal: '#0d9488', red: '#dc2626', amber: '#d97706', grid: '#e5e7eb' };

export function renderHtml(report: LoadReport, options: HtmlReportOptions = {}): string {
  const title = options.title ?? 'rtvoice load report';
  const { run } = report;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${esc(title)}</h1>
<p class="sub">${esc(run.protocol.toUpperCase())} · ${esc(run.url)} · ${esc(run.started_at)} → ${esc(run.finished_at)}</p>
</header>
<main>
${options.slo ? sloSection(options.slo) : ''}
${cards(report)}
<section><h2>Run</h2>${runTable(report)}</section>
<section><h2>Latency percentiles (ms)</h2>${percentileTable(report)}</section>
<section><h2>Latency distributions</h2><div class="grid">${LOAD_METRICS.map((metric) =>
    distributionFigure(metric, report.metrics[metric], report.distributions[metric]),
  ).join('')}</div></section>
<section><h2>Per turn (ms)</h2>${perTurnTable(report)}</section>
<section><h2>Timeline</h2>${timelineFigures(report.timeline)}</section>
<section><h2>Errors</h2>${errorsSection(report)}</section>
</main>
<footer>rtvoice load · all times measured on the callers' side, in milliseconds</footer>
</body>
</html>
`;
}

/** Text and attribute values both: `&`, `<`, `>`, quotes. */
export function esc(value: string | number): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const numberFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });
function num(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : numberFormat.format(value);
}

function table(head: readonly string[], rows: readonly string[][], className = ''): string {
  const th = head.map((cell) => `<th>${cell}</th>`).join('');
  const body = rows.map((row) => `<tr>${row.map((cell) => `<td>${cell}</td>`).join('')}</tr>`).join('\n');
  return `<div class="scroll"><table class="${className}"><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

function sloSection(slo: SloEvaluation): string {
  const rows = slo.results.map((result) => [
    `<span class="badge ${result.pass ? 'ok' : 'bad'}">${result.pass ? 'met' : 'failed'}</span>`,
    `<code>${esc(result.slo)}</code>`,
    esc(num(result.actual)),
    esc(result.detail),
  ]);
  const verdict = slo.pass
    ? '<span class="badge ok">all met</span>'
    : '<span class="badge bad">failed</span>';
  return `<section><h2>SLOs ${verdict}</h2>${table(['', 'SLO', 'Actual', 'Detail'], rows)}</section>`;
}

function cards(report: LoadReport): string {
  const items: [string, string, string][] = [
    ['Calls', num(report.calls.total), ''],
    ['Completed', num(report.calls.completed), 'ok'],
    ['Failed', num(report.calls.failed), report.calls.failed > 0 ? 'bad' : ''],
    ['Errors', num(report.errors.count), report.errors.count > 0 ? 'bad' : ''],
    ['Voice to voice p95', withMs(report.metrics.voice_to_voice_ms.p95), ''],
    ['Greeting p95', withMs(report.metrics.greeting_ttfb_ms.p95), ''],
  ];
  return `<section class="cards">${items
    .map(
      ([label, value, tone]) =>
        `<div class="card ${tone}"><div class="label">${esc(label)}</div><div class="value">${esc(value)}</div></div>`,
    )
    .join('')}</section>`;
}

function withMs(value: number | null): string {
  return value === null ? '—' : `${num(value)} ms`;
}

function runTable(report: LoadReport): string {
  const { run, frames } = report;
  const rows: [string, string][] = [
    ['URL', run.url],
    ['Protocol', run.protocol],
    ['Concurrency', num(run.concurrency)],
    ['Conversations', num(run.conversations)],
    ['Turns per conversation', num(run.turns)],
    ['Ramp-up', `${num(run.ramp_up_s)} s`],
    ['Duration', run.duration_s === null ? '—' : `${num(run.duration_s)} s`],
    ['Scenario', run.scenario ?? '—'],
    ['Started', run.started_at],
    ['Finished', run.finished_at],
    ['Load machine', run.machine],
    ['Frames in / out', `${num(frames.in)} / ${num(frames.out)}`],
    ['Bytes in / out', `${num(frames.bytes_in)} / ${num(frames.bytes_out)}`],
  ];
  return `<table class="kv"><tbody>${rows
    .map(([key, value]) => `<tr><th>${esc(key)}</th><td>${esc(value)}</td></tr>`)
    .join('')}</tbody></table>`;
}

function statCells(stats: Percentiles | undefined): string[] {
  return [esc(num(stats?.count ?? 0)), ...PERCENTILE_STATS.map((stat) => esc(num(stats?.[stat])))];
}

function percentileTable(report: LoadReport): string {
  const rows = LOAD_METRICS.map((metric) => [
    `${esc(METRIC_LABELS[metric])} <code>${esc(metric)}</code>`,
    ...statCells(report.metrics[metric]),
  ]);
  return table(['Metric', 'Count', ...PERCENTILE_STATS], rows, 'num');
}

function perTurnTable(report: LoadReport): string {
  if (report.per_turn.length === 0) return '<p class="empty">No turns.</p>';
  const stats = ['count', 'p50', 'p95', 'p99', 'max'] as const;
  // Two header rows: the metric over its statistics, so the table stays narrow.
  const groups = PER_TURN_METRICS.map(
    (metric) => `<th colspan="${stats.length}" class="group">${esc(METRIC_LABELS[metric])}</th>`,
  ).join('');
  const statHeads = PER_TURN_METRICS.map((_, i) =>
    stats.map((stat, j) => `<th${j === 0 && i > 0 ? ' class="first"' : ''}>${stat}</th>`).join(''),
  ).join('');
  const rows = report.per_turn.map((turn) => {
    const cells = PER_TURN_METRICS.map((metric, i) =>
      stats
        .map((stat, j) => {
          const values = turn.metrics[metric];
          const value = stat === 'count' ? (values?.count ?? 0) : values?.[stat];
          return `<td${j === 0 && i > 0 ? ' class="first"' : ''}>${esc(num(value))}</td>`;
        })
        .join(''),
    ).join('');
    return `<tr><td>${esc(turn.turn)}</td>${cells}</tr>`;
  });
  return `<div class="scroll"><table class="num turns"><thead><tr><th rowspan="2">Turn</th>${groups}</tr><tr>${statHeads}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table></div>`;
}

function errorsSection(report: LoadReport): string {
  const { errors } = report;
  if (errors.count === 0) return '<p class="empty">No errors.</p>';
  const kinds = Object.entries(errors.by_kind)
    .sort(([, a], [, b]) => b - a)
    .map(([kind, count]) => [`<code>${esc(kind)}</code>`, esc(num(count))]);
  const list = errors.list.map((entry) => [
    esc(entry.call),
    `<code>${esc(entry.session_id)}</code>`,
    `<code>${esc(entry.kind)}</code>`,
    esc(num(entry.at_ms)),
    `<span class="reason">${esc(entry.reason)}</span>`,
  ]);
  const shown =
    errors.list.length < errors.count
      ? `<p class="note">Listing ${num(errors.list.length)} of ${num(errors.count)} errors (the counts above are exact).</p>`
      : '';
  return `${table(['Kind', 'Count'], kinds, 'num kinds')}${shown}${table(
    ['Call', 'Session', 'Kind', 'At (ms)', 'Reason'],
    list,
    'errors',
  )}`;
}

// ---- plots --------------------------------------------------------------------------------------------

const W = 560;
const H = 240;
const PAD = { left: 56, right: 16, top: 22, bottom: 40 };
const PLOT_W = W - PAD.left - PAD.right;
const PLOT_H = H - PAD.top - PAD.bottom;

function svg(label: string, body: string): string {
  return `<svg class="plot" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(label)}" xmlns="http://www.w3.org/2000/svg">${body}</svg>`;
}

function figure(caption: string, content: string): string {
  return `<figure><figcaption>${caption}</figcaption>${content}</figure>`;
}

function f(value: number): string {
  return String(Math.round(value * 10) / 10);
}

/** About `count` round tick values (1, 2 or 5 × 10^k apart) covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].map((m) => m * power).find((candidate) => candidate >= raw) ?? raw) || 1;
  const ticks: number[] = [];
  for (let tick = Math.ceil(min / step) * step; tick <= max + step * 1e-9; tick += step) {
    ticks.push(Number(tick.toPrecision(12)));
  }
  return ticks;
}

interface Axes {
  readonly xMin: number;
  readonly xMax: number;
  readonly yMax: number;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly xFormat: (value: number) => string;
}

function axes(a: Axes): { x: (value: number) => number; y: (value: number) => number; markup: string } {
  const xSpan = a.xMax - a.xMin || 1;
  const x = (value: number) => PAD.left + ((value - a.xMin) / xSpan) * PLOT_W;
  // The y axis ends on a tick at or above the highest value, so the top grid line is labelled.
  const yTicks = niceTicks(0, a.yMax || 1, 4);
  const step = (yTicks[1] ?? 1) - (yTicks[0] ?? 0);
  while ((yTicks.at(-1) ?? 0) < a.yMax) yTicks.push(Number(((yTicks.at(-1) ?? 0) + step).toPrecision(12)));
  const yTop = yTicks.at(-1) || 1;
  const y = (value: number) => PAD.top + PLOT_H - (value / yTop) * PLOT_H;
  const xTicks = niceTicks(a.xMin, a.xMax, 6);
  const grid = yTicks
    .map(
      (tick) =>
        `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${f(y(tick))}" y2="${f(y(tick))}" class="grid"/>` +
        `<text x="${PAD.left - 6}" y="${f(y(tick) + 4)}" class="tick" text-anchor="end">${esc(num(tick))}</text>`,
    )
    .join('');
  const xAxis = xTicks
    .map(
      (tick) =>
        `<line x1="${f(x(tick))}" x2="${f(x(tick))}" y1="${PAD.top + PLOT_H}" y2="${PAD.top + PLOT_H + 4}" class="axis"/>` +
        `<text x="${f(x(tick))}" y="${PAD.top + PLOT_H + 16}" class="tick" text-anchor="middle">${esc(a.xFormat(tick))}</text>`,
    )
    .join('');
  const labels =
    `<text x="${PAD.left + PLOT_W / 2}" y="${H - 6}" class="axis-label" text-anchor="middle">${esc(a.xLabel)}</text>` +
    `<text transform="translate(14 ${PAD.top + PLOT_H / 2}) rotate(-90)" class="axis-label" text-anchor="middle">${esc(a.yLabel)}</text>` +
    `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${PAD.top + PLOT_H}" y2="${PAD.top + PLOT_H}" class="axis"/>`;
  return { x, y, markup: grid + xAxis + labels };
}

function distributionFigure(metric: LoadMetric, stats: Percentiles, dist: Distribution): string {
  const bins = dist.counts.length;
  const xMin = dist.from_ms;
  const xMax = dist.from_ms + bins * dist.bin_ms;
  // Far outliers are left out of the bins (they would squeeze the plot); the caption counts them.
  const above =
    dist.above > 0 ? ` · ${num(dist.above)} beyond ${num(xMax)} ms, max ${num(stats.max)} ms` : '';
  const caption = `${esc(METRIC_LABELS[metric])} <code>${esc(metric)}</code> <span class="count">${esc(num(stats.count))} samples${esc(above)}</span>`;
  if (stats.count === 0 || bins === 0) return figure(caption, '<p class="empty plot-empty">No samples.</p>');
  const yMax = Math.max(...dist.counts, 1);
  const a = axes({
    xMin,
    xMax,
    yMax,
    xLabel: 'ms',
    yLabel: 'samples',
    xFormat: (value) => num(value),
  });
  const bars = dist.counts
    .map((count, i) => {
      if (count === 0) return '';
      const from = xMin + i * dist.bin_ms;
      const x0 = a.x(from);
      const x1 = a.x(from + dist.bin_ms);
      const range = `${num(from)}–${num(from + dist.bin_ms)} ms: ${num(count)}`;
      return `<rect x="${f(x0 + 0.5)}" y="${f(a.y(count))}" width="${f(Math.max(1, x1 - x0 - 1))}" height="${f(a.y(0) - a.y(count))}" class="bar"><title>${esc(range)}</title></rect>`;
    })
    .join('');
  // Percentile lines, named in a legend above the plot: labels beside close lines would overlap.
  let legendX = PAD.left + 8;
  const markers = (['p50', 'p95', 'p99'] as const)
    .map((stat, i) => {
      const value = stats[stat];
      if (value === null || value < xMin || value > xMax) return '';
      const px = f(a.x(value));
      const name = `${stat} ${num(value)} ms`;
      const at = legendX;
      // About 6.5 px a character at 11 px bold, plus the dash and a gap.
      legendX += 34 + name.length * 6.5;
      return (
        `<line x1="${px}" x2="${px}" y1="${PAD.top}" y2="${PAD.top + PLOT_H}" class="marker m${i}"><title>${esc(name)}</title></line>` +
        `<g transform="translate(${f(at)} ${PAD.top - 8})"><line x1="0" x2="14" y1="-4" y2="-4" class="marker m${i}"/>` +
        `<text x="18" class="marker-label m${i}">${esc(name)}</text></g>`
      );
    })
    .join('');
  return figure(caption, svg(`${METRIC_LABELS[metric]} distribution`, a.markup + bars + markers));
}

interface Series {
  readonly name: string;
  readonly color: string;
  readonly values: readonly (number | null)[];
  readonly area?: boolean;
}

function lineChart(
  label: string,
  times: readonly number[],
  series: readonly Series[],
  yLabel: string,
): string {
  const xMin = times[0] ?? 0;
  const xMax = times[times.length - 1] ?? 0;
  const yMax = Math.max(1, ...series.flatMap((s) => s.values.filter((v): v is number => v !== null)));
  const a = axes({
    xMin,
    xMax,
    yMax,
    xLabel: 'time since start',
    yLabel,
    xFormat: clock,
  });
  const paths = series
    .map((s) => {
      // A null (no sample yet) breaks the line instead of drawing it down to 0.
      const segments: string[][] = [[]];
      s.values.forEach((value, i) => {
        if (value === null) segments.push([]);
        else segments[segments.length - 1]!.push(`${f(a.x(times[i] ?? 0))},${f(a.y(value))}`);
      });
      return segments
        .filter((points) => points.length > 0)
        .map((points) => {
          const line = points.length === 1 ? `${points[0]!} ${points[0]!}` : points.join(' ');
          const area =
            s.area && points.length > 1
              ? `<polygon points="${points[0]!.split(',')[0]!},${f(a.y(0))} ${points.join(' ')} ${points.at(-1)!.split(',')[0]!},${f(a.y(0))}" fill="${s.color}" fill-opacity="0.15"/>`
              : '';
          return `${area}<polyline points="${line}" fill="none" stroke="${s.color}" stroke-width="2" stroke-linejoin="round" stroke-linecap="round"/>`;
        })
        .join('');
    })
    .join('');
  const legend = series
    .map(
      (s, i) =>
        `<g transform="translate(${PAD.left + 8 + i * 130} ${PAD.top - 8})"><rect width="10" height="10" y="-9" fill="${s.color}"/><text x="14" class="legend">${esc(s.name)}</text></g>`,
    )
    .join('');
  return svg(label, a.markup + paths + legend);
}

/** `m:ss` from ms. */
function clock(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

function timelineFigures(timeline: readonly TimelinePoint[]): string {
  if (timeline.length === 0) return '<p class="empty">No timeline samples.</p>';
  const times = timeline.map((point) => point.t_ms);
  const calls = lineChart(
    'Active calls over time',
    times,
    [{ name: 'active', color: COLORS.blue, values: timeline.map((p) => p.active), area: true }],
    'calls',
  );
  const done = lineChart(
    'Finished calls and errors over time',
    times,
    [
      { name: 'finished', color: COLORS.teal, values: timeline.map((p) => p.done) },
      { name: 'errors', color: COLORS.red, values: timeline.map((p) => p.errors) },
    ],
    'total',
  );
  const p95 = lineChart(
    'Voice-to-voice p95 over time',
    times,
    [
      {
        name: 'voice to voice p95',
        color: COLORS.amber,
        values: timeline.map((p) => p.voice_to_voice_p95_ms),
      },
    ],
    'ms',
  );
  return `<div class="grid">${figure('Active calls', calls)}${figure('Finished calls and errors (cumulative)', done)}${figure(
    'Voice-to-voice p95 (recent turns)',
    p95,
  )}</div>`;
}

const STYLE = `
:root { color-scheme: light; --fg: #111827; --muted: #6b7280; --line: #e5e7eb; --bg: #f9fafb; --card: #fff;
  --blue: ${COLORS.blue}; --ok: #15803d; --bad: ${COLORS.red}; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--fg); background: var(--bg); }
header { padding: 20px 28px 12px; background: #111827; color: #f9fafb; }
header h1 { margin: 0 0 4px; font-size: 22px; font-weight: 600; }
header .sub { margin: 0; color: #d1d5db; word-break: break-all; }
main { padding: 8px 28px 28px; max-width: 1400px; }
section { margin-top: 22px; }
h2 { font-size: 16px; margin: 0 0 10px; font-weight: 600; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; color: #374151; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card .value { font-size: 24px; font-weight: 600; font-variant-numeric: tabular-nums; }
.card.ok .value { color: var(--ok); } .card.bad .value { color: var(--bad); }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; background: var(--card); border: 1px solid var(--line); border-radius: 6px; }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
thead th { background: #f3f4f6; font-weight: 600; font-size: 12px; white-space: nowrap; }
table.num td:not(:first-child), table.num thead th:not(:first-child) { text-align: right; font-variant-numeric: tabular-nums; }
table.turns thead th.group { text-align: center; border-left: 1px solid var(--line); }
table.turns thead tr + tr th { text-align: right; }
table.turns .first { border-left: 1px solid var(--line); }
table.kv th { color: var(--muted); font-weight: 500; white-space: nowrap; }
table.kv td { word-break: break-all; }
table.kinds { margin-bottom: 12px; }
table.errors td { font-size: 13px; }
.reason { white-space: pre-wrap; word-break: break-word; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 14px; }
figure { margin: 0; background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
figcaption { font-weight: 600; margin-bottom: 4px; }
figcaption .count { color: var(--muted); font-weight: 400; font-size: 12px; margin-left: 6px; }
svg.plot { width: 100%; height: auto; display: block; }
svg .grid { stroke: ${COLORS.grid}; stroke-width: 1; }
svg .axis { stroke: #9ca3af; stroke-width: 1; }
svg .tick { fill: var(--muted); font-size: 11px; }
svg .axis-label { fill: var(--muted); font-size: 11px; }
svg .legend { fill: var(--fg); font-size: 11px; }
svg .bar { fill: var(--blue); fill-opacity: .8; }
svg .bar:hover { fill-opacity: 1; }
svg .marker { stroke-width: 1.5; stroke-dasharray: 4 3; }
svg .marker-label { font-size: 11px; font-weight: 600; stroke: none !important; }
svg .m0 { stroke: ${COLORS.teal}; fill: ${COLORS.teal}; } svg .m1 { stroke: ${COLORS.amber}; fill: ${COLORS.amber}; }
svg .m2 { stroke: ${COLORS.red}; fill: ${COLORS.red}; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600; }
.badge.ok { background: #dcfce7; color: var(--ok); } .badge.bad { background: #fee2e2; color: var(--bad); }
.empty, .note { color: var(--muted); }
.plot-empty { padding: 40px 0; text-align: center; }
footer { padding: 12px 28px 24px; color: var(--muted); font-size: 12px; }
`;
