import { errorMessage } from '../errors.ts';
import type { RedisManager } from '../state/redis-manager.ts';
import type { SessionStore } from '../state/session-store.ts';
import type { Logger } from '../telemetry/logger.ts';
import { CALL_RECORD_KEY, isOver, type CallRecord } from '../calls/call-records.ts';

/** With Redis, the calls in progress on every instance: call connection id → session id. */
const ACTIVE_CALLS_KEY = 'rtvoice:calls:active';

/**
 * The phone calls in progress: this instance's (answered, placed or heard about), and with Redis an index
 * of every instance's, each checked against its session's record when listed.
 */
export class ActiveCalls {
  private readonly here = new Map<string, CallRecord>();
  private readonly redis: RedisManager | undefined;
  private readonly store: SessionStore;
  private readonly log: Logger;

  constructor(redis: RedisManager | undefined, store: SessionStore, log: Logger) {
    this.redis = redis;
    this.store = store;
    this.log = log;
  }

  /** The latest record of a call in progress here. */
  get(callId: string): CallRecord | undefined {
    return this.here.get(callId);
  }

  /** Newest first: with Redis those of every instance (from their sessions' records), else this one's. */
  async list(): Promise<CallRecord[]> {
    const { redis } = this;
    let calls = [...this.here.values()];
    if (redis) {
      const index = await redis.getHash(ACTIVE_CALLS_KEY);
      const records = await Promise.all(
        Object.values(index).map(
          async (sessionId) => (await this.store.load(sessionId))?.corememory[CALL_RECORD_KEY],
        ),
      );
      calls = records.filter((record): record is CallRecord => record !== undefined);
      // Entries whose call ended without saying so here (a lost instance, an expired session) go.
      const stale = Object.keys(index).filter((id) => !calls.some((c) => c.callId === id && !isOver(c)));
      if (stale.length > 0) await redis.deleteHashFields(ACTIVE_CALLS_KEY, stale);
    }
    return calls.filter((call) => !isOver(call)).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  /** Keeps a call's latest record while it is in progress, here and in Redis; forgets it once over. */
  async index(record: CallRecord): Promise<void> {
    const over = isOver(record);
    if (over) this.here.delete(record.callId);
    else this.here.set(record.callId, record);
    const { redis } = this;
    if (!redis) return;
    const write = over
      ? redis.deleteHashFields(ACTIVE_CALLS_KEY, [record.callId])
      : redis.setHash(ACTIVE_CALLS_KEY, { [record.callId]: record.sessionId });
    await write.catch((err: unknown) =>
      this.log.warn({ err: errorMessage(err), call_connection_id: record.callId }, 'call index not updated'),
    );
  }
}
