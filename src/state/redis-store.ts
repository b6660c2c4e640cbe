import type { Logger } from '../telemetry/logger.ts';
import type { RedisManager } from './redis-manager.ts';
import {
  CALL_MAP_KEY,
  SESSION_INDEX_KEY,
  SESSION_KEY,
  type SaveResult,
  type SessionStore,
  type SessionSummary,
} from './session-store.ts';
import { serialiseContent, type SessionContent, type SessionRecord } from './session.ts';

/**
 * Compare-and-set of a session hash: writes only when `version` still holds the expected value, bumps it,
 * refreshes the TTL and the recency index; returns the new version, or, when another writer got there
 * first, the stored fields to merge with. (Two keys: on Redis Cluster both must hash to one slot.)
 */
const SAVE_IF_VERSION = `
local current = redis.call('HGET', KEYS[1], 'version') or '0'
if current ~= ARGV[1] then return redis.call('HMGET', KEYS[1], 'version', 'updated_at', 'corememory', 'chat_history') end
local version = tonumber(ARGV[1]) + 1
redis.call('HSET', KEYS[1], 'corememory', ARGV[2], 'chat_history', ARGV[3], 'version', version, 'updated_at', ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[6])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[4] - ARGV[5] * 1000)
return version
`;

/** Sessions in Redis, in the seed's layout (hash `session:{id}` with JSON fields), shared by every instance. */
export class RedisSessionStore implements SessionStore {
  readonly kind = 'redis';
  private readonly redis: RedisManager;
  private readonly ttlSeconds: number;
  private readonly log: Logger;

  constructor(redis: RedisManager, ttlSeconds: number, log: Logger) {
    this.redis = redis;
    this.ttlSeconds = ttlSeconds;
    this.log = log.child({ component: 'session-store' });
  }

  async load(sessionId: string): Promise<SessionRecord | undefined> {
    const hash = await this.redis.getHash(SESSION_KEY(sessionId));
    return Object.keys(hash).length === 0 ? undefined : this.toRecord(sessionId, hash);
  }

  private toRecord(sessionId: string, hash: Record<string, string | null | undefined>): SessionRecord {
    return {
      version: Number(hash['version'] ?? 0),
      updated_at: Number(hash['updated_at'] ?? 0),
      corememory: this.parseField<SessionRecord['corememory']>(
        sessionId,
        'corememory',
        hash['corememory'] ?? undefined,
      ),
      chat_history: this.parseField<SessionRecord['chat_history']>(
        sessionId,
        'chat_history',
        hash['chat_history'] ?? undefined,
      ),
    };
  }

  async save(sessionId: string, content: SessionContent, expectedVersion: number): Promise<SaveResult> {
    const { corememory, chat_history } = serialiseContent(content);
    const now = Date.now();
    const version = await this.redis.run('EVAL save_if_version', (c) =>
      c.eval(SAVE_IF_VERSION, {
        keys: [SESSION_KEY(sessionId), SESSION_INDEX_KEY],
        arguments: [
          String(expectedVersion),
          corememory,
          chat_history,
          String(now),
          String(this.ttlSeconds),
          sessionId,
        ],
      }),
    );
    if (typeof version === 'number') return { saved: true, version };
    const [stored, updatedAt, storedCore, storedHistory] = version as (string | null)[];
    return {
      saved: false,
      current:
        stored === null
          ? undefined
          : this.toRecord(sessionId, {
              version: stored,
              updated_at: updatedAt,
              corememory: storedCore,
              chat_history: storedHistory,
            }),
    };
  }

  async delete(sessionId: string): Promise<boolean> {
    const removed = await this.redis.run('DEL', (c) =>
      c.multi().del(SESSION_KEY(sessionId)).zRem(SESSION_INDEX_KEY, sessionId).exec(),
    );
    return Number(removed[0]) > 0;
  }

  async list(options: {
    limit: number;
    cursor?: string | undefined;
  }): Promise<{ sessions: SessionSummary[]; next: string | undefined }> {
    const offset = Number(options.cursor ?? 0);
    const entries = await this.redis.run('ZRANGE', (c) =>
      c.zRangeWithScores(SESSION_INDEX_KEY, '+inf', '-inf', {
        BY: 'SCORE',
        REV: true,
        LIMIT: { offset, count: options.limit + 1 },
      }),
    );
    const sessions = entries
      .slice(0, options.limit)
      .map((entry) => ({ id: entry.value, updated_at: entry.score }));
    return { sessions, next: entries.length > options.limit ? String(offset + options.limit) : undefined };
  }

  async mapCall(callId: string, sessionId: string): Promise<string> {
    const key = CALL_MAP_KEY(callId);
    const [, existing] = await this.redis.run('SET NX', (c) =>
      c.multi().set(key, sessionId, { NX: true, EX: this.ttlSeconds }).get(key).exec(),
    );
    return typeof existing === 'string' ? existing : sessionId;
  }

  async sessionForCall(callId: string): Promise<string | undefined> {
    return (await this.redis.getValue(CALL_MAP_KEY(callId))) ?? undefined;
  }

  /** A corrupt field is reset (and logged) rather than failing the whole session. */
  private parseField<T extends object>(sessionId: string, field: string, raw: string | undefined): T {
    if (raw === undefined) return {} as T;
    try {
      const parsed: unknown = JSON.parse(raw);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as T;
      // The seed's legacy history is a bare list: it becomes the default agent's thread.
      if (field === 'chat_history' && Array.isArray(parsed)) return { default: parsed as unknown[] } as T;
      throw new Error(`expected an object, got ${Array.isArray(parsed) ? 'an array' : typeof parsed}`);
    } catch (err) {
      this.log.error({ session_id: sessionId, field, err: String(err) }, 'corrupt session field reset');
      return {} as T;
    }
  }
}
