import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { PoolObserver, PoolTier, ResourcePool } from './resource-pool.ts';

/** Prometheus series shared by every resource pool of a server, labelled by pool name. */
export class PoolMetrics {
  private readonly pools = new Map<string, () => ReturnType<ResourcePool<unknown>['stats']>>();
  private readonly acquireSeconds: Histogram<'pool' | 'tier'>;
  private readonly acquisitions: Counter<'pool' | 'tier'>;
  private readonly exhaustions: Counter<'pool'>;
  private readonly createFailures: Counter<'pool'>;

  constructor(registry: Registry) {
    const registers = [registry];
    const pools = this.pools;
    const gauge = (
      name: string,
      help: string,
      read: (stats: ReturnType<ResourcePool<unknown>['stats']>) => number,
    ) =>
      new Gauge({
        name,
        help,
        labelNames: ['pool'],
        registers,
        collect() {
          for (const [pool, stats] of pools) this.set({ pool }, read(stats()));
        },
      });
    gauge(
      'rtvoice_pool_size',
      'Resources in existence (idle, in use, held for a session, being created).',
      (s) => s.size,
    );
    gauge('rtvoice_pool_in_use', 'Resources lent out now.', (s) => s.inUse);
    gauge('rtvoice_pool_warm', 'Idle resources ready to lend.', (s) => s.warm);
    gauge('rtvoice_pool_held', 'Resources held for a session that released them.', (s) => s.held);
    gauge('rtvoice_pool_waiters', 'Acquisitions waiting for a free resource.', (s) => s.waiters);
    this.acquireSeconds = new Histogram({
      name: 'rtvoice_pool_acquire_seconds',
      help: 'Time to acquire a resource, by the tier it came from.',
      labelNames: ['pool', 'tier'],
      buckets: [0.0001, 0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.acquisitions = new Counter({
      name: 'rtvoice_pool_acquisitions_total',
      help: 'Resources lent, by tier; tier="cold" counts creations on demand.',
      labelNames: ['pool', 'tier'],
      registers,
    });
    this.exhaustions = new Counter({
      name: 'rtvoice_pool_exhaustions_total',
      help: 'Acquisitions that failed because every resource stayed in use until the timeout.',
      labelNames: ['pool'],
      registers,
    });
    this.createFailures = new Counter({
      name: 'rtvoice_pool_create_failures_total',
      help: 'Resources the pool failed to create.',
      labelNames: ['pool'],
      registers,
    });
  }

  /** The observer a pool reports to; `stats` is read at each scrape. */
  observer(pool: string, stats: () => ReturnType<ResourcePool<unknown>['stats']>): PoolObserver {
    this.pools.set(pool, stats);
    return {
      acquired: (tier: PoolTier, waitedMs: number) => {
        this.acquisitions.inc({ pool, tier });
        this.acquireSeconds.observe({ pool, tier }, waitedMs / 1000);
      },
      exhausted: () => this.exhaustions.inc({ pool }),
      createFailed: () => this.createFailures.inc({ pool }),
    };
  }
}
