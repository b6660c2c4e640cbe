import { setTimeout as sleep } from 'node:timers/promises';
import { once } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { envelope } from '../../../src/connections/envelope.ts';
import { startServer, type RunningServer } from '../../../src/server/server.ts';
import { spawnRedisServer, startTestRedis, type TestRedis } from '../../helpers/redis.ts';
import { capturingLogger, testConfig } from '../../helpers/server.ts';
import { until } from '../../helpers/wait.ts';

const redis: TestRedis = await startTestRedis();
afterAll(async () => {
  if (!('skipReason' in redis)) await redis.stop();
});

const start = (env: Record<string, string> = {}) =>
  startServer(testConfig(env), capturingLogger('silent').log);

interface Feed {
  ws: WebSocket;
  received: { type: string; session_id: string; payload: { n?: number } }[];
}

async function relay(
  server: RunningServer,
  query: string,
  headers: Record<string, string> = {},
): Promise<Feed> {
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/v1/realtime/dashboard/relay?${query}`, {
    headers,
  });
  const received: Feed['received'] = [];
  ws.on('message', (data: Buffer) =>
    received.push(JSON.parse(data.toString('utf8')) as Feed['received'][number]),
  );
  await once(ws, 'open');
  return { ws, received };
}

async function closeOf(ws: WebSocket): Promise<{ code: number; reason: string }> {
  const [code, reason] = (await once(ws, 'close')) as [number, Buffer];
  return { code, reason: reason.toString() };
}

describe('dashboard relay', () => {
  it('streams one session, ignores what the client says, and closes on binary or oversized frames', async () => {
    const server = await start();
    try {
      const feed = await relay(server, 'session_id=call-1');
      feed.ws.send('hello?'); // ignored: the feed is read-only
      server.services.bus.publish(envelope('user_transcript', { sessionId: 'call-1' }, { n: 1 }));
      server.services.bus.publish(envelope('user_transcript', { sessionId: 'call-2' }, { n: 2 }));
      await until(() => feed.received.length >= 1);
      await sleep(50);
      expect(feed.received.map((e) => e.payload.n)).toEqual([1]);

      feed.ws.send(Buffer.from([1, 2, 3]), { binary: true });
      expect(await closeOf(feed.ws)).toMatchObject({
        code: 1003,
        reason: expect.stringContaining('read-only'),
      });
      const chatty = await relay(server, 'session_id=call-1');
      chatty.ws.send('x'.repeat(5000));
      expect((await closeOf(chatty.ws)).code).toBe(1009);
    } finally {
      await server.close();
    }
  });

  it('with API keys: refuses missing and wrong keys with 4001 and out-of-scope ones with 4003, and admits scoped keys and session tokens', async () => {
    const server = await start({ AUTH_MODE: 'apikey', API_KEYS: 'admin-key,agent-key:call-1' });
    try {
      expect(await closeOf((await relay(server, 'session_id=call-1')).ws)).toMatchObject({
        code: 4001,
        reason: expect.stringContaining('authentication required'),
      });
      expect(
        (await closeOf((await relay(server, 'session_id=call-1', { 'x-api-key': 'nope' })).ws)).code,
      ).toBe(4001);
      expect(
        await closeOf((await relay(server, 'session_id=call-2', { 'x-api-key': 'agent-key' })).ws),
      ).toMatchObject({
        code: 4003,
        reason: 'not authorized for session call-2',
      });
      expect((await closeOf((await relay(server, '', { 'x-api-key': 'agent-key' })).ws)).code).toBe(4003); // overview needs admin

      const scoped = await relay(server, 'session_id=call-1', { 'x-api-key': 'agent-key' });
      const response = await fetch(`${server.url}/api/v1/auth/session-token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': 'agent-key' },
        body: JSON.stringify({ session_id: 'call-1' }),
      });
      const { token } = (await response.json()) as { token: string };
      const browser = await relay(server, `session_id=call-1&token=${encodeURIComponent(token)}`);
      expect(
        (await closeOf((await relay(server, `session_id=call-2&token=${encodeURIComponent(token)}`)).ws))
          .code,
      ).toBe(4003);
      const forbidden = await fetch(`${server.url}/api/v1/auth/session-token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': 'agent-key' },
        body: JSON.stringify({ session_id: 'call-2' }),
      });
      expect(forbidden.status).toBe(403);

      const overview = await relay(server, '', { 'x-api-key': 'admin-key' });
      server.services.bus.publish(envelope('metrics', { sessionId: 'call-1' }, { n: 7 }));
      server.services.bus.publish(envelope('user_transcript', { sessionId: 'call-1' }, { n: 8 }));
      await until(
        () => scoped.received.length >= 2 && browser.received.length >= 2 && overview.received.length >= 1,
      );
      expect(scoped.received.map((e) => e.payload.n)).toEqual([7, 8]);
      expect(browser.received.map((e) => e.payload.n)).toEqual([7, 8]);
      expect(overview.received.map((e) => e.type)).toEqual(['metrics']); // status and metrics only
    } finally {
      await server.close();
    }
  });

  it.skipIf('skipReason' in redis)(
    'shows a dashboard on instance A the envelopes a call on instance B produces, in order, without echoes',
    async () => {
      if ('skipReason' in redis) return;
      const [a, b] = await Promise.all([start({ REDIS_URL: redis.url }), start({ REDIS_URL: redis.url })]);
      try {
        await until(() => a.services.redis!.ready && b.services.redis!.ready);
        await sleep(100); // both instances subscribed
        const dashboard = await relay(a, 'session_id=call-on-b');
        const alsoOnB = await relay(b, 'session_id=call-on-b');
        for (let n = 0; n < 200; n += 1)
          b.services.bus.publish(envelope('event', { sessionId: 'call-on-b', sender: 'ACS' }, { n }));
        await until(() => dashboard.received.length === 200 && alsoOnB.received.length === 200);
        expect(dashboard.received.map((e) => e.payload.n)).toEqual(Array.from({ length: 200 }, (_, n) => n));
        expect(alsoOnB.received).toHaveLength(200); // delivered once locally, not again from its own echo
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    },
  );
});

describe.skipIf('skipReason' in redis)('bus across a Redis restart', () => {
  it("keeps delivering other instances' broadcasts after Redis comes back", async () => {
    const server = await spawnRedisServer();
    const [a, b] = await Promise.all([start({ REDIS_URL: server.url }), start({ REDIS_URL: server.url })]);
    let restarted: Awaited<ReturnType<typeof spawnRedisServer>> | undefined;
    try {
      await until(() => a.services.redis!.ready && b.services.redis!.ready);
      await sleep(100);
      const dashboard = await relay(a, 'session_id=call-r');
      await server.stop();
      restarted = await spawnRedisServer(server.port);
      await until(() => a.services.redis!.ready && b.services.redis!.ready, 10_000);
      await sleep(1_000); // the subscriber connection reconnects and resubscribes
      for (let attempt = 0; attempt < 20 && dashboard.received.length === 0; attempt += 1) {
        b.services.bus.publish(envelope('event', { sessionId: 'call-r' }, { n: attempt }));
        await sleep(200);
      }
      expect(dashboard.received.length).toBeGreaterThan(0);
    } finally {
      await Promise.all([a.close(), b.close()]);
      await restarted?.stop();
    }
  }, 30_000);
});
