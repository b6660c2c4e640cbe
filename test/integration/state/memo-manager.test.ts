import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoManager, trim, type MemoOptions } from '../../../src/state/memo-manager.ts';
import { MemorySessionStore } from '../../../src/state/memory-store.ts';
import { RedisManager } from '../../../src/state/redis-manager.ts';
import { RedisSessionStore } from '../../../src/state/redis-store.ts';
import { SessionMemory } from '../../../src/state/session-memory.ts';
import type { SessionStore } from '../../../src/state/session-store.ts';
import { spawnRedisServer, startTestRedis, type TestRedis } from '../../helpers/redis.ts';
import { capturingLogger, testConfig } from '../../helpers/server.ts';

const redis: TestRedis = await startTestRedis();
const { log } = capturingLogger('silent');
const managers: RedisManager[] = [];
afterAll(async () => {
  await Promise.all(managers.map((m) => m.close()));
  if (!('skipReason' in redis)) await redis.stop();
});

async function connectedStore(url: string): Promise<RedisSessionStore> {
  const manager = new RedisManager({ url, commandTimeoutMs: 500 }, log);
  managers.push(manager);
  manager.start();
  while (!manager.ready) await sleep(10);
  return new RedisSessionStore(manager, 600, log);
}

const unique = (prefix: string) => `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
const roomy: MemoOptions = { budget: { maxMessages: 10_000, maxChars: 10_000_000 }, log };

describe('MemoManager', () => {
  it('keeps per-agent threads, context, slots and tool outputs, and persists them', async () => {
    const store = new MemorySessionStore(60);
    const id = unique('memo');
    const memo = await MemoManager.load(id, store, roomy);
    memo.ensureSystemPrompt('AuthAgent', 'You authenticate callers.');
    memo.appendToHistory('AuthAgent', 'user', 'My name is Ada Lovelace.');
    memo.appendToHistory('AuthAgent', 'assistant', 'Thanks, Ada. Your ZIP code?', { interrupted: false });
    memo.ensureSystemPrompt('AuthAgent', 'You authenticate callers politely.');
    memo.setContext('caller_name', 'Ada Lovelace');
    memo.updateSlots({ zip: '90210' });
    memo.persistToolOutput('verify_policy', { ok: true });
    await memo.persist();
    const loaded = await MemoManager.load(id, store, roomy);
    expect(loaded.history('AuthAgent').map((m) => m.role)).toEqual(['system', 'user', 'assistant']);
    expect(loaded.history('AuthAgent')[0]?.content).toBe('You authenticate callers politely.');
    expect(loaded.getContext('caller_name')).toBe('Ada Lovelace');
    expect(loaded.getContext('slots')).toEqual({ zip: '90210' });
    expect(loaded.getContext('tool_outputs')).toEqual({ verify_policy: { ok: true } });
    expect(loaded.version).toBe(1);
  });

  it('trims history to the budget, keeping the system prompt and the latest turns', () => {
    const messages = [
      { role: 'system' as const, content: 'prompt' },
      ...Array.from({ length: 10 }, (_, i) => ({ role: 'user' as const, content: `message ${i}` })),
    ];
    expect(trim(messages, { maxMessages: 3, maxChars: 1000 }).map((m) => m.content)).toEqual([
      'prompt',
      'message 7',
      'message 8',
      'message 9',
    ]);
    expect(trim(messages, { maxMessages: 100, maxChars: 20 }).map((m) => m.content)).toEqual([
      'prompt',
      'message 8',
      'message 9',
    ]);
  });

  it.skipIf('skipReason' in redis)(
    'stores sessions trimmed to HISTORY_MAX_MESSAGES and HISTORY_MAX_CHARS from the configuration',
    async () => {
      const url = (redis as { url: string }).url;
      const stored = async (env: Record<string, string>) => {
        const manager = new RedisManager(url, log);
        managers.push(manager);
        manager.start();
        while (!manager.ready) await sleep(10);
        const sessions = new SessionMemory(
          testConfig({ REDIS_URL: url, ...env }),
          manager,
          new Registry(),
          log,
        );
        const id = unique('budget');
        const memo = await sessions.load(id);
        memo.ensureSystemPrompt('AuthAgent', 'You authenticate callers.');
        for (let i = 0; i < 12; i += 1)
          memo.appendToHistory('AuthAgent', 'user', `caller line ${i}`.padEnd(30, '_'));
        await memo.persist();
        const record = await sessions.store.load(id);
        return record!.chat_history['AuthAgent']!.map((m) => m.content.replace(/_+$/, ''));
      };
      expect(await stored({ HISTORY_MAX_MESSAGES: '4' })).toEqual([
        'You authenticate callers.',
        'caller line 8',
        'caller line 9',
        'caller line 10',
        'caller line 11',
      ]);
      // 30 characters a message: 100 characters keep the latest three.
      expect(await stored({ HISTORY_MAX_CHARS: '100' })).toEqual([
        'You authenticate callers.',
        'caller line 9',
        'caller line 10',
        'caller line 11',
      ]);
    },
  );

  it('caps latency samples per stage', async () => {
    const memo = await MemoManager.load(unique('lat'), new MemorySessionStore(60), roomy);
    for (let i = 0; i < 250; i += 1) memo.addLatencySample('tts', i);
    expect(memo.getContext<Record<string, number[]>>('latency')?.['tts']).toHaveLength(200);
  });

  it('rejects invalid session ids', async () => {
    await expect(MemoManager.load('../etc/passwd', new MemorySessionStore(60), roomy)).rejects.toThrow(
      /session id must be/,
    );
    await expect(MemoManager.load('', new MemorySessionStore(60), roomy)).rejects.toThrow(
      /session id must be/,
    );
  });
});

/** Two writers for one call (call events and the media pipeline), 1,000 updates each, interleaved. */
async function concurrentWriters(store: SessionStore): Promise<void> {
  const id = unique('race');
  const [a, b] = await Promise.all([MemoManager.load(id, store, roomy), MemoManager.load(id, store, roomy)]);
  const write = async (memo: MemoManager, name: string) => {
    for (let i = 0; i < 1000; i += 1) {
      memo.appendToHistory('default', 'user', `${name} ${i}`);
      memo.setContext(`${name}_count`, i + 1);
      await memo.persist();
    }
  };
  await Promise.all([write(a, 'events'), write(b, 'media')]);
  const final = await MemoManager.load(id, store, roomy);
  const history = final.history().map((m) => m.content);
  expect(history).toHaveLength(2000);
  for (const name of ['events', 'media']) {
    const mine = history.filter((text) => text.startsWith(`${name} `));
    expect(mine).toEqual(Array.from({ length: 1000 }, (_, i) => `${name} ${i}`)); // all there, in order
    expect(final.getContext(`${name}_count`)).toBe(1000);
  }
}

describe('concurrent writers lose no update', () => {
  it('on the memory store', () => concurrentWriters(new MemorySessionStore(600)));
  it.skipIf('skipReason' in redis)(
    'on Redis',
    async () => {
      if ('skipReason' in redis) return;
      await concurrentWriters(await connectedStore(redis.url));
    },
    60_000,
  );
});

describe.skipIf('skipReason' in redis)('Redis outage', () => {
  it('keeps the call going from memory and writes every turn once Redis is back', async () => {
    const server = await spawnRedisServer();
    const store = await connectedStore(server.url);
    const failures: number[] = [];
    const memo = await MemoManager.load(unique('outage'), store, {
      ...roomy,
      observer: { persisted: () => {}, failed: () => failures.push(1), dropped: () => {} },
    });
    const turn = (i: number) => {
      memo.appendToHistory('default', 'user', `caller turn ${i}`);
      memo.appendToHistory('default', 'assistant', `agent turn ${i}`);
      memo.schedulePersist();
    };
    for (let i = 0; i < 3; i += 1) turn(i);
    await memo.flush();
    await server.stop(); // Redis goes away mid-call
    for (let i = 3; i < 8; i += 1) {
      turn(i);
      await sleep(50);
    }
    expect(memo.history()).toHaveLength(16); // the call goes on from memory
    expect(memo.unsaved).toBeGreaterThan(0);
    await sleep(600);
    expect(failures.length).toBeGreaterThan(0);
    const restarted = await spawnRedisServer(server.port); // Redis comes back, empty (it keeps nothing on disk)
    try {
      await memo.flush(10_000);
      const reloaded = await MemoManager.load(memo.sessionId, store, roomy);
      const texts = reloaded.history().map((m) => m.content);
      for (let i = 0; i < 8; i += 1)
        expect(texts).toEqual(expect.arrayContaining([`caller turn ${i}`, `agent turn ${i}`]));
    } finally {
      memo.dispose();
      await restarted.stop();
    }
  }, 30_000);
});
