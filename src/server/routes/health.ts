import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { VERSION } from '../../version.ts';
import { runReadinessChecks } from '../readiness.ts';
import { PUBLIC } from '../access-policy.ts';
import type { Services } from '../services.ts';

const HealthResponse = z.object({
  status: z.literal('ok'),
  version: z.string(),
  node: z.string(),
  uptime_s: z.number(),
  active_sessions: z.number().int(),
  connections: z.object({ total: z.number().int(), by_client_type: z.record(z.string(), z.number().int()) }),
});

const CheckResult = z.object({
  status: z.enum(['healthy', 'unhealthy']),
  latency_ms: z.number(),
  error: z.string().optional(),
});

const ReadinessResponse = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.record(z.string(), CheckResult),
});

/** Liveness (is the process serving?) and readiness (can it take calls: are its dependencies healthy?). */
export const healthRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  app.get(
    '/api/v1/health',
    {
      config: { access: PUBLIC },
      schema: {
        summary: 'Liveness, with uptime, version and active session and connection counts',
        tags: ['health'],
        response: { 200: HealthResponse },
      },
    },
    () => {
      const { total, byClientType } = services.connections.stats();
      return {
        status: 'ok' as const,
        version: VERSION,
        node: process.version,
        uptime_s: Math.round(process.uptime()),
        active_sessions: services.connections.activeSessions(),
        connections: { total, by_client_type: byClientType },
      };
    },
  );

  app.get(
    '/api/v1/readiness',
    {
      config: { access: PUBLIC },
      schema: {
        summary: 'One check per dependency; 503 names the failing ones',
        tags: ['health'],
        response: { 200: ReadinessResponse, 503: ReadinessResponse },
      },
    },
    async (_request, reply) => {
      const report = await runReadinessChecks(
        services.readinessChecks,
        services.config.server.readinessTimeoutMs,
      );
      return reply
        .code(report.ready ? 200 : 503)
        .send({ status: report.ready ? 'ready' : 'not_ready', checks: report.checks });
    },
  );
};
