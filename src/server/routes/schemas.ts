import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { envelopeJsonSchema } from '../../connections/envelope.ts';
import { PUBLIC } from '../access-policy.ts';

/** Machine-readable contracts for clients: the envelope every dashboard and browser message uses. */
export const schemaRoutes: FastifyPluginAsyncZod = async (app) => {
  const schema = envelopeJsonSchema();
  app.get(
    '/api/v1/schemas/envelopes',
    {
      config: { access: PUBLIC },
      schema: {
        summary: 'JSON Schema of the envelopes sent to dashboards and browser clients',
        tags: ['schemas'],
      },
    },
    () => schema,
  );
};
