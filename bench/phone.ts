// npm run bench:phone — phone calls through ACS Call Automation, against the ACS simulator: how long the
// Event Grid answer takes (the official SDK's answer request included), how long after the phone rings the
// caller hears the greeting, how fast callbacks are answered, and the server's event-loop lag, for calls
// one after another and for a burst of calls rung at once. The server is a separate `rtvoice serve`.
import { freePort } from '../src/free-port.ts';
import { AcsSimulator } from '../src/telephony/simulator/acs-simulator.ts';
import { histogramQuantile, ready, serve } from './lib/serve.ts';
import { fmt, machine, percentile, printTable } from './lib/stats.ts';

const SEQUENTIAL = Number(process.env.PHONE_CALLS ?? 20);
const BURST = Number(process.env.PHONE_BURST ?? 8);
const CALLER = '+14255550123';
const ACS_NUMBER = '+18005550100';

const acs = await AcsSimulator.start();
const port = await freePort();
const server = await serve({
  PORT: String(port),
  ...acs.serverEnv(`http://127.0.0.1:${port}`),
  AGENT_ENGINE: 'flow',
  STT_POOL_SIZE: String(BURST + 2),
  STT_POOL_WARM: String(BURST),
  TTS_POOL_SIZE: String(BURST + 2),
  TTS_POOL_WARM: String(BURST),
});
await ready(server.url, 120_000);
process.stdout.write(
  `rtvoice phone bench: ${machine()}; ${SEQUENTIAL} calls one by one, then ${BURST} at once\n`,
);

/** One inbound call: rings, waits for the greeting's first audio, hangs up once the greeting ends. */
async function call(): Promise<{ answerMs: number; greetingMs: number; callId: string }> {
  const rang = performance.now();
  const answer = await acs.ringIn(`${server.url}/api/v1/calls/answer`, { from: CALLER, to: ACS_NUMBER });
  const answerMs = performance.now() - rang;
  const callId = (answer.body['answered'] as { call_connection_id: string }[])[0]!.call_connection_id;
  const line = await acs.lineOf(callId);
  const heard = await line.waitForAgentSpeech({ timeoutMs: 10_000 });
  if (!heard.ok) throw new Error(`no greeting on ${callId}: ${heard.reason}`);
  const greetingMs = performance.now() - rang;
  await line.waitForAgentSilence({ silenceMs: 500, timeoutMs: 20_000 });
  await acs.callerHangsUp(callId);
  return { answerMs, greetingMs, callId };
}

const sequential = [];
for (let i = 0; i < SEQUENTIAL; i++) {
  sequential.push(await call());
  process.stderr.write(`\r${i + 1}/${SEQUENTIAL} calls`);
}
process.stderr.write('\n');
const burst = await Promise.all(Array.from({ length: BURST }, () => call()));

const callbackMs = acs.deliveries.map((d) => d.ms);
const failed = acs.deliveries.filter((d) => d.status !== 200).length;
const lagP99 = await histogramQuantile(server.url, 'rtvoice_event_loop_lag_seconds', 0.99);
const row = (metric: string, values: number[], target?: string) => ({
  metric,
  value: `p50 ${fmt(percentile(values, 50), 0)} / p95 ${fmt(percentile(values, 95), 0)} ms`,
  ...(target ? { target } : {}),
});
printTable('phone calls (ms)', [
  row(
    'one by one: Event Grid answer',
    sequential.map((c) => c.answerMs),
  ),
  row(
    'one by one: ring → greeting audio',
    sequential.map((c) => c.greetingMs),
    'p95 ≤ 500',
  ),
  row(
    `${BURST} at once: Event Grid answer`,
    burst.map((c) => c.answerMs),
  ),
  row(
    `${BURST} at once: ring → greeting audio`,
    burst.map((c) => c.greetingMs),
    'p95 ≤ 1000',
  ),
  row(`callback answered (${callbackMs.length})`, callbackMs, 'p95 ≤ 50'),
  { metric: 'callbacks not answered 200', value: String(failed), target: '0' },
  {
    metric: 'server event-loop lag p99',
    value: `≤ ${fmt(lagP99 * 1000, 0)} ms (histogram bound)`,
    target: '≤ 20 ms',
  },
]);

server.child.kill('SIGTERM');
await acs.close();
