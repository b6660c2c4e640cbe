import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../../src/server/server.ts';
import { startEntraIssuer } from '../../helpers/entra.ts';
import { capturingLogger, testConfig } from '../../helpers/server.ts';

const OPERATOR_APP = randomUUID();
const OTHER_APP = randomUUID();
const ROLE = 'Voice.Operate';

let entra: Awaited<ReturnType<typeof startEntraIssuer>>;
let server: RunningServer;
beforeAll(async () => {
  entra = await startEntraIssuer();
  server = await startServer(
    testConfig({
      ...entra.serverEnv({
        ENTRA_ALLOWED_CLIENT_IDS: `${OPERATOR_APP},${OTHER_APP}`,
        ENTRA_ALLOWED_ROLES: ROLE,
      }),
      STT_PROVIDER: 'null',
      TTS_PROVIDER: 'null',
    }),
    capturingLogger('silent').log,
  );
});
afterAll(async () => {
  await server.close();
  await entra.close();
});

const get = async (path: string, token?: string) => {
  const response = await fetch(`${server.url}${path}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

describe('AUTH_MODE=entra', () => {
  it('lets an allowed client with an allowed role do what an unscoped key may', async () => {
    const token = await entra.token(OPERATOR_APP, [ROLE]);
    expect((await get('/api/v1/sessions', token)).status).toBe(200);
    expect((await get('/api/v1/sessions/nobody-has-this', token)).status).toBe(404);
    // Public routes stay public.
    expect((await get('/api/v1/health')).status).toBe(200);
    // A session token it gets works on its own, as for browsers.
    const issued = await fetch(`${server.url}/api/v1/auth/session-token`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ session_id: 'entra-session' }),
    });
    expect(issued.status).toBe(200);
    const sessionToken = ((await issued.json()) as { token: string }).token;
    expect((await get('/api/v1/sessions', sessionToken)).status).toBe(200);
  });

  it.each([
    ['no token', async () => undefined, /Entra ID bearer token or a session token/],
    [
      'a token for another audience',
      () => entra.token(OPERATOR_APP, [ROLE], { audience: 'api://other' }),
      /aud claim/,
    ],
    ['an expired token', () => entra.token(OPERATOR_APP, [ROLE], { issuedAtOffset: -7200 }), /expired/],
    [
      'a token of another tenant',
      () => entra.token(OPERATOR_APP, [ROLE], { claims: { tid: randomUUID() } }),
      /another tenant/,
    ],
    ['a token of a client not allowed', () => entra.token(randomUUID(), [ROLE]), /is not allowed/],
    ['a token without the role', () => entra.token(OTHER_APP, ['Other.Role']), /none of the roles/],
    ['a forged token', () => entra.issuer.forge({ lifetimeSeconds: 3600 }), /signature/],
    ['an API key', async () => 'some-api-key', /not an Entra ID token/],
  ])('refuses %s with 401 and the reason', async (_name, make, says) => {
    const refused = await get('/api/v1/sessions', await make());
    expect(refused.status).toBe(401);
    expect(String(refused.body['message'])).toMatch(says);
  });

  it('refuses to start without the tenant and the audience', () => {
    expect(() => testConfig({ AUTH_MODE: 'entra' })).toThrow(
      /ENTRA_TENANT_ID: required[\s\S]*ENTRA_AUDIENCE: required/,
    );
  });
});
