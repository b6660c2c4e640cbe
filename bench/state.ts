// npm run bench:state — session persistence on a real Redis: persist and load of a 30-turn session,
// and two concurrent writers doing 1,000 updates each (lost updates must be zero).
import { setTimeout as sleep } from 'node:timers/promises';
import { MemoManager, type MemoOptions } from '../src/state/memo-manager.ts';
import { RedisManager } from '../src/state/redis-manager.ts';
import { RedisSessionStore } from '../src/state/redis-store.ts';
import { createLogger } from '../src/telemetry/logger.ts';
import { startTestRedis } from '../test/helpers/redis.ts';
import { fmt, machine, percentile, printTable } from './lib/stats.ts';

const SAMPLES = 500;
const log = createLogger({ level: 'warn', format: 'json' });
const options: MemoOptions = { budget: { maxMessages: 40, maxChars: 16_000 }, log };
const sentence = 'I would like to check the status of the claim I filed last week for my car.';

const redis = await startTestRedis();
if ('skipReason' in redis) throw new Error(redis.skipReason);
const manager = new RedisManager(redis.url, log);
manager.start();
while (!manager.ready) await sleep(10);
const store = new RedisSessionStore(manager, 7200, log);
process.stdout.write(`rtvoice state benchmark — ${machine()}, Redis at ${redis.url}\n`);

// A 30-turn session: a system prompt, 30 caller and 30 agent messages, context and latency samples.
const memo = await MemoManager.load(`bench-${Date.now()}`, store, options);
memo.ensureSystemPrompt('ClaimsAgent', 'You are the claims intake agent of an insurance company. '.repeat(8));
for (let turn = 0; turn < 30; turn += 1) {
  memo.appendToHistory('ClaimsAgent', 'user', sentence);
  memo.appendToHistory('ClaimsAgent', 'assistant', sentence);
  memo.addLatencySample('voice_to_voice_ms', 400 + turn);
}
memo.setContext('caller_name', 'Ada Lovelace');
await memo.persist();
const bytes = JSON.stringify((await store.load(memo.sessionId))!).length;

const persistMs: number[] = [];
const loadMs: number[] = [];
for (let i = 0; i < SAMPLES; i += 1) {
  memo.appendToHistory('ClaimsAgent', 'user', sentence);
  let started = performance.now();
  await memo.persist();
  persistMs.push(performance.now() - started);
  started = performance.now();
  await MemoManager.load(memo.sessionId, store, options);
  loadMs.push(performance.now() - started);
}

const id = `bench-race-${Date.now()}`;
const roomy: MemoOptions = { ...options, budget: { maxMessages: 10_000, maxChars: 10_000_000 } };
const writers = await Promise.all([MemoManager.load(id, store, roomy), MemoManager.load(id, store, roomy)]);
const raceStarted = performance.now();
await Promise.all(
  writers.map(async (writer, w) => {
    for (let i = 0; i < 1000; i += 1) {
      writer.appendToHistory('default', 'user', `writer ${w} update ${i}`);
      await writer.persist();
    }
  }),
);
const raceMs = performance.now() - raceStarted;
const stored = (await MemoManager.load(id, store, roomy)).history().length;

printTable(`Session state on Redis (${fmt(bytes / 1024)} KiB per 30-turn session, ${SAMPLES} samples)`, [
  { metric: 'persist one turn, p50', value: `${fmt(percentile(persistMs, 50), 2)} ms` },
  { metric: 'persist one turn, p99', value: `${fmt(percentile(persistMs, 99), 2)} ms`, target: '≤ 5 ms' },
  { metric: 'load, p50', value: `${fmt(percentile(loadMs, 50), 2)} ms` },
  { metric: 'load, p99', value: `${fmt(percentile(loadMs, 99), 2)} ms`, target: '≤ 5 ms' },
  { metric: 'two writers × 1,000 updates: lost updates', value: String(2000 - stored), target: '0' },
  { metric: 'two writers × 1,000 updates: wall time', value: `${fmt(raceMs, 0)} ms` },
]);
await manager.close();
await redis.stop();
