import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../../src/server/app.ts';
import { closeServices, createServices, type Services } from '../../../src/server/services.ts';
import { capturingLogger, testConfig } from '../../helpers/server.ts';

describe('agents API', () => {
  let app: App;
  let services: Services;

  beforeAll(async () => {
    services = await createServices(
      testConfig({ AUTH_MODE: 'apikey', API_KEYS: 'admin-key,scoped-key:s1' }),
      capturingLogger('silent').log,
    );
    app = await buildApp(services);
  });
  afterAll(async () => {
    await app.close();
    await closeServices(services);
  });

  const admin = { 'x-api-key': 'admin-key' };

  it('lists the agents with their engine, model, voice, tools and handoffs', async () => {
    const reply = await app.inject({ url: '/api/v1/agents', headers: admin });
    expect(reply.statusCode).toBe(200);
    const body = reply.json<{ entry: string; agents: Record<string, unknown>[] }>();
    expect(body.entry).toBe('AuthAgent');
    expect(body.agents.map((a) => a.name)).toEqual(['AuthAgent', 'ClaimsAgent', 'PolicyAgent']);
    expect(body.agents[1]).toMatchObject({
      name: 'ClaimsAgent',
      engine: 'flow',
      model: { name: 'gpt-4o-mini', temperature: 0.6 },
      voice: { alias: 'claims_specialist', provider: 'flite', voice: 'rms', rate: 1.05 },
      handoffs: ['PolicyAgent'],
    });
    expect(body.agents[1]!.tools).toContain('record_fnol');
  });

  it('answers 404 naming the agents for an unknown name', async () => {
    const reply = await app.inject({ url: '/api/v1/agents/Nobody', headers: admin });
    expect(reply.statusCode).toBe(404);
    expect(reply.json<{ message: string }>().message).toBe(
      'no agent "Nobody"; agents: AuthAgent, ClaimsAgent, PolicyAgent',
    );
  });

  it('changes model settings and voice at runtime, with an admin key only', async () => {
    const change = { model: { temperature: 0.3 }, voice: 'policy_specialist' };
    const anonymous = await app.inject({ method: 'PUT', url: '/api/v1/agents/AuthAgent', payload: change });
    expect(anonymous.statusCode).toBe(401);
    const scoped = await app.inject({
      method: 'PUT',
      url: '/api/v1/agents/AuthAgent',
      payload: change,
      headers: { 'x-api-key': 'scoped-key' },
    });
    expect(scoped.statusCode).toBe(403);

    const changed = await app.inject({
      method: 'PUT',
      url: '/api/v1/agents/AuthAgent',
      payload: change,
      headers: admin,
    });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({
      model: { temperature: 0.3 },
      voice: { alias: 'policy_specialist', voice: 'awb' },
    });
    const read = await app.inject({ url: '/api/v1/agents/AuthAgent', headers: admin });
    expect(read.json()).toMatchObject({ model: { temperature: 0.3, max_tokens: 300 } });
  });

  it('refuses an unknown voice, a bad value and an unknown field with 400', async () => {
    for (const payload of [{ voice: 'pirate' }, { model: { temperature: 7 } }, { prompt: 'x' }]) {
      const reply = await app.inject({
        method: 'PUT',
        url: '/api/v1/agents/AuthAgent',
        payload,
        headers: admin,
      });
      expect(reply.statusCode, JSON.stringify(payload)).toBe(400);
    }
    const unknownVoice = await app.inject({
      method: 'PUT',
      url: '/api/v1/agents/AuthAgent',
      payload: { voice: 'pirate' },
      headers: admin,
    });
    expect(unknownVoice.json<{ message: string }>().message).toMatch(
      /unknown voice "pirate"; defined voices: /,
    );
  });
});
