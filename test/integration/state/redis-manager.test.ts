import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'redis';
import { describe, expect, it } from 'vitest';
import { RedisManager, type RedisCredentials } from '../../../src/state/redis-manager.ts';
import { spawnRedisServer } from '../../helpers/redis.ts';
import { capturingLogger } from '../../helpers/server.ts';

describe('RedisManager', () => {
  it('authenticates with fetched credentials and re-authenticates before they expire', async () => {
    const server = await spawnRedisServer();
    const admin = createClient({ url: server.url });
    await admin.connect();
    await admin.sendCommand(['ACL', 'SETUSER', 'voice-app', 'on', '>token-1', '>token-2', '~*', '+@all']);
    const issued: string[] = [];
    const credentials = async (): Promise<RedisCredentials> => {
      const password = `token-${Math.min(issued.length + 1, 2)}`;
      issued.push(password);
      // Expires just over the one-minute margin: re-authentication is due in about 200 ms.
      return { username: 'voice-app', password, expiresAt: Date.now() + 60_200 };
    };
    const { log, lines } = capturingLogger();
    const redis = new RedisManager({ url: server.url, credentials }, log);
    try {
      redis.start();
      while (!redis.ready) await sleep(10);
      await redis.setValue('k', 'v', { ttlSeconds: 60 });
      await sleep(500);
      expect(issued.slice(0, 2)).toEqual(['token-1', 'token-2']);
      // Revoke the first token and drop the connections: they come back with fresh credentials.
      await admin.sendCommand(['ACL', 'SETUSER', 'voice-app', '<token-1']);
      await admin.sendCommand(['CLIENT', 'KILL', 'USER', 'voice-app']);
      await sleep(300);
      while (!redis.ready) await sleep(10);
      expect(await redis.getValue('k')).toBe('v');
      expect(lines().filter((l) => l['msg'] === 'redis re-authentication failed; retrying in 10 s')).toEqual(
        [],
      );
    } finally {
      await redis.close();
      await admin.close();
      await server.stop();
    }
  });

  it('fails a command after its timeout instead of hanging while Redis is away', async () => {
    const server = await spawnRedisServer();
    const redis = new RedisManager({ url: server.url, commandTimeoutMs: 200 }, capturingLogger('silent').log);
    try {
      redis.start();
      while (!redis.ready) await sleep(10);
      await server.stop();
      const started = performance.now();
      await expect(redis.getValue('k')).rejects.toThrow(/redis GET failed/);
      expect(performance.now() - started).toBeLessThan(1_000);
      await expect(redis.ping()).rejects.toThrow(/not connected/);
    } finally {
      await redis.close();
    }
  });

  it('closes within its command timeout when Redis still looks connected but answers nothing', async () => {
    const server = await spawnRedisServer();
    const redis = new RedisManager({ url: server.url, commandTimeoutMs: 300 }, capturingLogger('silent').log);
    try {
      redis.start();
      while (!redis.ready) await sleep(10);
      let heard = 0;
      const unsubscribe = await redis.subscribePattern('rtvoice:*', () => heard++);
      while (heard === 0) {
        await redis.publish('rtvoice:probe', 'x'); // until the subscription is live end to end
        await sleep(20);
      }
      server.freeze();
      const started = performance.now();
      await unsubscribe();
      await redis.close();
      // One timeout for the unsubscribe, one for the two clients closing side by side.
      expect(performance.now() - started).toBeLessThan(1_500);
    } finally {
      await server.stop();
    }
  });
});
