import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { VERSION } from '../../version.ts';
import { PUBLIC } from '../access-policy.ts';
import type { Services } from '../services.ts';

const InfoResponse = z.object({
  name: z.literal('rtvoice'),
  version: z.string(),
  node: z.string(),
  environment: z.string(),
  streaming_mode: z.string(),
  state_store: z.enum(['memory', 'redis']),
  docs: z.string().nullable(),
});

/** What this server is and how it is configured, without secrets. */
export const infoRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  const { config } = services;
  app.get(
    '/api/info',
    {
      config: { access: PUBLIC },
      schema: {
        summary: 'Version, environment and mode of this server',
        tags: ['info'],
        response: { 200: InfoResponse },
      },
    },
    () => ({
      name: 'rtvoice' as const,
      version: VERSION,
      node: process.version,
      environment: config.env,
      streaming_mode: config.streamingMode,
      state_store: config.redis.url === undefined ? ('memory' as const) : ('redis' as const),
      docs: config.server.enableDocs ? '/docs' : null,
    }),
  );
};
