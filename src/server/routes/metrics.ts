import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { isLoopback } from '../../config/config.ts';
import { ADMIN, PUBLIC } from '../access-policy.ts';
import type { Services } from '../services.ts';

/** Prometheus scrape endpoint: public only where METRICS_AUTH says so, or on loopback by default. */
export const metricsRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  const { registry } = services.metrics;
  const { metricsAuth, host } = services.config.server;
  const open = metricsAuth === 'public' || (metricsAuth === 'auto' && isLoopback(host));
  app.get(
    '/metrics',
    {
      config: { access: open ? PUBLIC : ADMIN },
      schema: { summary: 'Prometheus text exposition of every rtvoice metric', tags: ['health'] },
    },
    async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()),
  );
};
