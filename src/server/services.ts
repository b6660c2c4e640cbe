import type { Config } from '../config/config.ts';
import { ConnectionManager } from '../connections/connection-manager.ts';
import { RedisManager } from '../state/redis-manager.ts';
import type { Logger } from '../telemetry/logger.ts';
import { Metrics } from '../telemetry/metrics.ts';
import { createReadinessChecks } from './checks.ts';
import type { ReadinessCheck } from './readiness.ts';

/** What the server is built from: created once, passed explicitly, closed once. */
export interface Services {
  readonly config: Config;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly connections: ConnectionManager;
  readonly redis: RedisManager | undefined;
  readonly readinessChecks: readonly ReadinessCheck[];
}

export function createServices(config: Config, log: Logger): Services {
  const redis = config.redis.url === undefined ? undefined : new RedisManager(config.redis.url, log);
  return {
    config,
    log,
    metrics: new Metrics(),
    connections: new ConnectionManager(),
    redis,
    readinessChecks: createReadinessChecks(config, redis),
  };
}

/** Starts what runs in the background: Redis connecting, metric sampling. */
export function startServices(services: Services): void {
  services.metrics.start();
  services.redis?.start();
}

export async function closeServices(services: Services): Promise<void> {
  services.metrics.stop();
  await services.redis?.close();
}
