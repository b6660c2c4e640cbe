// npm run bench:fanout — broadcast fan-out across instances, and the memory cost of idle connections.
// Two `rtvoice serve` processes share one Redis. First 1,000 idle dashboards connect to one fresh instance
// and its RSS is read; then 100 dashboards connect to each and envelopes published on Redis reach all 200.
import { setTimeout as sleep } from 'node:timers/promises';
import { once } from 'node:events';
import { createClient } from 'redis';
import { WebSocket } from 'ws';
import { envelope } from '../src/connections/envelope.ts';
import { startTestRedis } from '../test/helpers/redis.ts';
import { rssMiB, serve } from './lib/serve.ts';
import { fmt, machine, percentile, printTable } from './lib/stats.ts';

const SESSION = 'bench-session';
const ENVELOPES = 200;

const start = (redisUrl: string) =>
  serve({
    SESSION_TOKEN_SECRET: 'bench',
    REDIS_URL: redisUrl,
    STT_POOL_WARM: '0',
    TTS_POOL_WARM: '0',
    MAX_CONNECTIONS: '5000',
  });

async function dashboards(
  url: string,
  count: number,
  onMessage?: (data: Buffer) => void,
): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  for (let i = 0; i < count; i += 50) {
    const batch = Array.from({ length: Math.min(50, count - i) }, () => {
      const ws = new WebSocket(
        `${url.replace('http', 'ws')}/api/v1/realtime/dashboard/relay?session_id=${SESSION}`,
      );
      if (onMessage) ws.on('message', onMessage);
      return once(ws, 'open').then(() => ws);
    });
    sockets.push(...(await Promise.all(batch)));
  }
  return sockets;
}

const redis = await startTestRedis();
if ('skipReason' in redis) throw new Error(redis.skipReason);
process.stdout.write(
  `rtvoice fan-out benchmark — ${machine()}; servers, Redis and clients share the machine\n`,
);
process.stderr.write('… starting two instances\n');
const [a, b] = await Promise.all([start(redis.url), start(redis.url)]);
await sleep(300);

process.stderr.write('… 1,000 idle dashboards on one instance\n');
const rssBefore = rssMiB(a.child.pid!);
const idle = await dashboards(a.url, 1000);
await sleep(1000);
const rssAfter = rssMiB(a.child.pid!);
for (const ws of idle) ws.terminate();

const latencies: number[] = [];
const onMessage = (data: Buffer) => {
  const { payload } = JSON.parse(data.toString('utf8')) as { payload: { sentAt: number } };
  latencies.push(performance.timeOrigin + performance.now() - payload.sentAt);
};
process.stderr.write('… 100 dashboards on each instance\n');
const clients = [...(await dashboards(a.url, 100, onMessage)), ...(await dashboards(b.url, 100, onMessage))];
const publisher = createClient({ url: redis.url });
await publisher.connect();
process.stderr.write(`… publishing ${ENVELOPES} envelopes at 50 per second\n`);
for (let n = 0; n < ENVELOPES; n += 1) {
  const message = envelope(
    'event',
    { sessionId: SESSION, sender: 'bench' },
    { n, sentAt: performance.timeOrigin + performance.now() },
  );
  await publisher.publish(`rtvoice:session:${SESSION}`, JSON.stringify({ origin: 'bench', message }));
  await sleep(20);
}
await sleep(500);
for (const ws of clients) ws.close();

printTable('Fan-out across 2 instances (200 dashboards, Redis pub/sub)', [
  { metric: 'deliveries', value: `${latencies.length} of ${ENVELOPES * 200}` },
  { metric: 'publish → dashboard, p50', value: `${fmt(percentile(latencies, 50), 2)} ms` },
  { metric: 'publish → dashboard, p99', value: `${fmt(percentile(latencies, 99), 2)} ms`, target: '≤ 25 ms' },
  { metric: 'publish → dashboard, max', value: `${fmt(Math.max(...latencies), 2)} ms` },
]);
printTable('1,000 idle connections on one instance', [
  { metric: 'instance RSS before / after', value: `${fmt(rssBefore)} / ${fmt(rssAfter)} MiB` },
  { metric: 'instance RSS with 1,000 connections', value: `${fmt(rssAfter)} MiB`, target: '< 200 MB' },
]);
await publisher.close();
a.child.kill('SIGTERM');
b.child.kill('SIGTERM');
await Promise.all([once(a.child, 'exit'), once(b.child, 'exit')]);
await redis.stop();
