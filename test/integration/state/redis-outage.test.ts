import { once } from 'node:events';
import { createClient } from 'redis';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startServer, type RunningServer } from '../../../src/server/server.ts';
import { spawnRedisServer } from '../../helpers/redis.ts';
import { capturingLogger, testConfig } from '../../helpers/server.ts';
import { until } from '../../helpers/wait.ts';

const running: { stop(): Promise<void> }[] = [];
afterAll(async () => {
  for (const item of running.reverse()) await item.stop();
});

async function readiness(server: RunningServer) {
  const response = await fetch(`${server.url}/api/v1/readiness`);
  const body = (await response.json()) as { checks: Record<string, { status: string; error?: string }> };
  return { status: response.status, redis: body.checks['redis'] };
}

/** A browser conversation: typed turns in, envelopes out. */
async function conversation(server: RunningServer, sessionId: string) {
  const ws = new WebSocket(
    `${server.url.replace('http', 'ws')}/api/v1/realtime/conversation?session_id=${sessionId}`,
  );
  const envelopes: { type: string; payload: Record<string, unknown> }[] = [];
  ws.on('message', (data: Buffer, binary: boolean) => {
    if (!binary) envelopes.push(JSON.parse(data.toString('utf8')) as (typeof envelopes)[number]);
  });
  await once(ws, 'open');
  ws.send(JSON.stringify({ type: 'start', sample_rate: 16000 }));
  const replies = () => envelopes.filter((e) => e.type === 'assistant_transcript').length;
  return {
    ws,
    replies,
    /** Types a line and waits for the agent's whole reply. */
    async say(text: string): Promise<string> {
      const before = replies();
      ws.send(JSON.stringify({ type: 'user_text', text }));
      await until(() => replies() > before, 5000);
      return String(envelopes.filter((e) => e.type === 'assistant_transcript').at(-1)?.payload['text']);
    },
  };
}

describe('Redis dies while the server runs', () => {
  it('turns readiness 503 and back, while a call goes on and its turns reach Redis once it returns', async () => {
    const redis = await spawnRedisServer();
    running.push(redis);
    const server = await startServer(
      testConfig({ REDIS_URL: redis.url, STT_PROVIDER: 'null', TTS_PROVIDER: 'null', AGENT_ENGINE: 'flow' }),
      capturingLogger('silent').log,
    );
    running.push({ stop: () => server.close() });
    await until(async () => (await readiness(server)).status === 200, 5000);
    expect(await readiness(server)).toMatchObject({ status: 200, redis: { status: 'healthy' } });

    const call = await conversation(server, 'outage-call');
    // The call is set up and greeted (its session loaded from Redis) before Redis goes.
    await until(() => call.replies() === 1, 5000);
    expect(call.replies()).toBe(1);
    await redis.stop();
    await until(async () => (await readiness(server)).status === 503, 5000);
    expect(await readiness(server)).toMatchObject({
      status: 503,
      redis: { status: 'unhealthy', error: expect.stringContaining('not connected') as unknown },
    });

    // The call goes on from memory: the agent answers a turn taken while Redis is away.
    const reply = await call.say('Ada Lovelace');
    expect(reply).toMatch(/ZIP/i);
    expect(call.ws.readyState).toBe(WebSocket.OPEN);

    const back = await spawnRedisServer(redis.port); // empty: it kept nothing
    running.push(back);
    await until(async () => (await readiness(server)).status === 200, 10_000);
    expect((await readiness(server)).status).toBe(200);

    const observer = createClient({ url: back.url });
    await observer.connect();
    try {
      await until(async () => (await observer.hGet('session:outage-call', 'chat_history')) !== null, 10_000);
      const history = (await observer.hGet('session:outage-call', 'chat_history')) ?? '';
      expect(history).toContain('Ada Lovelace'); // said while Redis was away
    } finally {
      await observer.close();
    }
    call.ws.close();
  }, 40_000);
});
