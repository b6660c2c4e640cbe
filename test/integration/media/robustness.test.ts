import { setTimeout as sleep } from 'node:timers/promises';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { encodeAcsAudioIn, encodeAcsMetadata } from '../../../src/transports/acs/acs-codec.ts';
import type { RunningServer } from '../../../src/server/server.ts';
import { newCaller, startMediaServer } from '../../helpers/media.ts';
import { until } from '../../helpers/wait.ts';

let server: RunningServer;
beforeAll(async () => {
  server = await startMediaServer({ MAX_BAD_MESSAGES: '50' });
});
afterAll(() => server.close());

const frame = (samples = 320) => encodeAcsAudioIn(new Int16Array(samples));

function acsSocket(query = ''): WebSocket {
  return new WebSocket(`${server.url.replace('http', 'ws')}/api/v1/media/stream${query}`);
}

async function badMessages(): Promise<number> {
  const text = await server.services.metrics.registry.getSingleMetricAsString(
    'rtvoice_media_bad_messages_total',
  );
  return [...text.matchAll(/^rtvoice_media_bad_messages_total\{[^}]*\} (\d+)$/gm)].reduce(
    (n, m) => n + Number(m[1]),
    0,
  );
}

describe('media sockets under bad input', () => {
  it('counts malformed messages and goes on with the call; a run of them closes only that socket (1007)', async () => {
    const healthy = newCaller(server);
    expect(await healthy.connect()).toBe(true);

    const ws = acsSocket('?call_connection_id=garbage-call');
    await once(ws, 'open');
    const before = await badMessages();
    const received: string[] = [];
    ws.on('message', (data: Buffer) => received.push(data.toString('utf8')));
    ws.send(frame()); // audio before metadata
    ws.send(encodeAcsMetadata(16000));
    for (const bad of [
      'not json',
      '{"kind":"Nonsense"}',
      '{"kind":"AudioData","audioData":{"data":"@@@"}}',
      frame(100), // not 20 ms
      encodeAcsMetadata(24000), // the rate changes mid-call
    ]) {
      ws.send(bad);
      ws.send(frame()); // a good frame between bad ones keeps the call going
    }
    ws.send(Buffer.from([1, 2, 3]), { binary: true });
    // The call goes on: its greeting arrives.
    await until(() => received.some((m) => m.includes('AudioData')), 5000);
    expect(received.some((m) => m.includes('AudioData'))).toBe(true);
    expect((await badMessages()) - before).toBe(7);

    // Sustained garbage closes this socket with a reason.
    const closed = once(ws, 'close');
    for (let i = 0; i < 60; i += 1) ws.send('{');
    const [code, reason] = (await closed) as [number, Buffer];
    expect(code).toBe(1007);
    expect(reason.toString()).toMatch(/malformed messages in a row/);

    // The other call was not affected.
    expect((await healthy.waitForAgentSpeech({ timeoutMs: 5000 })).ok).toBe(true);
    const record = await healthy.hangup();
    expect(record.errors).toEqual([]);
  }, 30_000);

  it('refuses a streaming mode that is not available, with the reason', async () => {
    const ws = acsSocket('?streaming_mode=voice_live');
    const [code, reason] = (await once(ws, 'close')) as [number, Buffer];
    expect(code).toBe(4002);
    expect(reason.toString()).toContain('voice_live mode needs VOICE_LIVE_URL');
    const transcribed = acsSocket('?streaming_mode=transcription');
    const [wrongRoute, where] = (await once(transcribed, 'close')) as [number, Buffer];
    expect(wrongRoute).toBe(4002);
    expect(where.toString()).toContain("transcription mode calls come in on ACS's transcription socket");
    const unknown = acsSocket('?streaming_mode=telepathy');
    const [, why] = (await once(unknown, 'close')) as [number, Buffer];
    expect(why.toString()).toContain('unknown streaming mode "telepathy"');
  });

  it('releases every recognizer, synthesizer and voice detector after 100 calls that hang up at random moments', async () => {
    const speech = server.services.speech!;
    const call = async (i: number) => {
      const ws = acsSocket(`?call_connection_id=leak-${i}`);
      ws.on('error', () => undefined);
      await once(ws, 'open');
      const lifetime = (i * 37) % 700; // 0-700 ms: before metadata, while loading, mid-greeting
      if (i % 5 !== 0) ws.send(encodeAcsMetadata(16000));
      const pump = setInterval(() => ws.readyState === ws.OPEN && ws.send(frame()), 20);
      await sleep(lifetime);
      clearInterval(pump);
      if (i % 3 === 0)
        ws.terminate(); // no close handshake
      else ws.close();
    };
    for (let batch = 0; batch < 10; batch += 1) {
      await Promise.all(Array.from({ length: 10 }, (_, j) => call(batch * 10 + j)));
    }
    await until(
      () => [speech.recognizers, speech.synthesizers, speech.vads].every((pool) => pool.stats().inUse === 0),
      10_000,
    );
    expect(speech.recognizers.stats()).toMatchObject({ inUse: 0, waiters: 0 });
    expect(speech.synthesizers.stats()).toMatchObject({ inUse: 0, waiters: 0 });
    expect(speech.vads.stats()).toMatchObject({ inUse: 0, waiters: 0 });
    await until(() => server.services.connections.stats().total === 0, 5000);
    expect(server.services.connections.stats().total).toBe(0);
    expect(server.services.connections.activeSessions()).toBe(0);
  }, 60_000);
});
