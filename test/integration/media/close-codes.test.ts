import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { encodeAcsMetadata } from '../../../src/transports/acs/acs-codec.ts';
import { startServer, type RunningServer } from '../../../src/server/server.ts';
import { watchSession } from '../../helpers/media.ts';
import { capturingLogger, testConfig } from '../../helpers/server.ts';
import { until } from '../../helpers/wait.ts';

// One recognizer, synthesizer and voice detector in all, and a short wait for them: a second call is turned away.
let server: RunningServer;
beforeAll(async () => {
  server = await startServer(
    testConfig({
      STT_PROVIDER: 'null',
      TTS_PROVIDER: 'null',
      STT_POOL_SIZE: '1',
      STT_POOL_WARM: '1',
      TTS_POOL_SIZE: '1',
      TTS_POOL_WARM: '1',
      POOL_ACQUIRE_TIMEOUT_MS: '200',
    }),
    capturingLogger('silent').log,
  );
});
afterAll(() => server.close());

const acsSocket = (query: string) =>
  new WebSocket(`${server.url.replace('http', 'ws')}/api/v1/media/stream${query}`);

async function closeOf(ws: WebSocket): Promise<{ code: number; reason: string }> {
  const [code, reason] = (await once(ws, 'close')) as [number, Buffer];
  return { code, reason: reason.toString() };
}

describe('media socket close codes', () => {
  it('1008 for a malformed session or call id', async () => {
    expect(await closeOf(acsSocket('?session_id=has%20a%20space'))).toEqual({
      code: 1008,
      reason: 'session id must be 1-128 letters, digits, "_", ".", ":" or "-"',
    });
    expect(await closeOf(acsSocket(`?call_connection_id=${'x'.repeat(129)}`))).toMatchObject({
      code: 1008,
      reason: expect.stringContaining('call connection id must be') as unknown,
    });
  });

  it('1009 for a message over 1 MiB, and the server goes on', async () => {
    const ws = acsSocket('?call_connection_id=too-big');
    await once(ws, 'open');
    ws.send(encodeAcsMetadata(16000));
    ws.send('x'.repeat((1 << 20) + 1));
    expect((await closeOf(ws)).code).toBe(1009);
    expect((await fetch(`${server.url}/api/v1/health`)).status).toBe(200);
  });

  it('1013 with an error envelope when no speech resources are free in time', async () => {
    const first = acsSocket('?call_connection_id=holds-the-pools');
    await once(first, 'open');
    first.send(encodeAcsMetadata(16000));
    const { speech } = server.services;
    await until(() => speech!.synthesizers.stats().inUse === 1 && speech!.vads.stats().inUse === 1);
    expect(speech!.synthesizers.stats().inUse).toBe(1);

    const watcher = await watchSession(server, 'turned-away');
    const second = acsSocket('?session_id=turned-away');
    await once(second, 'open');
    second.send(encodeAcsMetadata(16000));
    expect(await closeOf(second)).toEqual({
      code: 1013,
      reason: 'speech resources unavailable, try again later',
    });
    await until(() => watcher.envelopes.some((e) => e.type === 'error'));
    expect(watcher.envelopes.find((e) => e.type === 'error')?.payload).toMatchObject({
      message: 'the speech service is busy; please call again',
      detail: expect.stringContaining('200 ms') as unknown,
    });
    watcher.close();
    expect(first.readyState).toBe(WebSocket.OPEN); // the call that holds them goes on
    first.close();
  });
});
