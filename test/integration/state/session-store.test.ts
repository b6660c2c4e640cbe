import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySessionStore } from '../../../src/state/memory-store.ts';
import { RedisManager } from '../../../src/state/redis-manager.ts';
import { RedisSessionStore } from '../../../src/state/redis-store.ts';
import type { SessionStore } from '../../../src/state/session-store.ts';
import { MAX_SESSION_BYTES } from '../../../src/state/session.ts';
import { startTestRedis, type TestRedis } from '../../helpers/redis.ts';
import { capturingLogger } from '../../helpers/server.ts';

const redis: TestRedis = await startTestRedis();
const { log, lines } = capturingLogger();
let manager: RedisManager | undefined;

async function redisStore(ttlSeconds: number): Promise<SessionStore> {
  if ('skipReason' in redis) throw new Error(redis.skipReason);
  manager ??= new RedisManager(redis.url, log);
  manager.start();
  while (!manager.ready) await sleep(10);
  return new RedisSessionStore(manager, ttlSeconds, log);
}

afterAll(async () => {
  await manager?.close();
  if (!('skipReason' in redis)) await redis.stop();
});

const unique = (prefix: string) => `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
const content = (turns: number) => ({
  corememory: { caller_name: 'Ada', turns },
  chat_history: { default: [{ role: 'user' as const, content: `turn ${turns}` }] },
});

/** The contract every session store keeps; run against the memory store and a real Redis. */
function contract(name: string, make: (ttlSeconds: number) => Promise<SessionStore>, skip = false) {
  describe.skipIf(skip)(`${name} session store`, () => {
    let store: SessionStore;
    beforeAll(async () => (store = await make(60)));

    it('saves and loads a session, bumping the version', async () => {
      const id = unique('s');
      expect(await store.load(id)).toBeUndefined();
      expect(await store.save(id, content(1), 0)).toEqual({ saved: true, version: 1 });
      expect(await store.load(id)).toMatchObject({ version: 1, ...content(1) });
      expect(await store.save(id, content(2), 1)).toEqual({ saved: true, version: 2 });
    });

    it('refuses a write based on a stale version (compare-and-set)', async () => {
      const id = unique('s');
      await store.save(id, content(1), 0);
      await store.save(id, content(2), 1);
      expect(await store.save(id, content(3), 1)).toEqual({
        saved: false,
        current: expect.objectContaining({ version: 2, ...content(2) }),
      });
      expect(await store.save(id, content(3), 0)).toMatchObject({ saved: false });
      expect(await store.save(unique('absent'), content(3), 4)).toEqual({ saved: false, current: undefined });
      expect((await store.load(id))?.corememory).toEqual(content(2).corememory);
    });

    it('expires sessions after their TTL', async () => {
      const short = await make(1);
      const id = unique('s');
      await short.save(id, content(1), 0);
      await sleep(1_100);
      expect(await short.load(id)).toBeUndefined();
    });

    it('refreshes the TTL on every write', async () => {
      const short = await make(2);
      const id = unique('s');
      await short.save(id, content(1), 0);
      await sleep(1200);
      await short.save(id, content(2), 1);
      await sleep(1200); // 2.4 s after the first write
      expect((await short.load(id))?.version).toBe(2);
      await sleep(1200); // 2.4 s after the last
      expect(await short.load(id)).toBeUndefined();
    });

    it('lists recent sessions with paging, newest first, and deletes', async () => {
      const ids = [unique('l'), unique('l'), unique('l')];
      for (const id of ids) {
        await store.save(id, content(1), 0);
        await sleep(5);
      }
      const first = await store.list({ limit: 2 });
      expect(first.sessions.map((s) => s.id)).toEqual([ids[2], ids[1]]);
      const second = await store.list({ limit: 2, cursor: first.next });
      expect(second.sessions[0]?.id).toBe(ids[0]);
      expect(await store.delete(ids[0]!)).toBe(true);
      expect(await store.load(ids[0]!)).toBeUndefined();
      expect(await store.delete(ids[0]!)).toBe(false);
    });

    it('maps a call to one session: the first mapping wins', async () => {
      const call = unique('call');
      expect(await store.sessionForCall(call)).toBeUndefined();
      expect(await store.mapCall(call, 'browser-session')).toBe('browser-session');
      expect(await store.mapCall(call, `media_${call}`)).toBe('browser-session');
      expect(await store.sessionForCall(call)).toBe('browser-session');
    });

    it('rejects an oversize session with a clear error', async () => {
      const huge = { corememory: { blob: 'x'.repeat(MAX_SESSION_BYTES) }, chat_history: {} };
      await expect(store.save(unique('s'), huge, 0)).rejects.toThrow(/exceeds the 1048576-byte limit/);
    });
  });
}

contract('memory', (ttl) => Promise.resolve(new MemorySessionStore(ttl)));
contract('redis', redisStore, 'skipReason' in redis);

describe.skipIf('skipReason' in redis)('redis session store data', () => {
  it('keeps the seed layout and survives a corrupt field, logging it', async () => {
    const store = await redisStore(60);
    const id = unique('corrupt');
    await store.save(id, content(1), 0);
    const hash = await manager!.getHash(`session:${id}`);
    expect(Object.keys(hash).sort()).toEqual(['chat_history', 'corememory', 'updated_at', 'version']);
    expect(JSON.parse(hash['corememory']!)).toEqual(content(1).corememory);
    await manager!.run('HSET', (c) => c.hSet(`session:${id}`, 'corememory', '{not json'));
    const loaded = await store.load(id);
    expect(loaded?.corememory).toEqual({});
    expect(loaded?.chat_history).toEqual(content(1).chat_history);
    expect(
      lines().some((l) => l['msg'] === 'corrupt session field reset' && l['field'] === 'corememory'),
    ).toBe(true);
  });

  it('reads a legacy list history as the default thread', async () => {
    const store = await redisStore(60);
    const id = unique('legacy');
    await manager!.setHash(`session:${id}`, {
      corememory: '{}',
      chat_history: '[{"role":"user","content":"hi"}]',
    });
    expect((await store.load(id))?.chat_history).toEqual({ default: [{ role: 'user', content: 'hi' }] });
  });
});
