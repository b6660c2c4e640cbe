import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ConversationSimulator } from '../load/conversation-simulator.ts';
import { renderHtml } from '../load/html-report.ts';
import { buildReport, type LoadReport, type TimelinePoint } from '../load/report.ts';
import { loadScenario } from '../load/scenario.ts';
import { evaluateSlos, parseSlos, type Slo } from '../load/slo.ts';
import { errorMessage } from '../errors.ts';

const USAGE = `Usage: rtvoice load --url <ws://host:port> [options]

Simulated callers have whole conversations with an rtvoice server, streaming real speech at real-time
pace, and measure from the caller's side: connect time, greeting TTFB, voice-to-voice, barge-in stop.

  --url URL            the server (ws://, wss://, http:// or https://)          required
  --protocol P         acs (ACS media streaming) or browser                     default acs
  --concurrency N      calls in flight at once                                  default 1
  --conversations M    calls in all                                             default = concurrency
  --turns K            caller turns per call                                    default: the scenario's
  --ramp-up S          seconds over which the first N calls start               default 0
  --duration S         stop starting calls after S seconds, hang up the rest    default: none
  --scenario FILE      YAML turns: say / audio / dtmf, pause_ms, barge_in_ms    default: insurance demo
  --json FILE          write the report as JSON
  --html FILE          write the report as a self-contained HTML page
  --slo LIST           e.g. "v2v_p95<900,errors=0": exit 1 when one fails

Exit codes: 0 done (and SLOs met), 1 an SLO failed, 2 bad options or scenario.`;

export async function load(args: string[]): Promise<number> {
  let options;
  try {
    options = parseArgs({
      args,
      options: {
        url: { type: 'string' },
        protocol: { type: 'string', default: 'acs' },
        concurrency: { type: 'string', default: '1' },
        conversations: { type: 'string' },
        turns: { type: 'string' },
        'ramp-up': { type: 'string', default: '0' },
        duration: { type: 'string' },
        scenario: { type: 'string' },
        json: { type: 'string' },
        html: { type: 'string' },
        slo: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    return usageError(errorMessage(err));
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!options.url || !/^(wss?|https?):\/\//.test(options.url))
    return usageError('--url must be a ws://, wss://, http:// or https:// URL');
  if (options.protocol !== 'acs' && options.protocol !== 'browser')
    return usageError('--protocol is acs or browser');
  const number = (name: string, value: string | undefined, min: number): number | undefined => {
    if (value === undefined) return undefined;
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed < min)
      throw new Error(`--${name} must be a number ≥ ${min}, got "${value}"`);
    return parsed;
  };
  let slos: Slo[] = [];
  let settings;
  try {
    const concurrency = Math.floor(number('concurrency', options.concurrency, 1)!);
    settings = {
      concurrency,
      conversations: Math.floor(number('conversations', options.conversations, 1) ?? concurrency),
      turns: number('turns', options.turns, 1),
      rampUpS: number('ramp-up', options['ramp-up'], 0)!,
      durationS: number('duration', options.duration, 1),
    };
    if (options.slo !== undefined) slos = parseSlos(options.slo);
  } catch (err) {
    return usageError(errorMessage(err));
  }
  let scenario;
  try {
    scenario = await loadScenario(options.scenario);
  } catch (err) {
    return usageError(errorMessage(err));
  }

  const controller = new AbortController();
  const interrupt = () => controller.abort();
  process.once('SIGINT', interrupt);
  const progress = progressLine();
  const turns = Math.floor(settings.turns ?? scenario.turns.length);
  const simulator = new ConversationSimulator({
    url: options.url,
    protocol: options.protocol,
    ...settings,
    turns,
    scenario,
    signal: controller.signal,
    onProgress: progress.update,
  });
  const run = await simulator.run();
  progress.end();
  process.off('SIGINT', interrupt);

  const report = buildReport(run.records, run.timeline, {
    url: options.url,
    protocol: options.protocol,
    concurrency: settings.concurrency,
    conversations: settings.conversations,
    turns,
    ramp_up_s: settings.rampUpS,
    duration_s: settings.durationS ?? null,
    scenario: options.scenario ?? null,
    started_at: run.startedAt.toISOString(),
    finished_at: run.finishedAt.toISOString(),
    machine: `${process.platform} ${process.arch}, ${navigator.hardwareConcurrency} cores, Node ${process.version}`,
  });
  if (options.json) await writeFile(options.json, `${JSON.stringify(report, null, 2)}\n`);
  const verdict = slos.length > 0 ? evaluateSlos(report, slos) : undefined;
  if (options.html) await writeFile(options.html, renderHtml(report, verdict ? { slo: verdict } : {}));
  process.stdout.write(summary(report));
  if (!verdict) return 0;
  for (const result of verdict.results) {
    process.stdout.write(
      `SLO ${result.pass ? 'met   ' : 'FAILED'} ${result.slo} (actual ${result.actual ?? 'no samples'})\n`,
    );
  }
  return verdict.pass ? 0 : 1;
}

function usageError(message: string): number {
  process.stderr.write(`rtvoice load: ${message}\n\n${USAGE}\n`);
  return 2;
}

/** A live line on a terminal (rewritten in place); a line every 10 s when the output is a file or pipe. */
function progressLine() {
  const tty = process.stderr.isTTY;
  let lastPrinted = -Infinity;
  return {
    update: (p: TimelinePoint) => {
      const line = `${(p.t_ms / 1000).toFixed(0)} s: ${p.active} active, ${p.done} done, ${p.errors} errors, voice-to-voice p95 ${p.voice_to_voice_p95_ms === null ? '-' : `${Math.round(p.voice_to_voice_p95_ms)} ms`}`;
      if (tty) process.stderr.write(`\r\x1b[2K${line}`);
      else if (p.t_ms - lastPrinted >= 10_000) {
        process.stderr.write(`${line}\n`);
        lastPrinted = p.t_ms;
      }
    },
    end: () => {
      if (tty) process.stderr.write('\n');
    },
  };
}

function summary(report: LoadReport): string {
  const lines = [
    `\n${report.calls.total} calls: ${report.calls.completed} completed, ${report.calls.failed} failed, ${report.errors.count} errors`,
  ];
  for (const [name, p] of Object.entries(report.metrics)) {
    if (!p.count) continue;
    lines.push(
      `${name.padEnd(20)} p50 ${fmt(p.p50)}  p95 ${fmt(p.p95)}  p99 ${fmt(p.p99)}  max ${fmt(p.max)}  (${p.count})`,
    );
  }
  for (const [kind, count] of Object.entries(report.errors.by_kind)) lines.push(`errors: ${kind} × ${count}`);
  return `${lines.join('\n')}\n`;
}

const fmt = (value: number | null) => (value === null ? '-' : `${Math.round(value)} ms`);
