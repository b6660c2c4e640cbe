import { Counter, Histogram, type Registry } from 'prom-client';
import type { Config } from '../config/config.ts';
import type { Logger } from '../telemetry/logger.ts';
import { MemoManager, type MemoOptions } from './memo-manager.ts';
import { MemorySessionStore } from './memory-store.ts';
import type { RedisManager } from './redis-manager.ts';
import { RedisSessionStore } from './redis-store.ts';
import type { SessionStore } from './session-store.ts';

/** The session state of one server: its store and how MemoManagers are made, with their metrics. */
export class SessionMemory {
  readonly store: SessionStore;
  private readonly options: MemoOptions;

  constructor(config: Config, redis: RedisManager | undefined, registry: Registry, log: Logger) {
    const { ttlSeconds, history } = config.sessions;
    this.store = redis ? new RedisSessionStore(redis, ttlSeconds, log) : new MemorySessionStore(ttlSeconds);
    const registers = [registry];
    const persistSeconds = new Histogram({
      name: 'rtvoice_session_persist_seconds',
      help: 'Time to write a session change to the store (compare-and-set retries included).',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.05, 0.1, 0.5],
      registers,
    });
    const failures = new Counter({
      name: 'rtvoice_session_persist_failures_total',
      help: 'Session writes that failed (each is retried with backoff until the store takes it).',
      registers,
    });
    const dropped = new Counter({
      name: 'rtvoice_session_changes_dropped_total',
      help: 'Session changes dropped because the store was unavailable for too long.',
      registers,
    });
    this.options = {
      budget: history,
      log: log.child({ component: 'session' }),
      observer: {
        persisted: (ms) => persistSeconds.observe(ms / 1000),
        failed: () => failures.inc(),
        dropped: (count) => dropped.inc(count),
      },
    };
  }

  /** The session's memory, loaded from the store (empty when new). */
  load(sessionId: string): Promise<MemoManager> {
    return MemoManager.load(sessionId, this.store, this.options);
  }
}
