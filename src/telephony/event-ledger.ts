import type { RedisManager } from '../state/redis-manager.ts';

/** How long an event id is remembered: ACS redelivers within minutes, not hours. */
const REMEMBER_SECONDS = 3_600;
const MAX_LOCAL_IDS = 100_000;

/**
 * Which callback events were already applied, so a redelivered event is applied once. With Redis every
 * instance shares the ledger (SET NX); without it, this instance remembers the latest ids itself.
 */
export class EventLedger {
  private readonly redis: RedisManager | undefined;
  private readonly local = new Map<string, number>();

  constructor(redis: RedisManager | undefined) {
    this.redis = redis;
  }

  /** True the first time an event id is claimed; false when it was claimed before. */
  async claim(eventId: string): Promise<boolean> {
    if (this.redis) {
      const key = `rtvoice:call-event:${eventId}`;
      return (
        (await this.redis.run('SET', (c) => c.set(key, '1', { NX: true, EX: REMEMBER_SECONDS }))) === 'OK'
      );
    }
    const now = Date.now();
    const seenAt = this.local.get(eventId);
    if (seenAt !== undefined && now - seenAt < REMEMBER_SECONDS * 1000) return false;
    this.local.set(eventId, now);
    if (this.local.size > MAX_LOCAL_IDS) this.local.delete(this.local.keys().next().value!);
    return true;
  }
}
