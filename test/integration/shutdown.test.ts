import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { PUBLIC } from '../../src/server/access-policy.ts';
import { startServer, type RunningServer } from '../../src/server/server.ts';
import { acceptWebSocket } from '../../src/server/websocket.ts';
import { capturingLogger, testConfig } from '../helpers/server.ts';

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
    await new Promise((resolve) => setTimeout(resolve, 100));
    const refused = new WebSocket(server.url.replace('http', 'ws') + '/test/session');
    const [outcome] = await Promise.race([
      once(refused, 'error'),
      once(refused, 'close'),
      once(refused, 'unexpected-response'),
    ]);
    expect(outcome).toBeDefined();
    expect(refused.readyState).not.toBe(WebSocket.OPEN);
    refused.on('error', () => {});
    refused.terminate();

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

describe('rtvoice serve', () => {
  it('exits 0 on SIGTERM after logging a complete shutdown', async () => {
    const child = spawn(process.execPath, ['bin/rtvoice.js', 'serve'], {
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_FORMAT: 'json', REDIS_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const messages: string[] = [];
    let url: string | undefined;
    for await (const line of createInterface({ input: child.stdout })) {
      const entry = JSON.parse(line) as { msg: string; url?: string };
      messages.push(entry.msg);
      if (entry.msg === 'rtvoice is listening') {
        url = entry.url;
        break;
      }
    }
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${url}/api/v1/health`)).status).toBe(200);

    const rest = createInterface({ input: child.stdout });
    rest.on('line', (line) => messages.push((JSON.parse(line) as { msg: string }).msg));
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
    expect(messages).toContain('shutdown complete');
  });

  it('refuses to start on invalid configuration, listing the problems', async () => {
    const child = spawn(process.execPath, ['bin/rtvoice.js', 'serve'], {
      env: { ...process.env, PORT: 'abc', ACS_STREAMING_MODE: 'nope' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(2);
    expect(stderr).toContain('PORT: expected an integer from 0 to 65535, got "abc"');
    expect(stderr).toContain(
      'ACS_STREAMING_MODE: expected one of media, transcription, voice_live, got "nope"',
    );
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});
