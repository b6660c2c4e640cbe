import type { SaveResult, SessionStore, SessionSummary } from './session-store.ts';
import { serialiseContent, type SessionContent, type SessionRecord } from './session.ts';

interface Entry<T> {
  readonly value: T;
  readonly expiresAt: number;
}

/** The embedded store: sessions in this process's memory, with the same TTLs and semantics as Redis. */
export class MemorySessionStore implements SessionStore {
  readonly kind = 'memory';
  private readonly sessions = new Map<string, Entry<SessionRecord>>();
  private readonly calls = new Map<string, Entry<string>>();
  private readonly ttlMs: number;

  constructor(ttlSeconds: number) {
    this.ttlMs = ttlSeconds * 1000;
  }

  load(sessionId: string): Promise<SessionRecord | undefined> {
    return Promise.resolve(live(this.sessions, sessionId));
  }

  async save(sessionId: string, content: SessionContent, expectedVersion: number): Promise<SaveResult> {
    const current = live(this.sessions, sessionId);
    if ((current?.version ?? 0) !== expectedVersion) return { saved: false, current };
    // A deep copy, as Redis would hold: later changes to the caller's objects must not leak in.
    const stored = serialiseContent(content);
    const version = expectedVersion + 1;
    const record: SessionRecord = {
      version,
      updated_at: Date.now(),
      corememory: JSON.parse(stored.corememory) as SessionRecord['corememory'],
      chat_history: JSON.parse(stored.chat_history) as SessionRecord['chat_history'],
    };
    this.sessions.set(sessionId, { value: record, expiresAt: Date.now() + this.ttlMs });
    return { saved: true, version };
  }

  delete(sessionId: string): Promise<boolean> {
    return Promise.resolve(this.sessions.delete(sessionId));
  }

  list(options: {
    limit: number;
    cursor?: string | undefined;
  }): Promise<{ sessions: SessionSummary[]; next: string | undefined }> {
    const all = [...this.sessions.keys()]
      .map((id) => ({ id, record: live(this.sessions, id) }))
      .filter((entry) => entry.record !== undefined)
      .map(({ id, record }) => ({ id, updated_at: record!.updated_at }))
      .sort((a, b) => b.updated_at - a.updated_at || a.id.localeCompare(b.id));
    const offset = Number(options.cursor ?? 0);
    const page = all.slice(offset, offset + options.limit);
    return Promise.resolve({
      sessions: page,
      next: offset + options.limit < all.length ? String(offset + options.limit) : undefined,
    });
  }

  mapCall(callId: string, sessionId: string): Promise<string> {
    const existing = live(this.calls, callId);
    if (existing !== undefined) return Promise.resolve(existing);
    this.calls.set(callId, { value: sessionId, expiresAt: Date.now() + this.ttlMs });
    return Promise.resolve(sessionId);
  }

  sessionForCall(callId: string): Promise<string | undefined> {
    return Promise.resolve(live(this.calls, callId));
  }
}

/** The value if it has not expired; expired entries are removed on the way. */
function live<T>(map: Map<string, Entry<T>>, key: string): T | undefined {
  const entry = map.get(key);
  if (entry && entry.expiresAt <= Date.now()) {
    map.delete(key);
    return undefined;
  }
  return entry?.value;
}
