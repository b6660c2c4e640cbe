import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { RunningServer } from '../../../src/server/server.ts';
import { OpenIdVerifier } from '../../../src/auth/openid-verifier.ts';
import { AcsSimulator } from '../../../src/telephony/simulator/acs-simulator.ts';
import { startPhoneSystem } from '../../helpers/telephony.ts';

const API_KEY = 'operator-key';
const EVENT_GRID_SECRET = 'event-grid-secret';

/** Every kind of bad token the issue names, and what the refusal says. */
const BAD_TOKENS: readonly { name: string; make: (acs: AcsSimulator) => Promise<string>; says: RegExp }[] = [
  {
    name: 'forged (signed by another key under the published key id)',
    make: (acs) => acs.issuer.forge({ lifetimeSeconds: 300 }),
    says: /signature does not verify/,
  },
  {
    name: 'expired',
    make: (acs) => acs.issuer.mint({ lifetimeSeconds: 300, issuedAtOffset: -3600 }),
    says: /expired/,
  },
  {
    name: 'from another issuer',
    make: (acs) => acs.issuer.mint({ lifetimeSeconds: 300, issuer: 'https://login.example.com' }),
    says: /iss claim is wrong/,
  },
  {
    name: 'for another ACS resource',
    make: (acs) => acs.issuer.mint({ lifetimeSeconds: 300, audience: randomUUID() }),
    says: /aud claim is wrong/,
  },
  { name: 'unsigned (alg: none)', make: async (acs) => acs.issuer.unsigned(), says: /refused/ },
];

describe('the ACS token verifier', () => {
  let acs: AcsSimulator;
  let verifier: OpenIdVerifier;
  beforeAll(async () => {
    acs = await AcsSimulator.start();
    const env = acs.serverEnv('http://127.0.0.1:1');
    verifier = new OpenIdVerifier({
      name: 'ACS',
      audience: env['ACS_AUDIENCE']!,
      openIdConfigUrl: env['ACS_OPENID_CONFIG_URL']!,
      keysCooldownMs: 0,
    });
  });
  afterAll(() => acs.close());

  it('accepts a token ACS signed for this resource, within a minute of clock skew', async () => {
    expect(await verifier.verify(`Bearer ${await acs.issuer.mint({ lifetimeSeconds: 300 })}`)).toMatchObject({
      ok: true,
    });
    const justExpired = await acs.issuer.mint({ lifetimeSeconds: 300, issuedAtOffset: -330 });
    expect((await verifier.verify(`Bearer ${justExpired}`)).ok).toBe(true);
  });

  it.each(BAD_TOKENS)('refuses a token $name', async ({ make, says }) => {
    const check = await verifier.verify(`Bearer ${await make(acs)}`);
    expect(check).toMatchObject({
      ok: false,
      failure: 'bad_token',
      reason: expect.stringMatching(says) as unknown,
    });
  });

  it('refuses a request without a bearer token', async () => {
    expect(await verifier.verify(undefined)).toMatchObject({ ok: false, failure: 'missing' });
    expect(await verifier.verify('Basic abc')).toMatchObject({ ok: false, failure: 'missing' });
  });

  it('fetches the keys again when a token names a key it has not seen (key rotation)', async () => {
    await acs.issuer.rotate();
    expect((await verifier.verify(`Bearer ${await acs.issuer.mint({ lifetimeSeconds: 300 })}`)).ok).toBe(
      true,
    );
  });
});

describe('ACS authentication on a server with API keys', () => {
  let acs: AcsSimulator;
  let server: RunningServer;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ acs, server, close } = await startPhoneSystem({
      AUTH_MODE: 'apikey',
      API_KEYS: API_KEY,
      ACS_EVENTGRID_SECRET: EVENT_GRID_SECRET,
      STT_PROVIDER: 'null',
      TTS_PROVIDER: 'null',
    }));
  });
  afterAll(() => close());

  const callback = (authorization?: string) =>
    fetch(`${server.url}/api/v1/calls/callbacks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
      body: JSON.stringify([
        {
          id: randomUUID(),
          type: 'Microsoft.Communication.CallConnected',
          source: 'calling/callConnections/unknown-call',
          data: { callConnectionId: 'unknown-call' },
          specversion: '1.0',
        },
      ]),
    });

  /** The close code of a media socket upgrade: 4001 when refused, 'open' when admitted. */
  const mediaSocket = (authorization?: string) =>
    new Promise<number | string>((resolve) => {
      const socket = new WebSocket(`${server.url.replace('http', 'ws')}/api/v1/media/stream`, {
        headers: {
          'x-ms-call-connection-id': `call-${randomUUID()}`,
          ...(authorization ? { authorization } : {}),
        },
      });
      let timer: NodeJS.Timeout | undefined;
      socket.on('open', () => (timer = setTimeout(() => resolve('open'), 300)));
      socket.on('close', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
      socket.on('error', (err) => resolve(err.message));
    }).finally(() => undefined);

  it('takes callbacks and media sockets with a valid ACS token', async () => {
    const token = `Bearer ${await acs.issuer.mint({ lifetimeSeconds: 300 })}`;
    const response = await callback(token);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ received: 1, unknown_call: 1 });
    expect(await mediaSocket(`Bearer ${await acs.issuer.mint({ lifetimeSeconds: 86_400 })}`)).toBe('open');
  });

  it.each(BAD_TOKENS)(
    'refuses a token $name on callbacks (401) and media sockets (4001)',
    async ({ make }) => {
      const token = `Bearer ${await make(acs)}`;
      expect((await callback(token)).status).toBe(401);
      expect(await mediaSocket(token)).toBe(4001);
    },
  );

  it('refuses callbacks without a token, and an API key is no ACS token', async () => {
    expect((await callback()).status).toBe(401);
    expect((await callback(`Bearer ${API_KEY}`)).status).toBe(401);
    // The media socket still takes the operator's key (the load tester dials it).
    expect(await mediaSocket(`Bearer ${API_KEY}`)).toBe('open');
    expect(await mediaSocket()).toBe(4001);
  });

  it('answers Event Grid only with the webhook secret, and validates the subscription', async () => {
    const validation = (query: string) =>
      fetch(`${server.url}/api/v1/calls/answer${query}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'aeg-event-type': 'SubscriptionValidation' },
        body: JSON.stringify([
          {
            id: randomUUID(),
            eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
            data: { validationCode: 'code-512d38b6' },
          },
        ]),
      });
    expect((await validation('')).status).toBe(401);
    expect((await validation('?secret=wrong')).status).toBe(401);
    const accepted = await validation(`?secret=${EVENT_GRID_SECRET}`);
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toEqual({ validationResponse: 'code-512d38b6' });

    const handshake = await fetch(`${server.url}/api/v1/calls/answer?secret=${EVENT_GRID_SECRET}`, {
      method: 'OPTIONS',
      headers: { 'WebHook-Request-Origin': 'eventgrid.azure.net' },
    });
    expect(handshake.status).toBe(200);
    expect(handshake.headers.get('webhook-allowed-origin')).toBe('eventgrid.azure.net');
  });
});
