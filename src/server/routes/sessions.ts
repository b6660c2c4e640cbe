import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SESSION_ID, SESSION_ID_RULE } from '../../state/session.ts';
import type { SessionStore, SessionSummary } from '../../state/session-store.ts';
import { sessionView } from '../../state/session-view.ts';
import { accessOf, forSession, PRINCIPAL } from '../access-policy.ts';
import type { Services } from '../services.ts';

const SessionId = z.string().regex(SESSION_ID, `a session id is ${SESSION_ID_RULE}`);
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

/** The session named in the path. */
const PATH_SESSION = forSession((request) => (request.params as { id?: string }).id);

/**
 * A page of the sessions a scoped principal may see, most recent first; the cursor is an offset.
 * Scopes are short lists, so their sessions are loaded one by one rather than filtered from the index.
 */
async function scopedPage(
  store: SessionStore,
  ids: ReadonlySet<string>,
  page: { limit: number; cursor?: string | undefined },
): Promise<{ sessions: SessionSummary[]; next: string | undefined }> {
  const found = await Promise.all(
    [...ids].map(async (id) => {
      const record = await store.load(id);
      return record && { id, updated_at: record.updated_at };
    }),
  );
  const sessions = found.filter((s) => s !== undefined).sort((a, b) => b.updated_at - a.updated_at);
  const start = Number(page.cursor ?? 0);
  const end = start + page.limit;
  return { sessions: sessions.slice(start, end), next: end < sessions.length ? String(end) : undefined };
}

/**
 * Read and delete conversation sessions (histories, context, latency); secrets are redacted. A principal
 * scoped to some sessions lists, reads and deletes only those.
 */
export const sessionRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  const { store } = services.sessions;

  app.get(
    '/api/v1/sessions',
    {
      config: { access: PRINCIPAL },
      schema: {
        summary: 'Recent sessions the caller may see, most recently updated first',
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
      const access = accessOf(request);
      const page =
        access.kind === 'sessions'
          ? await scopedPage(store, access.sessions, request.query)
          : await store.list({ limit: request.query.limit, cursor: request.query.cursor });
      return {
        sessions: page.sessions.map((s) => ({ id: s.id, updated_at: new Date(s.updated_at).toISOString() })),
        next: page.next ?? null,
      };
    },
  );

  app.get(
    '/api/v1/sessions/:id',
    {
      config: { access: PATH_SESSION },
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
      config: { access: PATH_SESSION },
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
