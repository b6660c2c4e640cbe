import { setTimeout as sleep } from 'node:timers/promises';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildApp } from '../../../src/server/app.ts';
import { PUBLIC } from '../../../src/server/access-policy.ts';
import { startServer, type RunningServer } from '../../../src/server/server.ts';
import { closeServices, createServices } from '../../../src/server/services.ts';
import { startTestRedis, freePort, type TestRedis } from '../../helpers/redis.ts';
import { capturingLogger, testConfig } from '../../helpers/server.ts';

const redis: TestRedis = await startTestRedis();

async function withServer(
  env: Record<string, string>,
  test: (server: RunningServer) => Promise<void>,
): Promise<void> {
  const { log } = capturingLogger('silent');
  const server = await startServer(testConfig(env), log);
  try {
    await test(server);
  } finally {
    await server.close();
  }
}

describe('HTTP API', () => {
  let server: RunningServer;
  let logs: ReturnType<typeof capturingLogger>;

  beforeAll(async () => {
    logs = capturingLogger();
    server = await startServer(testConfig(), logs.log);
  });
  afterAll(() => server.close());

  it('answers liveness with version, uptime and counts', async () => {
    const response = await fetch(`${server.url}/api/v1/health`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 'ok', active_sessions: 0, connections: { total: 0 } });
    expect(body['version']).toMatch(/^\d+\.\d+\.\d+/);
    expect(body['node']).toBe(process.version);
    expect(typeof body['uptime_s']).toBe('number');
  });

  it('serves valid Prometheus text with the event-loop lag histogram and HTTP counters', async () => {
    await fetch(`${server.url}/api/v1/health`);
    await sleep(250); // let the lag sampler observe
    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    const sample =
      /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? -?(\d+(\.\d+)?(e[+-]?\d+)?|NaN|\+Inf|-Inf)( \d+)?$/;
    for (const line of text.split('\n').filter(Boolean)) {
      if (line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
      expect(line).toMatch(sample);
    }
    expect(text).toMatch(/^rtvoice_event_loop_lag_seconds_bucket\{le="0.01"\} [1-9]/m);
    expect(text).toContain('rtvoice_http_requests_total{method="GET",route="/api/v1/health",status="200"}');
    expect(text).toContain('process_cpu_seconds_total');
  });

  it('answers unknown routes with a JSON 404', async () => {
    const response = await fetch(`${server.url}/api/v1/nothing-here`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ statusCode: 404, error: 'Not Found' });
  });

  it('publishes an OpenAPI description of its routes at /docs', async () => {
    const response = await fetch(`${server.url}/docs/json`);
    expect(response.status).toBe(200);
    const spec = (await response.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(spec.openapi).toMatch(/^3\./);
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining(['/api/v1/health', '/api/v1/readiness', '/api/info']),
    );
  });

  it('continues the caller trace and logs the request with its trace id', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    await fetch(`${server.url}/api/info`, { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    const line = logs.lines().find((l) => l['msg'] === 'request completed' && l['url'] === '/api/info');
    expect(line).toMatchObject({ trace_id: traceId, status: 200 });
  });

  it('describes itself at /api/info', async () => {
    const body = (await (await fetch(`${server.url}/api/info`)).json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      name: 'rtvoice',
      streaming_mode: 'media',
      state_store: 'memory',
      docs: '/docs',
    });
  });
});

describe('bad requests', () => {
  it('answers a malformed JSON body with 400 and the reason, and keeps serving', async () => {
    const { log } = capturingLogger('silent');
    const services = await createServices(testConfig(), log);
    const app = await buildApp(services);
    // A route of the embedding application, registered the way route plugins are.
    app.post(
      '/api/v1/echo',
      { config: { access: PUBLIC }, schema: { body: z.object({ text: z.string() }) } },
      (request) => request.body,
    );
    try {
      const malformed = await app.inject({
        method: 'POST',
        url: '/api/v1/echo',
        headers: { 'content-type': 'application/json' },
        payload: '{"text": "unterminated',
      });
      expect(malformed.statusCode).toBe(400);
      expect(malformed.json()).toMatchObject({
        statusCode: 400,
        error: 'Bad Request',
        message: expect.stringMatching(/JSON/),
      });

      const invalid = await app.inject({ method: 'POST', url: '/api/v1/echo', payload: { text: 42 } });
      expect(invalid.statusCode).toBe(400);
      expect(invalid.json<{ message: string }>().message).toMatch(/text/);

      const fine = await app.inject({ method: 'POST', url: '/api/v1/echo', payload: { text: 'hi' } });
      expect(fine.json()).toEqual({ text: 'hi' });
    } finally {
      await app.close();
      await closeServices(services);
    }
  });
});

describe('readiness', () => {
  it.skipIf('skipReason' in redis)('is ready with a reachable Redis', async () => {
    if ('skipReason' in redis) return;
    await withServer({ REDIS_URL: redis.url }, async (server) => {
      let response = await fetch(`${server.url}/api/v1/readiness`);
      for (let i = 0; i < 20 && response.status !== 200; i += 1) {
        await sleep(100); // Redis connects in the background
        response = await fetch(`${server.url}/api/v1/readiness`);
      }
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({
        status: 'ready',
        checks: { redis: { status: 'healthy' }, speech: { status: 'healthy' } },
      });
    });
  });

  it('turns 503 naming Redis when REDIS_URL points at a closed port', async () => {
    const closedPort = await freePort();
    await withServer({ REDIS_URL: `redis://127.0.0.1:${closedPort}` }, async (server) => {
      const started = performance.now();
      const response = await fetch(`${server.url}/api/v1/readiness`);
      expect(performance.now() - started).toBeLessThan(1500);
      expect(response.status).toBe(503);
      const body = (await response.json()) as {
        status: string;
        checks: Record<string, { status: string; error?: string }>;
      };
      expect(body.status).toBe('not_ready');
      expect(body.checks['redis']?.status).toBe('unhealthy');
      expect(body.checks['redis']?.error).toMatch(/not connected/);
      expect(body.checks['speech']?.status).toBe('healthy');
    });
  });

  describe('with an OpenAI-compatible server', () => {
    let llm: Server;
    let llmUrl: string;
    let status = 200;
    beforeAll(async () => {
      llm = createServer((request, response) => {
        response.writeHead(request.url === '/v1/models' ? status : 404, {
          'content-type': 'application/json',
        });
        response.end('{"object":"list","data":[]}');
      });
      await new Promise<void>((resolve) => llm.listen(0, '127.0.0.1', resolve));
      const address = llm.address();
      llmUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/v1`;
    });
    afterAll(() => new Promise<void>((resolve) => llm.close(() => resolve())));

    it('checks the LLM is reachable and accepts the key', async () => {
      await withServer({ OPENAI_BASE_URL: llmUrl, OPENAI_API_KEY: 'sk-test' }, async (server) => {
        status = 200;
        expect((await fetch(`${server.url}/api/v1/readiness`)).status).toBe(200);
        status = 401;
        const response = await fetch(`${server.url}/api/v1/readiness`);
        expect(response.status).toBe(503);
        expect(await response.json()).toMatchObject({
          checks: { llm: { status: 'unhealthy', error: expect.stringContaining('HTTP 401') } },
        });
      });
    });
  });

  afterAll(async () => {
    if (!('skipReason' in redis)) await redis.stop();
  });
});

describe('speech services', () => {
  it('loads warm recognizers and synthesizers at start-up, reports readiness when loaded, and exposes the pools', async () => {
    // Three decoders take a second or more to load: the first probe comes while they load.
    await withServer({ STT_POOL_WARM: '3', TTS_POOL_WARM: '1' }, async (server) => {
      type Readiness = { status: string; checks: Record<string, { status: string; error?: string }> };
      const probe = async () => {
        const response = await fetch(`${server.url}/api/v1/readiness`);
        return { status: response.status, body: (await response.json()) as Readiness };
      };
      let answer = await probe();
      expect(answer.status).toBe(503);
      const deadline = Date.now() + 15_000;
      while (answer.status === 503 && Date.now() < deadline) {
        expect(answer.body).toMatchObject({
          status: 'not_ready',
          checks: { speech: { status: 'unhealthy', error: expect.stringMatching(/loading speech/) } },
        });
        await sleep(100);
        answer = await probe();
      }
      expect(answer.status).toBe(200);
      expect(answer.body.checks['speech']?.status).toBe('healthy');
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toContain('rtvoice_pool_warm{pool="stt"} 3');
      expect(metrics).toContain('rtvoice_pool_warm{pool="tts"} 1');
      const samples = await server.services.speech!.synthesizers.lease(async (tts) => {
        let count = 0;
        for await (const chunk of tts.synthesize({ text: 'Hello.', sampleRate: 16000 }))
          count += chunk.length;
        return count;
      });
      expect(samples).toBeGreaterThan(4000);
      const pool = server.services.speech!.recognizers;
      const recognizer = await pool.acquire({ sessionId: 'call-1' });
      expect(recognizer.closed).toBe(false);
      pool.release(recognizer);
      expect(await pool.acquire({ sessionId: 'call-1' })).toBe(recognizer);
    });
  });
});

describe('schemas', () => {
  it('serves the envelope JSON Schema', async () => {
    await withServer({}, async (server) => {
      const schema = (await (await fetch(`${server.url}/api/v1/schemas/envelopes`)).json()) as {
        properties: Record<string, unknown>;
      };
      expect(Object.keys(schema.properties)).toEqual(
        expect.arrayContaining(['type', 'topic', 'session_id', 'sender', 'ts', 'payload']),
      );
    });
  });
});
