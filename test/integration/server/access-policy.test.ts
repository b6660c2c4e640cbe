import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { AccessRule } from '../../../src/auth/access.ts';
import { SessionTokens } from '../../../src/auth/session-token.ts';
import { buildApp } from '../../../src/server/app.ts';
import type { RouteAccess } from '../../../src/server/access-policy.ts';
import { createServices } from '../../../src/server/services.ts';
import { startServer, type RunningServer } from '../../../src/server/server.ts';
import { capturingLogger, testConfig } from '../../helpers/server.ts';
import { until } from '../../helpers/wait.ts';

const THIS = 'session-this';
const OTHER = 'session-other';
const SECRET = 'test-token-secret';
const TTL_SECONDS = 60;
const KEYS = { admin: 'admin-key-1', scopedThis: 'scoped-key-this', scopedOther: 'scoped-key-other' };

/** Who the credentials make the request, as the policy sees it. */
type Principal = 'nobody' | 'this' | 'other' | 'admin';

interface Credential {
  readonly name: string;
  /** Headers of an HTTP request or a WebSocket upgrade. */
  readonly headers: Record<string, string>;
  /** Browsers cannot set headers on a WebSocket: session tokens go in the query there. */
  readonly socketToken?: string;
  readonly principal: Principal;
}

const tokens = new SessionTokens(SECRET, TTL_SECONDS);
const token = (session: string, issuedAgoMs = 0) => tokens.issue(session, Date.now() - issuedAgoMs).token;
const bearer = (value: string) => ({ authorization: `Bearer ${value}` });

function tokenCredential(name: string, value: string, principal: Principal): Credential {
  return { name, headers: bearer(value), socketToken: value, principal };
}

const API_KEY_CASES: readonly Credential[] = [
  { name: 'no key', headers: {}, principal: 'nobody' },
  { name: 'wrong key', headers: { 'x-api-key': 'not-a-key' }, principal: 'nobody' },
  { name: 'scoped key for another session', headers: { 'x-api-key': KEYS.scopedOther }, principal: 'other' },
  { name: 'scoped key for this session', headers: bearer(KEYS.scopedThis), principal: 'this' },
  { name: 'unscoped key', headers: { 'x-api-key': KEYS.admin }, principal: 'admin' },
  tokenCredential('expired session token', token(THIS, (TTL_SECONDS + 5) * 1000), 'nobody'),
  tokenCredential('session token for another session', token(OTHER), 'other'),
  tokenCredential('session token for this session', token(THIS), 'this'),
];

/** The oracle: what a rule lets each principal do, written out rather than computed by the code under test. */
const EXPECTED: Record<AccessRule, Record<Principal, 'allowed' | 401 | 403>> = {
  public: { nobody: 'allowed', other: 'allowed', this: 'allowed', admin: 'allowed' },
  principal: { nobody: 401, other: 'allowed', this: 'allowed', admin: 'allowed' },
  admin: { nobody: 401, other: 403, this: 403, admin: 'allowed' },
  session: { nobody: 401, other: 403, this: 'allowed', admin: 'allowed' },
  // No key or session token is an ACS token: those are tested in test/integration/telephony.
  acs: { nobody: 401, other: 401, this: 401, admin: 401 },
  // Without ACS_EVENTGRID_SECRET (only allowed with AUTH_MODE=none, where every principal is admin).
  eventgrid: { nobody: 401, other: 403, this: 403, admin: 'allowed' },
};

/** The route's path with its parameters filled: the session under test, an agent, a docs file. */
const pathOf = (url: string) =>
  url.replace(':id', THIS).replace(':name', 'AuthAgent').replace('*', 'index.html');

/** Every place a route may read the session from gets the session under test. */
const SESSION_QUERY = `session_id=${THIS}`;

async function httpOutcome(server: RunningServer, route: RouteAccess, credential: Credential) {
  const hasBody = route.method === 'POST' || route.method === 'PUT';
  const response = await fetch(`${server.url}${pathOf(route.url)}?${SESSION_QUERY}`, {
    method: route.method,
    redirect: 'manual',
    headers: { ...credential.headers, ...(hasBody ? { 'content-type': 'application/json' } : {}) },
    ...(hasBody ? { body: JSON.stringify({ session_id: THIS }) } : {}),
  });
  await response.arrayBuffer();
  return response.status === 401 || response.status === 403 ? response.status : `HTTP ${response.status}`;
}

/** A refused socket is closed right after the upgrade; an admitted one is still open a moment later. */
async function socketOutcome(server: RunningServer, route: RouteAccess, credential: Credential) {
  const query = `${SESSION_QUERY}${credential.socketToken ? `&token=${credential.socketToken}` : ''}`;
  const socket = new WebSocket(`${server.url.replace('http', 'ws')}${route.url}?${query}`, {
    headers: credential.socketToken ? {} : credential.headers,
  });
  const outcome = await new Promise<number | string>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    socket.on('open', () => (timer = setTimeout(() => resolve('open'), 250)));
    socket.on('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    socket.on('unexpected-response', (_request, response) => resolve(`HTTP ${response.statusCode}`));
    socket.on('error', (err) => resolve(`error ${err.message}`));
  });
  socket.terminate();
  return outcome === 4001 ? 401 : outcome === 4003 ? 403 : outcome;
}

function checkEveryRoute(describeName: string, env: Record<string, string>, cases: readonly Credential[]) {
  describe(describeName, () => {
    let server: RunningServer;
    beforeAll(async () => {
      server = await startServer(
        testConfig({ STT_PROVIDER: 'null', TTS_PROVIDER: 'null', SESSION_TOKEN_SECRET: SECRET, ...env }),
        capturingLogger('silent').log,
      );
    });
    afterAll(() => server.close());

    it('enforces each route’s declared policy for every credential', async () => {
      const routes = server.app.routeAccess;
      // Every route the API documents is in the table, so the table is the server's, not a copy.
      for (const url of ['/api/v1/sessions/:id', '/api/v1/media/stream', '/metrics', '/docs/json'])
        expect(routes.map((r) => r.url)).toContain(url);
      const mismatches: string[] = [];
      for (const route of routes) {
        for (const credential of cases) {
          const expected = EXPECTED[route.rule][credential.principal];
          const outcome = route.websocket
            ? await socketOutcome(server, route, credential)
            : await httpOutcome(server, route, credential);
          const allowed = outcome !== 401 && outcome !== 403;
          // Without ACS, the call routes answer 503 once access is granted.
          const unavailable = route.url.startsWith('/api/v1/calls') && outcome === 'HTTP 503';
          const ok =
            expected === 'allowed'
              ? allowed && (unavailable || !/HTTP 5|error/.test(String(outcome)))
              : outcome === expected;
          if (!ok)
            mismatches.push(
              `${route.method} ${route.url} (${route.rule}) with ${credential.name}: expected ${expected}, got ${outcome}`,
            );
        }
      }
      expect(mismatches).toEqual([]);
    });
  });
}

checkEveryRoute('AUTH_MODE=none', {}, [
  ...API_KEY_CASES.map((credential) => ({ ...credential, principal: 'admin' as const })),
]);

checkEveryRoute(
  'AUTH_MODE=apikey',
  {
    AUTH_MODE: 'apikey',
    API_KEYS: `${KEYS.admin},${KEYS.scopedThis}:${THIS},${KEYS.scopedOther}:${OTHER}|another`,
  },
  API_KEY_CASES,
);

checkEveryRoute(
  'AUTH_MODE=apikey with METRICS_AUTH=apikey',
  { AUTH_MODE: 'apikey', API_KEYS: KEYS.admin, METRICS_AUTH: 'apikey' },
  API_KEY_CASES.filter((c) => c.principal !== 'this' && c.principal !== 'other'),
);

describe('the policy itself', () => {
  const policyOf = async (env: Record<string, string>) => {
    const services = await createServices(testConfig(env), capturingLogger('silent').log);
    const app = await buildApp(services);
    const rule = app.routeAccess.find((route) => route.url === '/metrics')?.rule;
    await app.close();
    return rule;
  };

  it('makes /metrics public on loopback only, unless METRICS_AUTH says otherwise', async () => {
    const keys = { AUTH_MODE: 'apikey', API_KEYS: KEYS.admin };
    expect(await policyOf(keys)).toBe('public');
    expect(await policyOf({ ...keys, HOST: '0.0.0.0' })).toBe('admin');
    expect(await policyOf({ ...keys, HOST: '0.0.0.0', METRICS_AUTH: 'public' })).toBe('public');
    expect(await policyOf({ ...keys, METRICS_AUTH: 'apikey' })).toBe('admin');
  });

  it('is the one the README documents for every route', async () => {
    const services = await createServices(testConfig(), capturingLogger('silent').log);
    const app = await buildApp(services);
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const rows = readme
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .map((line) => line.split('|').map((cell) => cell.trim()));
    const words: Record<AccessRule, string> = {
      public: 'anyone',
      principal: 'any key or session token',
      admin: 'an unscoped key',
      session: "the session's key or token",
      acs: 'ACS, by its signed token',
      eventgrid: 'Event Grid, by the webhook secret',
    };
    const documented = app.routeAccess.filter(
      (route) => route.method !== 'HEAD' && !(route.url.startsWith('/docs/') || route.url === '/docs'),
    );
    expect(documented.length).toBeGreaterThan(10);
    for (const route of documented) {
      const name = `${route.websocket ? 'WS' : route.method} ${route.url.replace(/:(\w+)/g, '{$1}')}`;
      const row = rows.find((cells) => cells[1]!.includes(`\`${name}\``) || cells[1]!.includes(`\`${name}?`));
      expect(row, `README.md's HTTP API table has no row for ${name}`).toBeDefined();
      expect(row![2], `README.md: who may use ${name}`).toMatch(new RegExp(`^${words[route.rule]}`));
    }
    await app.close();
  });

  it('refuses to start with a route that declares no policy', async () => {
    const services = await createServices(testConfig(), capturingLogger('silent').log);
    await expect(
      buildApp(services, (app) => {
        app.get('/api/v1/undeclared', () => ({ secret: true }));
      }),
    ).rejects.toThrow('route GET /api/v1/undeclared declares no access policy');
  });
});

describe('what a principal sees, and what a refusal leaves behind', () => {
  let server: RunningServer;
  let lines: () => Record<string, unknown>[];
  beforeAll(async () => {
    const logger = capturingLogger('info');
    lines = logger.lines;
    server = await startServer(
      testConfig({
        AUTH_MODE: 'apikey',
        API_KEYS: `${KEYS.admin},${KEYS.scopedThis}:${THIS}|missing-session`,
        SESSION_TOKEN_SECRET: SECRET,
        STT_PROVIDER: 'null',
        TTS_PROVIDER: 'null',
      }),
      logger.log,
    );
    for (const id of [THIS, OTHER, 'third']) {
      const memo = await server.services.sessions.load(id);
      memo.setContext('caller_name', `caller of ${id}`);
      await memo.persist();
    }
  });
  afterAll(() => server.close());

  const listWith = async (headers: Record<string, string>) => {
    const response = await fetch(`${server.url}/api/v1/sessions?limit=100`, { headers });
    expect(response.status).toBe(200);
    return ((await response.json()) as { sessions: { id: string }[] }).sessions.map((s) => s.id);
  };

  it('lists every session for an unscoped key, and only its own for a scoped key or a session token', async () => {
    expect(await listWith({ 'x-api-key': KEYS.admin })).toEqual(
      expect.arrayContaining([THIS, OTHER, 'third']),
    );
    expect(await listWith({ 'x-api-key': KEYS.scopedThis })).toEqual([THIS]);
    expect(await listWith(bearer(token(OTHER)))).toEqual([OTHER]);
  });

  it('pages a scoped list', async () => {
    const page = (await (
      await fetch(`${server.url}/api/v1/sessions?limit=1`, { headers: bearer(token(THIS)) })
    ).json()) as { sessions: { id: string }[]; next: string | null };
    expect(page).toEqual({ sessions: [{ id: THIS, updated_at: expect.any(String) }], next: null });
  });

  it('lets a browser page join its call with the token a scoped key got for it', async () => {
    const issued = await fetch(`${server.url}/api/v1/auth/session-token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': KEYS.scopedThis },
      body: JSON.stringify({ session_id: THIS }),
    });
    expect(issued.status).toBe(200);
    const { token: pageToken } = (await issued.json()) as { token: string };
    const page = new WebSocket(
      `${server.url.replace('http', 'ws')}/api/v1/realtime/conversation?session_id=${THIS}&token=${pageToken}`,
    );
    const envelopes: { type: string; payload: Record<string, unknown> }[] = [];
    page.on('message', (data: Buffer, binary: boolean) => {
      if (!binary) envelopes.push(JSON.parse(data.toString('utf8')) as (typeof envelopes)[number]);
    });
    await once(page, 'open');
    page.send(JSON.stringify({ type: 'start', sample_rate: 16000 }));
    await until(() => envelopes.some((e) => e.type === 'status'));
    expect(envelopes.find((e) => e.type === 'status')?.payload).toMatchObject({ message: 'call started' });
    page.close();

    const elsewhere = new WebSocket(
      `${server.url.replace('http', 'ws')}/api/v1/realtime/conversation?session_id=${OTHER}&token=${pageToken}`,
    );
    const [code, reason] = (await once(elsewhere, 'close')) as [number, Buffer];
    expect({ code, reason: reason.toString() }).toEqual({
      code: 4003,
      reason: `not authorized for session ${OTHER}`,
    });
  });

  it('does not take a session token from the query of an HTTP request', async () => {
    const response = await fetch(`${server.url}/api/v1/sessions/${THIS}?token=${token(THIS)}`);
    expect(response.status).toBe(401);
  });

  it('counts failed attempts by route and reason, and never logs the credential', async () => {
    const wrong = 'wrong-key-that-must-not-be-logged';
    const before = lines().length;
    await fetch(`${server.url}/api/v1/sessions`, { headers: { 'x-api-key': wrong } });
    await fetch(`${server.url}/api/v1/sessions/${OTHER}`, { headers: { 'x-api-key': KEYS.scopedThis } });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(
      /rtvoice_auth_failures_total\{route="\/api\/v1\/sessions",reason="unknown_key"\} 1/,
    );
    expect(metrics).toMatch(
      /rtvoice_auth_failures_total\{route="\/api\/v1\/sessions\/:id",reason="forbidden"\} 1/,
    );
    const refused = lines()
      .slice(before)
      .filter((line) => String(line['msg']).startsWith('access refused'));
    expect(refused.map((line) => line['reason'])).toEqual(['unknown_key', 'forbidden']);
    const logged = JSON.stringify(lines());
    expect(logged).not.toContain(wrong);
    expect(logged).not.toContain(KEYS.scopedThis);
  });
});
