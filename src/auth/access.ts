import { timingSafeEqual } from 'node:crypto';
import type { SessionTokens } from './session-token.ts';

export type AuthMode = 'none' | 'apikey' | 'entra';

/** Why a request has no principal; a label of `rtvoice_auth_failures_total`. */
export type AuthFailure = 'missing' | 'unknown_key' | 'bad_token' | 'unsupported';

/** Who a request is: everything (an unscoped key, or no authentication), some sessions, or nobody. */
export type Access =
  | { readonly kind: 'all' }
  | { readonly kind: 'sessions'; readonly sessions: ReadonlySet<string> }
  | { readonly kind: 'none'; readonly failure: AuthFailure; readonly reason: string };

/**
 * Who may use a route:
 * - `public`: anyone, without credentials;
 * - `principal`: anyone authenticated (any key, or a session token);
 * - `admin`: an unscoped API key;
 * - `session`: a principal allowed for the session the request names (an unscoped key, a key scoped to
 *   it, or a session token for it); a request that names no session needs an unscoped key;
 * - `acs`: Azure Communication Services itself, by the token it signs (callbacks);
 * - `eventgrid`: an Event Grid subscription, by the secret in its webhook URL; without ACS_EVENTGRID_SECRET
 *   (only allowed with AUTH_MODE=none) as `admin`.
 */
export type AccessRule = 'public' | 'principal' | 'admin' | 'session' | 'acs' | 'eventgrid';

export const ACCESS_RULES: readonly AccessRule[] = [
  'public',
  'principal',
  'admin',
  'session',
  'acs',
  'eventgrid',
];

/** A refusal: 401 when the request has no principal, 403 when its principal may not do this. */
export interface Refusal {
  readonly status: 401 | 403;
  readonly reason: string;
}

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

export const sameKey = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

const nobody = (failure: AuthFailure, reason: string): Access => ({ kind: 'none', failure, reason });

/** The credentials a request carries. A bearer value may be an API key or a session token. */
export interface Credentials {
  readonly apiKey?: string | undefined;
  readonly bearer?: string | undefined;
  readonly sessionToken?: string | undefined;
}

/** Decides who a request is from its credentials: an API key, or a session token. */
export function resolveAccess(
  mode: AuthMode,
  keys: readonly ApiKey[],
  tokens: SessionTokens,
  credentials: Credentials,
): Access {
  if (mode === 'none') return { kind: 'all' };
  const { apiKey, bearer, sessionToken } = credentials;
  const token = sessionToken ?? (bearer !== undefined && apiKey === undefined ? bearer : undefined);
  const claims = token === undefined ? undefined : tokens.verify(token);
  if (claims) return { kind: 'sessions', sessions: new Set([claims.sid]) };
  if (sessionToken !== undefined) return nobody('bad_token', 'session token invalid or expired');
  const key = apiKey ?? bearer;
  if (mode === 'entra') {
    return key === undefined
      ? nobody('missing', 'authentication required: send an Entra ID bearer token or a session token')
      : nobody('bad_token', 'not an Entra ID token or a valid session token');
  }
  if (key === undefined) {
    return nobody(
      'missing',
      'authentication required: send an API key (x-api-key or Authorization: Bearer) or a session token',
    );
  }
  const match = keys.find((candidate) => sameKey(candidate.key, key));
  if (!match) return nobody('unknown_key', 'unknown API key or session token');
  return match.sessions ? { kind: 'sessions', sessions: match.sessions } : { kind: 'all' };
}

export function mayAccessSession(access: Access, sessionId: string): boolean {
  return access.kind === 'all' || (access.kind === 'sessions' && access.sessions.has(sessionId));
}

/** Applies a route's rule; `sessionId` is the session the request names, if any. Undefined: allowed. */
export function authorize(access: Access, rule: AccessRule, sessionId?: string): Refusal | undefined {
  if (rule === 'public') return undefined;
  if (rule === 'acs') return { status: 401, reason: 'only ACS, by the token it signs, may use this' };
  if (access.kind === 'none') return { status: 401, reason: access.reason };
  if (rule === 'principal' || access.kind === 'all') return undefined;
  if (rule === 'admin') return { status: 403, reason: 'this needs an unscoped API key' };
  if (sessionId === undefined) return { status: 403, reason: 'naming no session needs an unscoped API key' };
  return mayAccessSession(access, sessionId)
    ? undefined
    : { status: 403, reason: `not authorized for session ${sessionId}` };
}
