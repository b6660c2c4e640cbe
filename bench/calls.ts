// npm run bench:calls — how many concurrent calls the embedded speech stack holds on this machine while
// voice-to-voice p95 (caller side) stays ≤ 900 ms. Steps up the concurrency with `rtvoice load`'s
// ConversationSimulator against one `rtvoice serve` process; callers and server share the 2 cores.
import { writeFile } from 'node:fs/promises';
import { ConversationSimulator } from '../src/load/conversation-simulator.ts';
import { renderHtml } from '../src/load/html-report.ts';
import { buildReport } from '../src/load/report.ts';
import { loadScenario } from '../src/load/scenario.ts';
import { cpuSeconds, histogramQuantile, ready, serve } from './lib/serve.ts';
import { fmt, machine, printTable } from './lib/stats.ts';

const STEPS = (process.env.CALLS_STEPS ?? '8,12,16').split(',').map(Number);
const TURNS = Number(process.env.CALLS_TURNS ?? 4);
const TARGET_P95_MS = 900;
const HTML = process.env.CALLS_HTML ?? '/tmp/rtvoice-calls.html';

const largest = Math.max(...STEPS);
const server = await serve({
  STT_POOL_SIZE: String(largest),
  STT_POOL_WARM: String(largest),
  TTS_POOL_SIZE: String(largest),
  TTS_POOL_WARM: String(largest),
  AGENT_ENGINE: 'flow',
});
await ready(server.url, 120_000);
const scenario = await loadScenario(undefined);
process.stdout.write(
  `rtvoice calls bench: ${machine()}; scenario "${scenario.name}", ${TURNS} caller turns a call\n`,
);
const rows = [];
let held = 0;
try {
  for (const concurrency of STEPS) {
    const cpuBefore = cpuSeconds(server.child.pid!);
    const started = performance.now();
    const run = await new ConversationSimulator({
      url: server.url,
      protocol: 'acs',
      concurrency,
      conversations: concurrency,
      turns: TURNS,
      rampUpS: 3,
      scenario,
      onProgress: (p) => {
        if (p.t_ms % 10_000 < 1000)
          process.stdout.write(
            `  ${concurrency} calls, ${(p.t_ms / 1000).toFixed(0)} s: ${p.active} active, ${p.done} done\n`,
          );
      },
    }).run();
    const cores = (cpuSeconds(server.child.pid!) - cpuBefore) / ((performance.now() - started) / 1000);
    const report = buildReport(run.records, run.timeline, {
      url: server.url,
      protocol: 'acs',
      concurrency,
      conversations: concurrency,
      turns: TURNS,
      ramp_up_s: 3,
      duration_s: null,
      scenario: scenario.name,
      started_at: run.startedAt.toISOString(),
      finished_at: run.finishedAt.toISOString(),
      machine: machine(),
    });
    await writeFile(HTML, renderHtml(report));
    const v2v = report.metrics.voice_to_voice_ms;
    const lag = await histogramQuantile(server.url, 'rtvoice_event_loop_lag_seconds', 0.99);
    const ok = v2v.p95 !== null && v2v.p95 <= TARGET_P95_MS && report.errors.count === 0;
    if (ok) held = concurrency;
    rows.push({
      metric: `${String(concurrency).padStart(3)} calls`,
      value: `v2v p50 ${fmt(v2v.p50 ?? NaN, 0)} / p95 ${fmt(v2v.p95 ?? NaN, 0)} ms (${v2v.count} turns), barge-in p95 ${fmt(report.metrics.barge_in_stop_ms.p95 ?? NaN, 0)} ms, greeting p95 ${fmt(report.metrics.greeting_ttfb_ms.p95 ?? NaN, 0)} ms, errors ${report.errors.count}, server ${fmt(cores, 2)} cores, lag p99 ≤ ${fmt(lag * 1000, 0)} ms (since start)`,
    });
    if (!ok) break;
  }
} finally {
  server.child.kill('SIGTERM');
}
printTable('Concurrent calls, embedded speech stack (caller side)', rows);
process.stdout.write(
  `\nHeld with voice-to-voice p95 ≤ ${TARGET_P95_MS} ms and no errors: ${held} calls. HTML report of the last step: ${HTML}\n`,
);
