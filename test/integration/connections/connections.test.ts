import { once } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { envelope } from '../../../src/connections/envelope.ts';
import { PUBLIC } from '../../../src/server/access-policy.ts';
import { startServer, type RunningServer } from '../../../src/server/server.ts';
import { acceptWebSocket } from '../../../src/server/websocket.ts';
import { startTestRedis, type TestRedis } from '../../helpers/redis.ts';
import { capturingLogger, testConfig } from '../../helpers/server.ts';
import { until } from '../../helpers/wait.ts';

const redis: TestRedis = await startTestRedis();
afterAll(async () => {
  if (!('skipReason' in redis)) await redis.stop();
});

/** A server with a read-only feed route of the kind the dashboard relay is: one session's messages. */
function serverWithFeed(env: Record<string, string> = {}): Promise<RunningServer> {
  return startServer(testConfig(env), capturingLogger('silent').log, (app, services) => {
    app.get<{ Querystring: { session_id: string } }>(
      '/test/feed',
      { websocket: true, config: { access: PUBLIC } },
      (socket, request) =>
        acceptWebSocket(
          services,
          socket,
          request,
          {
            clientType: 'dashboard',
            route: '/test/feed',
            sessionId: request.query.session_id,
            topics: ['dashboard'],
          },
          () => {},
        ),
    );
  });
}

async function subscribe(
  server: RunningServer,
  sessionId: string,
  options: ConstructorParameters<typeof WebSocket>[2] = {},
) {
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/test/feed?session_id=${sessionId}`, options);
  const received: { payload: { n: number } }[] = [];
  ws.on('message', (data: Buffer) =>
    received.push(JSON.parse(data.toString('utf8')) as { payload: { n: number } }),
  );
  await once(ws, 'open');
  return { ws, received };
}

describe('connections', () => {
  it('delivers a session broadcast only to that session, in order', async () => {
    const server = await serverWithFeed();
    try {
      const mine = await subscribe(server, 'call-a');
      const other = await subscribe(server, 'call-b');
      for (let n = 0; n < 50; n += 1)
        server.services.bus.broadcastSession('call-a', envelope('event', { sessionId: 'call-a' }, { n }));
      await until(() => mine.received.length === 50);
      expect(mine.received.map((m) => m.payload.n)).toEqual(Array.from({ length: 50 }, (_, n) => n));
      expect(other.received).toEqual([]);
      expect(() => server.services.bus.broadcastSession('', {})).toThrow(/needs a session id/);
    } finally {
      await server.close();
    }
  });

  it('keeps a slow dashboard to its newest messages on a real socket, without holding back the others', async () => {
    const server = await serverWithFeed({ CONNECTION_QUEUE_SIZE: '20' });
    try {
      const slow = await subscribe(server, 'call-a');
      const fast = await subscribe(server, 'call-a');
      // The slow client stops reading: the kernel's buffers fill, then the server's socket backs up.
      slow.ws.pause();
      const padding = 'x'.repeat(16 * 1024);
      const total = 2000; // 32 MiB: far more than loopback's socket buffers hold
      for (let n = 0; n < total; n += 1) {
        const read = once(fast.ws, 'message');
        server.services.bus.broadcastSession(
          'call-a',
          envelope('event', { sessionId: 'call-a' }, { n, padding }),
        );
        await read; // a client that keeps up gets everything
      }
      expect(fast.received.map((m) => m.payload.n)).toEqual(Array.from({ length: total }, (_, n) => n));

      slow.ws.resume();
      const last = () => slow.received.at(-1)?.payload.n;
      await until(() => last() === total - 1, 10_000);
      const order = slow.received.map((m) => m.payload.n);
      expect(last()).toBe(total - 1); // the newest arrived
      expect(order.length).toBeLessThan(total); // the oldest of the backlog were dropped
      expect(order).toEqual([...order].sort((a, b) => a - b)); // in order, without repeats
      expect(new Set(order).size).toBe(order.length);
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      const dropped = Number(/^rtvoice_dropped_messages_total (\d+)/m.exec(metrics)?.[1]);
      expect(dropped).toBe(total - order.length);
    } finally {
      await server.close();
    }
  });

  it('closes a connection that answers no pings', async () => {
    const server = await serverWithFeed({ WS_PING_INTERVAL_MS: '50' });
    try {
      const silent = await subscribe(server, 'call-a', { autoPong: false });
      const alive = await subscribe(server, 'call-b');
      const [code] = (await once(silent.ws, 'close')) as [number];
      expect(code).toBe(1006); // terminated: the peer is presumed gone
      expect(alive.ws.readyState).toBe(WebSocket.OPEN);
      expect(server.services.connections.size).toBe(1);
    } finally {
      await server.close();
    }
  });

  it('refuses upgrades past MAX_CONNECTIONS with 503', async () => {
    const server = await serverWithFeed({ MAX_CONNECTIONS: '1' });
    try {
      await subscribe(server, 'call-a');
      const refused = new WebSocket(`${server.url.replace('http', 'ws')}/test/feed?session_id=call-b`);
      const [, response] = (await once(refused, 'unexpected-response')) as [unknown, { statusCode: number }];
      expect(response.statusCode).toBe(503);
      refused.on('error', () => {});
      refused.terminate();
      const metrics = await server.services.metrics.registry.getSingleMetricAsString(
        'rtvoice_connections_refused_total',
      );
      expect(metrics).toMatch(/ 1$/m);
    } finally {
      await server.close();
    }
  });
});
