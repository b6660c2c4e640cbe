import { describe, expect, it } from 'vitest';
import { authorize, parseApiKeys, resolveAccess, type Access } from '../../../src/auth/access.ts';
import { SessionTokens } from '../../../src/auth/session-token.ts';

describe('session tokens', () => {
  const tokens = new SessionTokens('secret', 60);

  it('verify what they issued, until they expire', () => {
    const { token } = tokens.issue('call-1', 1_000_000);
    expect(tokens.verify(token, 1_000_000)).toEqual({ sid: 'call-1', exp: 1060 });
    expect(tokens.verify(token, 1_060_001)).toBeUndefined();
  });

  it('reject forged, altered and foreign tokens', () => {
    const { token } = tokens.issue('call-1');
    const [body, signature] = token.split('.');
    const other = Buffer.from(JSON.stringify({ sid: 'call-2', exp: 9_999_999_999 })).toString('base64url');
    expect(tokens.verify(`${other}.${signature}`)).toBeUndefined();
    expect(tokens.verify(`${body}.${signature}x`)).toBeUndefined();
    expect(tokens.verify('garbage')).toBeUndefined();
    expect(new SessionTokens('another secret', 60).verify(token)).toBeUndefined();
  });
});

describe('access', () => {
  const tokens = new SessionTokens('secret', 60);
  const keys = parseApiKeys('admin, agent:call-1|call-2');

  it('parses admin and scoped keys', () => {
    expect(keys.map((k) => [k.key, k.sessions && [...k.sessions]])).toEqual([
      ['admin', undefined],
      ['agent', ['call-1', 'call-2']],
    ]);
  });

  it('grants by mode and credentials', () => {
    expect(resolveAccess('none', [], tokens, {})).toEqual({ kind: 'all' });
    expect(resolveAccess('apikey', keys, tokens, { apiKey: 'admin' })).toEqual({ kind: 'all' });
    expect(resolveAccess('apikey', keys, tokens, { apiKey: 'agent' })).toMatchObject({ kind: 'sessions' });
    expect(resolveAccess('apikey', keys, tokens, { apiKey: 'wrong' })).toMatchObject({
      kind: 'none',
      failure: 'unknown_key',
    });
    expect(resolveAccess('apikey', keys, tokens, {})).toMatchObject({ kind: 'none', failure: 'missing' });
  });

  it('takes a bearer value as a session token when it is one, else as an API key', () => {
    const { token } = tokens.issue('call-7');
    expect(resolveAccess('apikey', keys, tokens, { bearer: token })).toEqual({
      kind: 'sessions',
      sessions: new Set(['call-7']),
    });
    expect(resolveAccess('apikey', keys, tokens, { bearer: 'admin' })).toEqual({ kind: 'all' });
    expect(resolveAccess('apikey', keys, tokens, { sessionToken: 'admin' })).toMatchObject({
      kind: 'none',
      failure: 'bad_token',
    });
    expect(resolveAccess('entra', keys, tokens, { bearer: token })).toMatchObject({ kind: 'sessions' });
    expect(resolveAccess('entra', keys, tokens, { bearer: 'admin' })).toMatchObject({
      kind: 'none',
      failure: 'bad_token',
    });
  });

  it('authorizes each rule', () => {
    const nobody: Access = { kind: 'none', failure: 'missing', reason: 'who are you?' };
    const all: Access = { kind: 'all' };
    const scoped: Access = { kind: 'sessions', sessions: new Set(['call-1']) };
    expect(authorize(nobody, 'public')).toBeUndefined();
    expect(authorize(nobody, 'principal')).toEqual({ status: 401, reason: 'who are you?' });
    expect(authorize(scoped, 'principal')).toBeUndefined();
    expect(authorize(scoped, 'admin')).toMatchObject({ status: 403 });
    expect(authorize(all, 'admin')).toBeUndefined();
    expect(authorize(scoped, 'session', 'call-1')).toBeUndefined();
    expect(authorize(scoped, 'session', 'call-2')).toMatchObject({ status: 403 });
    expect(authorize(scoped, 'session', undefined)).toMatchObject({ status: 403 });
    expect(authorize(all, 'session', undefined)).toBeUndefined();
    expect(authorize(nobody, 'session', 'call-1')).toMatchObject({ status: 401 });
  });
});
