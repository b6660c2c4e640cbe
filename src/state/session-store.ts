import type { SessionContent, SessionRecord } from './session.ts';

export type SaveResult =
  { saved: true; version: number } | { saved: false; current: SessionRecord | undefined };

export interface SessionSummary {
  readonly id: string;
  readonly updated_at: number;
}

/**
 * Where sessions live: the embedded memory store (one instance) or Redis (shared by instances). Every
 * write is a compare-and-set on the version, so concurrent writers never overwrite each other silently.
 */
export interface SessionStore {
  readonly kind: 'memory' | 'redis';
  load(sessionId: string): Promise<SessionRecord | undefined>;
  /**
   * Writes only when the stored version is `expectedVersion` (0: no session yet) and refreshes the TTL.
   * On a conflict it returns what is stored now, so the writer can merge without another round trip.
   */
  save(sessionId: string, content: SessionContent, expectedVersion: number): Promise<SaveResult>;
  delete(sessionId: string): Promise<boolean>;
  /** Most recently updated first. */
  list(options: {
    limit: number;
    cursor?: string | undefined;
  }): Promise<{ sessions: SessionSummary[]; next: string | undefined }>;
  /**
   * The one session of a call: the first component to map it wins, every later one gets the same id
   * (the seed split a call across two keys). Returns the session id the call maps to.
   */
  mapCall(callId: string, sessionId: string): Promise<string>;
  sessionForCall(callId: string): Promise<string | undefined>;
}

export const SESSION_KEY = (id: string) => `session:${id}`;
export const CALL_MAP_KEY = (callId: string) => `call_session_map:${callId}`;
export const SESSION_INDEX_KEY = 'rtvoice:sessions:index';
