import { timingSafeEqual } from 'node:crypto';
import type { SessionTokens } from './session-token.ts';

export type AuthMode = 'none' | 'apikey' | 'entra';

/** What a request may see: everything (an unscoped key, or no authentication), some sessions, or nothing. */
export type Access =
  | { readonly kind: 'all' }
  | { readonly kind: 'sessions'; readonly sessions: ReadonlySet<string> }
  | { readonly kind: 'none'; readonly reason: string };

export interface ApiKey {
  readonly key: string;
  /** Undefined: every session (an admin key). */
  readonly sessions: ReadonlySet<string> | undefined;
}

/** Parses API_KEYS: comma-separated `key` (all sessions) or `key:session-a|session-b` (only those). */
export function parseApiKeys(value: string | undefined): ApiKey[] {
  if (!value) return [];
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const [key, scope] = entry.split(':');
      return { key: key!, sessions: scope ? new Set(scope.split('|').filter(Boolean)) : undefined };
    });
}

const sameKey = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** Decides access from the credentials a request carries: an API key, or a session token. */
export function resolveAccess(
  mode: AuthMode,
  keys: readonly ApiKey[],
  tokens: SessionTokens,
  credentials: { apiKey?: string | undefined; sessionToken?: string | undefined },
): Access {
  if (mode === 'none') return { kind: 'all' };
  if (credentials.sessionToken) {
    const claims = tokens.verify(credentials.sessionToken);
    return claims
      ? { kind: 'sessions', sessions: new Set([claims.sid]) }
      : { kind: 'none', reason: 'session token invalid or expired' };
  }
  if (mode === 'entra')
    return { kind: 'none', reason: 'Entra ID bearer tokens are not supported yet; use a session token' };
  if (!credentials.apiKey)
    return {
      kind: 'none',
      reason: 'authentication required: send an API key (x-api-key) or a session token',
    };
  const match = keys.find((candidate) => sameKey(candidate.key, credentials.apiKey!));
  if (!match) return { kind: 'none', reason: 'unknown API key' };
  return match.sessions ? { kind: 'sessions', sessions: match.sessions } : { kind: 'all' };
}

export function mayAccessSession(access: Access, sessionId: string): boolean {
  return access.kind === 'all' || (access.kind === 'sessions' && access.sessions.has(sessionId));
}
