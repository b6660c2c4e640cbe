import { setTimeout as sleep } from 'node:timers/promises';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { encodeAcsMetadata } from '../../../src/transports/acs/acs-codec.ts';
import { startServer, type RunningServer } from '../../../src/server/server.ts';
import { thread, watchSession } from '../../helpers/media.ts';
import { capturingLogger, testConfig } from '../../helpers/server.ts';
import { until } from '../../helpers/wait.ts';

let server: RunningServer;
beforeAll(async () => {
  server = await startServer(
    testConfig({ STT_PROVIDER: 'null', TTS_PROVIDER: 'null', AGENT_ENGINE: 'flow' }),
    capturingLogger('silent').log,
  );
});
afterAll(() => server.close());

/** One ACS media connection that starts its call, then hangs up once the call has started. */
async function connectCall(query: string, headers: Record<string, string> = {}): Promise<void> {
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/v1/media/stream?${query}`, { headers });
  await once(ws, 'open');
  ws.send(encodeAcsMetadata(16000));
  await until(() => server.services.connections.activeSessions() > 0);
  // The greeting is in the session's history once the call has started.
  await sleep(200);
  ws.close();
  await once(ws, 'close');
}

/** What the entry agent said first at each call start in the session: a greeting, then return greetings. */
const openings = async (sessionId: string) =>
  (await thread(server, sessionId, 'AuthAgent'))
    .filter((m) => m.role === 'assistant' && m.meta?.['spoken_from'] === 0)
    .map((m) => m.content);
const FIRST = 'Hi there from XYZ Insurance!';
const AGAIN = "You're back with the front desk.";

describe('a call that reconnects', () => {
  it('finds its session through the call → session map when it names only its call id', async () => {
    await connectCall('call_connection_id=call-reconnects');
    const sessionId = await server.services.sessions.store.sessionForCall('call-reconnects');
    expect(sessionId).toBeDefined();
    await until(async () => (await openings(sessionId!)).length === 1);
    expect(await openings(sessionId!)).toEqual([FIRST]);

    const watcher = await watchSession(server, sessionId!);
    await connectCall('call_connection_id=call-reconnects');
    await until(() => watcher.envelopes.some((e) => e.type === 'status'));
    watcher.close();
    expect(watcher.envelopes.map((e) => e.type)).toContain('status'); // the call started in that session
    expect(await server.services.sessions.store.sessionForCall('call-reconnects')).toBe(sessionId);
    await until(async () => (await openings(sessionId!)).length === 2);
    expect(await openings(sessionId!)).toEqual([FIRST, AGAIN]); // the agent knows the caller is back
  });

  it('joins the session named in its x-session-id header, and maps its call to it', async () => {
    const watcher = await watchSession(server, 'header-session');
    await connectCall('call_connection_id=call-with-header', { 'x-session-id': 'header-session' });
    await until(() => watcher.envelopes.some((e) => e.type === 'status'));
    watcher.close();
    expect(watcher.envelopes.map((e) => e.type)).toContain('status');
    expect(await server.services.sessions.store.sessionForCall('call-with-header')).toBe('header-session');

    // A reconnect that names only the call id lands in the same session.
    await connectCall('call_connection_id=call-with-header');
    await until(async () => (await openings('header-session')).length === 2);
    expect(await openings('header-session')).toEqual([FIRST, AGAIN]);
  });
});
