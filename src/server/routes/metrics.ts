import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Services } from '../services.ts';

/** Prometheus scrape endpoint. */
export const metricsRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  const { registry } = services.metrics;
  app.get(
    '/metrics',
    { schema: { summary: 'Prometheus text exposition of every rtvoice metric', tags: ['health'] } },
    async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()),
  );
};
