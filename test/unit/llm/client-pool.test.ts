import { describe, expect, it } from 'vitest';
import { LlmClientPool } from '../../../src/llm/client-pool.ts';
import type { LlmClient, LlmEvent } from '../../../src/llm/types.ts';

const client = (name: string): LlmClient => ({
  name,
  async *stream(): AsyncIterable<LlmEvent> {
    yield { type: 'done', finishReason: 'stop' };
  },
});

describe('LlmClientPool', () => {
  it('pins each new session to the least-loaded client, ties to the earlier one', () => {
    const pool = new LlmClientPool([client('east'), client('west'), client('north')]);
    expect(['s1', 's2', 's3', 's4'].map((s) => pool.clientFor(s).name)).toEqual([
      'east',
      'west',
      'north',
      'east',
    ]);
    expect(pool.stats()).toEqual([
      { name: 'east', sessions: 2 },
      { name: 'west', sessions: 1 },
      { name: 'north', sessions: 1 },
    ]);
  });

  it('gives the same session the same client every time', () => {
    const pool = new LlmClientPool([client('a'), client('b')]);
    const first = pool.clientFor('call-1');
    pool.clientFor('call-2');
    pool.clientFor('call-3');
    expect(pool.clientFor('call-1')).toBe(first);
    expect(pool.stats().reduce((sum, s) => sum + s.sessions, 0)).toBe(3);
  });

  it('frees the slot on release, so the next session goes there', () => {
    const pool = new LlmClientPool([client('a'), client('b')]);
    pool.clientFor('s1'); // a
    pool.clientFor('s2'); // b
    pool.clientFor('s3'); // a
    pool.release('s1');
    pool.release('s3');
    pool.release('s3'); // twice: ignored
    pool.release('unknown');
    expect(pool.stats().map((s) => s.sessions)).toEqual([0, 1]);
    expect(pool.clientFor('s4').name).toBe('a');
  });

  it('re-pins a released session afresh', () => {
    const pool = new LlmClientPool([client('a'), client('b')]);
    pool.clientFor('x'); // a
    pool.clientFor('y'); // b
    pool.clientFor('z'); // a
    pool.release('y');
    pool.release('x');
    expect(pool.clientFor('x').name).toBe('b');
  });

  it('needs at least one client', () => {
    expect(() => new LlmClientPool([])).toThrow(expect.objectContaining({ code: 'LLM_POOL_EMPTY' }));
    expect(new LlmClientPool([client('only')]).size).toBe(1);
  });
});
