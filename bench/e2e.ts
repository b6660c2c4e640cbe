// npm run bench:e2e — whole calls over ACS media streaming through the real local speech stack, measured
// from the caller's side: greeting TTFB, voice-to-voice, barge-in stop. One call at a time, then 8 at once.
// The server runs in its own process; the callers (and their speech) share this machine's 2 cores with it.
import { setTimeout as sleep } from 'node:timers/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { CallRecord } from '../src/load/call-record.ts';
import { SimulatedCaller } from '../src/load/simulated-caller.ts';
import { callerLines } from './lib/caller-speech.ts';
import { cpuSeconds, histogramQuantile, ready, serve } from './lib/serve.ts';
import { fmt, machine, percentile, printTable } from './lib/stats.ts';

const SEQUENTIAL_CALLS = Number(process.env.E2E_CALLS ?? 6);
const CONCURRENT_CALLS = Number(process.env.E2E_CONCURRENT ?? 8);

const lines = await callerLines({
  name: 'Bob Martinez.',
  zip: 'nine four one zero five',
  intent: 'I have a question about my policy.',
  question: 'What is my deductible?',
});

async function settle(caller: SimulatedCaller): Promise<void> {
  await caller.waitForAgentSpeech({ timeoutMs: 10_000 });
  await caller.waitForAgentSilence({ silenceMs: 800, timeoutMs: 30_000 });
}

/** One insurance-demo call: greeting, name, ZIP, a barge-in over the long verified prompt, a question. */
async function call(url: string): Promise<CallRecord> {
  const caller = new SimulatedCaller({ url: url.replace('http', 'ws'), protocol: 'acs' });
  if (!(await caller.connect())) return caller.record();
  await settle(caller);
  await caller.say(lines.name);
  await settle(caller);
  await caller.say(lines.zip);
  await caller.waitForAgentSpeech({ timeoutMs: 10_000 });
  await sleep(1200);
  await caller.say(lines.intent); // over the agent's long answer: a barge-in
  await settle(caller);
  await caller.say(lines.question);
  await settle(caller);
  return caller.hangup();
}

function summarize(records: readonly CallRecord[]) {
  const turns = records.flatMap((r) => r.turns);
  return {
    greeting: records.flatMap((r) => (r.greetingTtfbMs === undefined ? [] : [r.greetingTtfbMs])),
    v2v: turns.flatMap((t) => (t.voiceToVoiceMs === undefined || t.bargeIn ? [] : [t.voiceToVoiceMs])),
    bargeIn: turns.flatMap((t) => (t.bargeInStopMs === undefined ? [] : [t.bargeInStopMs])),
    errors: records.reduce((n, r) => n + r.errors.length, 0),
    calls: records.length,
  };
}

/** A run fails loudly, with the server's exit, when the server dies under it. */
function raceExit<T>(work: Promise<T>): Promise<T> {
  return Promise.race([work, serverExit.then((why) => Promise.reject(new Error(why)))]);
}

const stat = (values: number[], p: number) => (values.length ? fmt(percentile(values, p), 0) : 'n/a');

const warm = String(CONCURRENT_CALLS);
const server = await serve({ STT_POOL_WARM: warm, TTS_POOL_WARM: warm, AGENT_ENGINE: 'flow' });
await ready(server.url);
const serverExit = new Promise<string>((resolve) =>
  server.child.once('exit', (code, signal) =>
    resolve(`rtvoice serve died during the run (code ${code}, signal ${signal})`),
  ),
);
const lag = monitorEventLoopDelay({ resolution: 10 });
try {
  process.stdout.write(`rtvoice e2e bench: ${machine()}\n`);
  const sequential: CallRecord[] = [];
  for (let i = 0; i < SEQUENTIAL_CALLS; i += 1) {
    sequential.push(await raceExit(call(server.url)));
    process.stdout.write(`  call ${i + 1}/${SEQUENTIAL_CALLS} done\n`);
  }
  const single = summarize(sequential);
  printTable(`One call at a time (${single.calls} calls, caller-side figures, ms)`, [
    { metric: 'voice_to_voice_ms p50', value: stat(single.v2v, 50), target: '≤ 500' },
    { metric: 'voice_to_voice_ms p95', value: stat(single.v2v, 95), target: '≤ 700' },
    { metric: 'greeting_ttfb_ms p95', value: stat(single.greeting, 95), target: '≤ 150' },
    { metric: 'barge_in_stop_ms p50', value: stat(single.bargeIn, 50) },
    { metric: 'barge_in_stop_ms p95', value: stat(single.bargeIn, 95), target: '≤ 300' },
    { metric: 'samples (v2v / barge-in)', value: `${single.v2v.length} / ${single.bargeIn.length}` },
    { metric: 'caller-side errors', value: String(single.errors), target: '0' },
  ]);

  const cpuBefore = cpuSeconds(server.child.pid!);
  const startedAt = performance.now();
  lag.enable();
  const concurrent = summarize(
    await raceExit(
      Promise.all(
        Array.from({ length: CONCURRENT_CALLS }, (_, i) => sleep(i * 400).then(() => call(server.url))),
      ),
    ),
  );
  lag.disable();
  const cpu = (cpuSeconds(server.child.pid!) - cpuBefore) / ((performance.now() - startedAt) / 1000);
  const serverLagP99 = await histogramQuantile(server.url, 'rtvoice_event_loop_lag_seconds', 0.99);
  printTable(`${CONCURRENT_CALLS} concurrent calls (ms)`, [
    { metric: 'voice_to_voice_ms p50', value: stat(concurrent.v2v, 50) },
    { metric: 'voice_to_voice_ms p95', value: stat(concurrent.v2v, 95), target: '≤ 900' },
    { metric: 'greeting_ttfb_ms p95', value: stat(concurrent.greeting, 95) },
    { metric: 'barge_in_stop_ms p95', value: stat(concurrent.bargeIn, 95) },
    {
      metric: 'server event-loop lag p99 (whole run, bucket bound)',
      value: `≤ ${fmt(serverLagP99 * 1000, 0)}`,
      target: '≤ 20',
    },
    { metric: 'caller process event-loop lag p99', value: fmt(lag.percentile(99) / 1e6, 1) },
    { metric: 'server CPU (cores busy)', value: fmt(cpu, 2) },
    { metric: 'caller-side errors', value: String(concurrent.errors), target: '0' },
  ]);
} finally {
  server.child.kill('SIGTERM');
}
