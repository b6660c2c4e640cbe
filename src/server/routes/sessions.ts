import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { sessionView } from '../../state/session-view.ts';
import type { Services } from '../services.ts';

const SessionId = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'a session id is 1-128 letters, digits, "_", ".", ":" or "-"');
const NotFound = z.object({ statusCode: z.literal(404), error: z.string(), message: z.string() });
const Message = z.object({
  role: z.enum(['system', 'user', 'assistant', 'tool']),
  content: z.string(),
  name: z.string().optional(),
  tool_call_id: z.string().optional(),
  meta: z.record(z.string(), z.unknown()).optional(),
});
const Session = z.object({
  id: z.string(),
  version: z.number().int(),
  updated_at: z.string(),
  context: z.record(z.string(), z.unknown()),
  histories: z.record(z.string(), z.array(Message)),
  latency: z.record(
    z.string(),
    z.object({
      count: z.number(),
      avg_ms: z.number(),
      min_ms: z.number(),
      max_ms: z.number(),
      p95_ms: z.number(),
    }),
  ),
});

const notFound = (id: string) => ({
  statusCode: 404 as const,
  error: 'Not Found',
  message: `no session "${id}" (it may have expired)`,
});

/** Read and delete conversation sessions (histories, context, latency); secrets are redacted. */
export const sessionRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  const { store } = services.sessions;

  app.get(
    '/api/v1/sessions',
    {
      schema: {
        summary: 'Recent sessions, most recently updated first',
        tags: ['sessions'],
        querystring: z.object({
          limit: z.coerce.number().int().min(1).max(100).default(20),
          cursor: z.string().regex(/^\d+$/).optional(),
        }),
        response: {
          200: z.object({
            sessions: z.array(z.object({ id: z.string(), updated_at: z.string() })),
            next: z.string().nullable(),
          }),
        },
      },
    },
    async (request) => {
      const page = await store.list({ limit: request.query.limit, cursor: request.query.cursor });
      return {
        sessions: page.sessions.map((s) => ({ id: s.id, updated_at: new Date(s.updated_at).toISOString() })),
        next: page.next ?? null,
      };
    },
  );

  app.get(
    '/api/v1/sessions/:id',
    {
      schema: {
        summary: 'One session: chat histories per agent, context and latency summary',
        tags: ['sessions'],
        params: z.object({ id: SessionId }),
        response: { 200: Session, 404: NotFound },
      },
    },
    async (request, reply) => {
      const record = await store.load(request.params.id);
      return record
        ? sessionView(request.params.id, record)
        : reply.code(404).send(notFound(request.params.id));
    },
  );

  app.delete(
    '/api/v1/sessions/:id',
    {
      schema: {
        summary: 'Delete a session',
        tags: ['sessions'],
        params: z.object({ id: SessionId }),
        response: { 204: z.null(), 404: NotFound },
      },
    },
    async (request, reply) =>
      (await store.delete(request.params.id))
        ? reply.code(204).send(null)
        : reply.code(404).send(notFound(request.params.id)),
  );
};
