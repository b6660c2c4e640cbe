import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { until } from '../../helpers/wait.ts';
import { PoolMetrics } from '../../../src/pools/pool-metrics.ts';
import {
  PoolExhaustedError,
  PoolOwnershipError,
  ResourcePool,
  type PoolOptions,
} from '../../../src/pools/resource-pool.ts';

interface Thing {
  readonly id: number;
  broken: boolean;
}

/** A factory of plain objects that records what happened to them. */
function factory(createMs = 5) {
  let next = 1;
  let concurrent = 0;
  const record = { created: 0, destroyed: [] as number[], maxConcurrent: 0, failNext: false };
  return {
    record,
    create: async (): Promise<Thing> => {
      concurrent += 1;
      record.maxConcurrent = Math.max(record.maxConcurrent, concurrent);
      await sleep(createMs);
      concurrent -= 1;
      if (record.failNext) {
        record.failNext = false;
        throw new Error('service unavailable');
      }
      record.created += 1;
      return { id: next++, broken: false };
    },
    destroy: (thing: Thing) => void record.destroyed.push(thing.id),
    isUsable: (thing: Thing) => !thing.broken,
  };
}

const options = (overrides: Partial<PoolOptions> = {}): PoolOptions => ({
  name: 'test',
  maxSize: 3,
  warmSize: 2,
  acquireTimeoutMs: 100,
  sessionHoldMs: 0,
  ...overrides,
});

const settle = () => sleep(30);

describe('ResourcePool', () => {
  it('warms its tier in parallel, then lends warm before creating cold ones', async () => {
    const f = factory(20);
    const registry = new Registry();
    const metrics = new PoolMetrics(registry);
    const pool: ResourcePool<Thing> = new ResourcePool(
      f,
      options({ warmSize: 2 }),
      metrics.observer('test', () => pool.stats()),
    );
    await pool.prepare();
    expect(f.record).toMatchObject({ created: 2, maxConcurrent: 2 });
    expect(pool.stats()).toMatchObject({ size: 2, warm: 2, inUse: 0 });
    await pool.acquire();
    await pool.acquire();
    await pool.acquire(); // beyond the warm tier: created on demand
    expect(pool.stats()).toMatchObject({ size: 3, inUse: 3 });
    const text = await registry.metrics();
    expect(text).toContain('rtvoice_pool_acquisitions_total{pool="test",tier="warm"} 2');
    expect(text).toContain('rtvoice_pool_acquisitions_total{pool="test",tier="cold"} 1');
    expect(text).toContain('rtvoice_pool_in_use{pool="test"} 3');
  });

  it('fails with a typed error after the timeout when exhausted, and counts it', async () => {
    const registry = new Registry();
    const pool: ResourcePool<Thing> = new ResourcePool(
      factory(),
      options({ maxSize: 1, warmSize: 0, acquireTimeoutMs: 50 }),
      new PoolMetrics(registry).observer('test', () => pool.stats()),
    );
    await pool.acquire();
    const started = performance.now();
    const error = await pool.acquire().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(PoolExhaustedError);
    expect((error as Error).message).toMatch(/no free resource within 50 ms/);
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    expect(await registry.metrics()).toContain('rtvoice_pool_exhaustions_total{pool="test"} 1');
    expect(pool.stats().waiters).toBe(0);
  });

  it('hands a released resource to the first waiter', async () => {
    const pool = new ResourcePool(factory(), options({ maxSize: 1, warmSize: 0, acquireTimeoutMs: 1000 }));
    const first = await pool.acquire();
    const waiting = pool.acquire();
    setTimeout(() => pool.release(first), 20);
    expect(await waiting).toBe(first);
  });

  it('gives every resource one owner: a double or foreign release throws', async () => {
    const pool = new ResourcePool(factory(), options());
    const thing = await pool.acquire();
    pool.release(thing);
    expect(() => pool.release(thing)).toThrow(PoolOwnershipError);
    expect(() => pool.release({ id: 99, broken: false })).toThrow(PoolOwnershipError);
  });

  it('never lends the same resource twice at once', async () => {
    const pool = new ResourcePool(factory(1), options({ maxSize: 3, warmSize: 1, acquireTimeoutMs: 2000 }));
    const owners = new Set<Thing>();
    await Promise.all(
      Array.from({ length: 30 }, async () => {
        const thing = await pool.acquire();
        expect(owners.has(thing)).toBe(false);
        owners.add(thing);
        await sleep(Math.random() * 5);
        owners.delete(thing);
        pool.release(thing);
      }),
    );
    expect(pool.size).toBeLessThanOrEqual(3);
  });

  it('gives a session its own resource back while held for it, and others not', async () => {
    const pool = new ResourcePool(factory(), options({ warmSize: 0, maxSize: 2, sessionHoldMs: 80 }));
    const mine = await pool.acquire({ sessionId: 'call-1' });
    pool.release(mine);
    expect(await pool.acquire({ sessionId: 'call-2' })).not.toBe(mine);
    const again = await pool.acquire({ sessionId: 'call-1' });
    expect(again).toBe(mine);
    pool.release(again);
    await sleep(120); // the hold expires: it joins the warm tier
    expect(pool.stats()).toMatchObject({ held: 0, warm: 1 });
  });

  it('at capacity, lends a resource held for an absent session to a caller who is here now', async () => {
    const pool = new ResourcePool(factory(), options({ warmSize: 0, maxSize: 1, sessionHoldMs: 60_000 }));
    const first = await pool.acquire({ sessionId: 'call-1' });
    pool.release(first);
    expect(pool.stats()).toMatchObject({ held: 1, size: 1 });
    const started = performance.now();
    expect(await pool.acquire({ sessionId: 'call-2' })).toBe(first);
    expect(performance.now() - started).toBeLessThan(50); // no wait for the hold to expire
    expect(pool.stats()).toMatchObject({ held: 0, inUse: 1, waiters: 0 });
  });

  it('refills the warm tier in the background after lending', async () => {
    const f = factory();
    const pool = new ResourcePool(f, options({ warmSize: 2, maxSize: 4 }));
    await pool.prepare();
    await pool.acquire();
    await settle();
    expect(pool.stats()).toMatchObject({ warm: 2, inUse: 1, size: 3 });
  });

  it('destroys resources that broke instead of lending them', async () => {
    const f = factory();
    const pool = new ResourcePool(f, options({ warmSize: 0 }));
    const thing = await pool.acquire();
    pool.release(thing);
    thing.broken = true;
    const next = await pool.acquire();
    expect(next).not.toBe(thing);
    expect(f.record.destroyed).toContain(thing.id);
  });

  it('lease gives the resource back even when the work throws', async () => {
    const pool = new ResourcePool(factory(), options({ maxSize: 1, warmSize: 0 }));
    await expect(pool.lease(() => Promise.reject(new Error('tool failed')))).rejects.toThrow('tool failed');
    expect(pool.stats().inUse).toBe(0);
    expect(await pool.lease(async (thing) => thing.id)).toBeGreaterThan(0);
  });

  it('reports a factory failure clearly and counts it', async () => {
    const f = factory();
    const registry = new Registry();
    const pool: ResourcePool<Thing> = new ResourcePool(
      f,
      options({ warmSize: 0 }),
      new PoolMetrics(registry).observer('test', () => pool.stats()),
    );
    f.record.failNext = true;
    await expect(pool.acquire()).rejects.toThrow(/could not create a resource: service unavailable/);
    expect(await registry.metrics()).toContain('rtvoice_pool_create_failures_total{pool="test"} 1');
    expect(pool.size).toBe(0);
  });

  it('with a refill delay, refills the warm tier later and one resource at a time', async () => {
    const f = factory(1);
    const startedAt: number[] = [];
    const create = f.create;
    f.create = () => (startedAt.push(performance.now()), create());
    const pool = new ResourcePool(f, options({ maxSize: 5, warmSize: 2, refillDelayMs: 200 }));
    await pool.prepare();
    f.record.maxConcurrent = 0;
    const taken = performance.now();
    await pool.acquire();
    await pool.acquire();
    await sleep(10);
    expect(f.record.created).toBe(2); // nothing made while the calls that took them start
    await until(() => f.record.created === 4, 3000);
    const [third, fourth] = startedAt.slice(2);
    expect(third! - taken).toBeGreaterThanOrEqual(190); // a delay after the acquisition
    expect(fourth! - third!).toBeGreaterThanOrEqual(190); // then the next, a delay later
    expect(f.record.maxConcurrent).toBe(1);
    await sleep(150);
    expect(f.record.created).toBe(4); // the tier is full again
  });

  it('drain fails waiters and refuses new acquisitions', async () => {
    const f = factory();
    const pool = new ResourcePool(f, options({ maxSize: 1, warmSize: 1, acquireTimeoutMs: 5000 }));
    await pool.prepare();
    await pool.acquire();
    const waiting = pool.acquire();
    await pool.drain();
    await expect(waiting).rejects.toThrow(/shut down/);
    await expect(pool.acquire()).rejects.toThrow(/shut down/);
  });

  it('drain destroys idle and held resources, never one that is lent', async () => {
    const f = factory();
    const pool = new ResourcePool(f, options({ maxSize: 3, warmSize: 2, sessionHoldMs: 60_000 }));
    await pool.prepare();
    const held = await pool.acquire({ sessionId: 'gone' });
    pool.release(held);
    const lent = await pool.acquire();
    await settle(); // the warm tier refills
    const { warm, held: heldCount } = pool.stats();
    expect(heldCount).toBe(1);
    expect(warm).toBeGreaterThan(0);
    await pool.drain();
    expect(f.record.destroyed).toContain(held.id);
    expect(f.record.destroyed).not.toContain(lent.id);
    expect(f.record.destroyed).toHaveLength(warm + 1);
  });

  it('stops waiting when the signal aborts', async () => {
    const pool = new ResourcePool(factory(), options({ maxSize: 1, warmSize: 0, acquireTimeoutMs: 5000 }));
    await pool.acquire();
    const controller = new AbortController();
    const waiting = pool.acquire({ signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toThrow(/gave up waiting/);
  });
});
