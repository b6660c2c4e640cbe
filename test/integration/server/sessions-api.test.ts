import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../../src/server/server.ts';
import { startTestRedis, type TestRedis } from '../../helpers/redis.ts';
import { capturingLogger, testConfig } from '../../helpers/server.ts';

const redis: TestRedis = await startTestRedis();
afterAll(async () => {
  if (!('skipReason' in redis)) await redis.stop();
});

function sessionsApi(name: string, env: () => Record<string, string>, skip = false) {
  describe.skipIf(skip)(`sessions API (${name} store)`, () => {
    let server: RunningServer;
    const id = `api-${Math.random().toString(36).slice(2, 10)}`;
    beforeAll(async () => {
      server = await startServer(testConfig(env()), capturingLogger('silent').log);
      while (server.services.redis && !server.services.redis.ready) await sleep(10);
      const memo = await server.services.sessions.load(id);
      memo.ensureSystemPrompt('AuthAgent', 'You authenticate callers.');
      memo.appendToHistory('AuthAgent', 'user', 'My social security number ends in 1234.', {
        sensitive: true,
      });
      memo.appendToHistory('AuthAgent', 'assistant', 'Thank you, you are verified.');
      memo.setContext('caller_name', 'Ada');
      memo.setContext('api_key', 'sk-secret');
      memo.persistToolOutput('verify_identity', { sensitive: true, ssn_last4: '1234' });
      for (const ms of [420, 510, 380]) memo.addLatencySample('voice_to_voice_ms', ms);
      await memo.persist();
    });
    afterAll(() => server.close());

    it('returns a session with secrets and sensitive tool output redacted, and a latency summary', async () => {
      const response = await fetch(`${server.url}/api/v1/sessions/${id}`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as Record<string, unknown>;
      const text = JSON.stringify(body);
      expect(text).not.toContain('sk-secret');
      expect(text).not.toContain('1234');
      expect(body).toMatchObject({
        id,
        version: 1,
        context: {
          caller_name: 'Ada',
          api_key: '[redacted]',
          tool_outputs: { verify_identity: '[redacted]' },
        },
        latency: { voice_to_voice_ms: { count: 3, min_ms: 380, max_ms: 510, avg_ms: 436.7 } },
      });
      expect(
        (body['histories'] as Record<string, { content: string }[]>)['AuthAgent']?.map((m) => m.content),
      ).toEqual(['You authenticate callers.', '[redacted]', 'Thank you, you are verified.']);
    });

    it('lists sessions and deletes one', async () => {
      const list = (await (await fetch(`${server.url}/api/v1/sessions?limit=100`)).json()) as {
        sessions: { id: string }[];
      };
      expect(list.sessions.map((s) => s.id)).toContain(id);
      expect((await fetch(`${server.url}/api/v1/sessions/${id}`, { method: 'DELETE' })).status).toBe(204);
      expect((await fetch(`${server.url}/api/v1/sessions/${id}`)).status).toBe(404);
      expect((await fetch(`${server.url}/api/v1/sessions/${id}`, { method: 'DELETE' })).status).toBe(404);
    });

    it('answers a malformed id or paging parameter with 400', async () => {
      expect((await fetch(`${server.url}/api/v1/sessions/bad%20id`)).status).toBe(400);
      expect((await fetch(`${server.url}/api/v1/sessions?limit=0`)).status).toBe(400);
    });
  });
}

sessionsApi('memory', () => ({}));
sessionsApi('redis', () => ({ REDIS_URL: 'skipReason' in redis ? '' : redis.url }), 'skipReason' in redis);
