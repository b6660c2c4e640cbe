import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/server.ts';
import { AcsSimulator } from '../../../src/telephony/simulator/acs-simulator.ts';
import { startMediaServer } from '../../helpers/media.ts';
import { freePort, spawnRedisServer } from '../../helpers/redis.ts';
import { ACS_NUMBER, CALLER, callRecordOf } from '../../helpers/telephony.ts';
import { until } from '../../helpers/wait.ts';

let acs: AcsSimulator;
let redis: Awaited<ReturnType<typeof spawnRedisServer>>;
const servers: RunningServer[] = [];

/** An instance of rtvoice sharing Redis and the ACS resource with the others. */
async function instance(): Promise<RunningServer> {
  const port = await freePort();
  const server = await startMediaServer({
    PORT: String(port),
    REDIS_URL: redis.url,
    ...acs.serverEnv(`http://127.0.0.1:${port}`),
    STT_PROVIDER: 'null',
    TTS_PROVIDER: 'null',
  });
  servers.push(server);
  return server;
}

beforeAll(async () => {
  acs = await AcsSimulator.start();
  redis = await spawnRedisServer();
});
afterAll(async () => {
  for (const server of servers) await server.close();
  await acs.close();
  await redis.stop();
});

describe('phone calls across two instances sharing Redis', () => {
  it('lists a call on every instance, and ends it from the one that does not hold its media', async () => {
    const [first, second] = [await instance(), await instance()];
    const rang = await acs.ringIn(`${first.url}/api/v1/calls/answer`, { from: CALLER, to: ACS_NUMBER });
    const [answered] = rang.body['answered'] as { call_connection_id: string; session_id: string }[];
    const callId = answered!.call_connection_id;
    const line = await acs.lineOf(callId);
    await until(async () => (await callRecordOf(first, answered!.session_id))?.state === 'connected');

    for (const server of [first, second]) {
      const listed = (await (await fetch(`${server.url}/api/v1/calls`)).json()) as {
        calls: { callId: string }[];
      };
      expect(listed.calls.map((c) => c.callId)).toEqual([callId]);
    }
    // The second instance holds no media for it: ACS hangs up, and the first ends the call's handler.
    expect((await fetch(`${second.url}/api/v1/calls/${callId}/hangup`, { method: 'POST' })).status).toBe(202);
    const record = await line.done;
    expect(record.endedBy).toBe('caller'); // the simulated ACS closed the media socket when it hung up
    await until(async () => (await callRecordOf(first, answered!.session_id))?.state === 'disconnected');
    expect(await callRecordOf(second, answered!.session_id)).toMatchObject({
      endReason: 'hung up through the API',
    });
    expect(await (await fetch(`${second.url}/api/v1/calls`)).json()).toEqual({ calls: [] });
    await until(() => first.services.connections.activeSessions() === 0);
  });
});
