import { setTimeout as sleep } from 'node:timers/promises';
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { text } from 'node:stream/consumers';
import { createClient } from 'redis';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { PUBLIC } from '../../../src/server/access-policy.ts';
import { startServer, type RunningServer } from '../../../src/server/server.ts';
import { acceptWebSocket } from '../../../src/server/websocket.ts';
import { newCaller, startMediaServer } from '../../helpers/media.ts';
import { startTestRedis } from '../../helpers/redis.ts';
import { startServeCli } from '../../helpers/serve-cli.ts';
import { capturingLogger, testConfig } from '../../helpers/server.ts';
import { until } from '../../helpers/wait.ts';

/** A server with one WebSocket route of the kind later issues add: it registers a session and echoes. */
async function serverWithSessions(
  graceMs: number,
): Promise<{ server: RunningServer; lines: () => Record<string, unknown>[] }> {
  const { log, lines } = capturingLogger();
  const server = await startServer(
    testConfig({ SHUTDOWN_GRACE_MS: String(graceMs) }),
    log,
    (app, services) => {
      app.get('/test/session', { websocket: true, config: { access: PUBLIC } }, (socket, request) =>
        acceptWebSocket(
          services,
          socket,
          request,
          { clientType: 'test', route: '/test/session', sessionId: 'sess-1' },
          () => {
            socket.on('message', (data) => socket.send(data));
          },
        ),
      );
    },
  );
  return { server, lines };
}

async function openSocket(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url.replace('http', 'ws') + '/test/session');
  await once(ws, 'open');
  return ws;
}

describe('graceful shutdown', () => {
  it('lets an active session finish within the grace period, then completes', async () => {
    const { server, lines } = await serverWithSessions(5_000);
    const ws = await openSocket(server.url);
    expect(server.services.connections.activeSessions()).toBe(1);
    const closing = server.close();

    // New sessions are refused while draining...
    await sleep(100);
    const refused = new WebSocket(server.url.replace('http', 'ws') + '/test/session');
    refused.on('error', () => {});
    const [, response] = (await once(refused, 'unexpected-response')) as [unknown, IncomingMessage];
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    const body = await text(response);
    expect(JSON.parse(body)).toMatchObject({ message: expect.stringContaining('shutting down') });
    refused.terminate();
    const readiness = await fetch(`${server.url}/api/v1/readiness`);
    expect(readiness.status).toBe(503);
    expect(await readiness.json()).toMatchObject({
      checks: { shutdown: { status: 'unhealthy', error: expect.stringContaining('shutting down') } },
    });

    // ...while the open one keeps working.
    ws.send('still here');
    const [echo] = await once(ws, 'message');
    expect(String(echo)).toBe('still here');

    const started = performance.now();
    ws.close(1000, 'caller hung up');
    await closing;
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(lines().some((l) => l['msg'] === 'websocket accepted' && l['session_id'] === 'sess-1')).toBe(true);
  });

  it('closes sessions still open after the grace period with 1001', async () => {
    const { server } = await serverWithSessions(300);
    const ws = await openSocket(server.url);
    const closed = once(ws, 'close');
    const started = performance.now();
    await server.close();
    const [code, reason] = (await closed) as [number, Buffer];
    expect(code).toBe(1001);
    expect(reason.toString()).toBe('server shutting down');
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(server.services.connections.size).toBe(0);
  });

  it('a session handler that throws closes only its own socket with 1011', async () => {
    const { log } = capturingLogger('silent');
    const server = await startServer(testConfig(), log, (app, services) => {
      app.get('/test/broken', { websocket: true, config: { access: PUBLIC } }, (socket, request) =>
        acceptWebSocket(services, socket, request, { clientType: 'test', route: '/test/broken' }, () => {
          throw new Error('handler bug');
        }),
      );
    });
    try {
      const ws = new WebSocket(server.url.replace('http', 'ws') + '/test/broken');
      const [code, reason] = (await once(ws, 'close')) as [number, Buffer];
      expect(code).toBe(1011);
      expect(reason.toString()).toContain('handler bug');
      expect((await fetch(`${server.url}/api/v1/health`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describe('shutdown with a live call', () => {
  const redis = startTestRedis();
  afterAll(async () => {
    const started = await redis;
    if (!('skipReason' in started)) await started.stop();
  });

  it('closes a call still running after the grace period with 1001, saves its session, and releases pools and Redis', async () => {
    const started = await redis;
    if ('skipReason' in started) return console.warn(`SKIPPED: ${started.skipReason}`);
    const server = await startMediaServer({ REDIS_URL: started.url, SHUTDOWN_GRACE_MS: '300' });
    const { redis: manager, speech } = server.services;
    while (!manager!.ready) await sleep(10);
    const clientId = await manager!.client.clientId();
    const caller = newCaller(server);
    expect(await caller.connect()).toBe(true);
    expect((await caller.waitForAgentSpeech({ timeoutMs: 10_000 })).ok).toBe(true);
    await until(() => speech!.recognizers.stats().inUse === 1); // taken while the greeting plays
    expect(speech!.recognizers.stats().inUse).toBe(1);

    await server.close();
    const record = await caller.done;
    expect(record).toMatchObject({ endedBy: 'server', closeCode: 1001, closeReason: 'server shutting down' });
    for (const pool of [speech!.recognizers, speech!.synthesizers, speech!.vads]) {
      expect(pool.stats()).toMatchObject({ size: 0, inUse: 0 });
      await expect(pool.acquire()).rejects.toThrow(/shut down/);
    }
    expect(manager!.ready).toBe(false);

    const observer = createClient({ url: started.url });
    await observer.connect();
    try {
      expect(await observer.sendCommand(['CLIENT', 'LIST', 'ID', String(clientId)])).toBe('');
      const stored = await observer.hGetAll(`session:${caller.sessionId}`);
      expect(stored['chat_history']).toContain('assistant'); // the greeting the caller heard
    } finally {
      await observer.close();
    }
  });
});

describe('rtvoice serve', () => {
  it('exits 0 on SIGTERM after logging a complete shutdown', async () => {
    const server = await startServeCli({});
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${server.url}/api/v1/health`)).status).toBe(200);
    expect(await server.stop()).toBe(0);
    expect(server.lines.map((line) => line['msg'])).toContain('shutdown complete');
  });

  it('exits 1 at once on a second signal while calls are still running', async () => {
    const server = await startServeCli({
      STT_PROVIDER: 'null',
      TTS_PROVIDER: 'null',
      SHUTDOWN_GRACE_MS: '60000',
    });
    const call = new WebSocket(`${server.url!.replace('http', 'ws')}/api/v1/realtime/conversation`);
    await once(call, 'open');
    call.send(JSON.stringify({ type: 'start', sample_rate: 16000 }));
    await once(call, 'message');
    const closed = once(call, 'close');

    server.child.kill('SIGTERM');
    await until(() => server.lines.some((line) => String(line['msg']).startsWith('shutting down')));
    const started = performance.now();
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(1);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(server.lines.map((line) => line['msg'])).toContain(
      'second signal: exiting without waiting for sessions',
    );
    await closed;
  });

  it('refuses to start on invalid configuration, listing the problems', async () => {
    const server = await startServeCli({ PORT: 'abc', ACS_STREAMING_MODE: 'nope' });
    expect(await server.exited).toBe(2);
    expect(server.stderr()).toContain('PORT: expected an integer from 0 to 65535, got "abc"');
    expect(server.stderr()).toContain(
      'ACS_STREAMING_MODE: expected one of media, transcription, voice_live, got "nope"',
    );
    expect(server.stderr()).not.toMatch(/\n\s+at /); // no stack trace
  });
});
