import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { mayAccessSession, type Access } from '../../auth/access.ts';
import { requestAccess } from '../request-access.ts';
import { OVERVIEW_TOPIC } from '../../connections/bus.ts';
import type { Services } from '../services.ts';
import { acceptWebSocket } from '../websocket.ts';

/** Close codes of the relay: who may not watch, and what a read-only feed does not accept. */
export const RELAY_CLOSE = { unauthorized: 4001, unsupportedData: 1003, tooBig: 1009 } as const;
const MAX_CLIENT_MESSAGE_BYTES = 4096;

/** The dashboard relay (a read-only feed of envelopes) and the session tokens browser pages use. */
export const realtimeRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  const access = (request: FastifyRequest, token?: string): Access => requestAccess(services, request, token);

  app.post(
    '/api/v1/auth/session-token',
    {
      schema: {
        summary: 'A short-lived token that lets a browser page watch or join one session',
        tags: ['auth'],
        body: z.object({ session_id: z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/) }),
        response: {
          200: z.object({ token: z.string(), session_id: z.string(), expires_at: z.string() }),
          403: z.object({ statusCode: z.literal(403), error: z.string(), message: z.string() }),
        },
      },
    },
    async (request, reply) => {
      const granted = access(request);
      if (!mayAccessSession(granted, request.body.session_id)) {
        const reason = granted.kind === 'none' ? granted.reason : 'this key may not access that session';
        return reply.code(403).send({ statusCode: 403 as const, error: 'Forbidden', message: reason });
      }
      const { token, expiresAt } = services.auth.tokens.issue(request.body.session_id);
      return { token, session_id: request.body.session_id, expires_at: expiresAt.toISOString() };
    },
  );

  app.get<{ Querystring: { session_id?: string; token?: string } }>(
    '/api/v1/realtime/dashboard/relay',
    { websocket: true },
    (socket, request) => {
      const sessionId =
        typeof request.query.session_id === 'string' && request.query.session_id
          ? request.query.session_id
          : undefined;
      const granted = access(
        request,
        typeof request.query.token === 'string' ? request.query.token : undefined,
      );
      const refusal =
        granted.kind === 'none'
          ? granted.reason
          : sessionId === undefined
            ? granted.kind === 'all'
              ? undefined
              : 'watching every session needs an admin API key'
            : mayAccessSession(granted, sessionId)
              ? undefined
              : `not authorized for session ${sessionId}`;
      if (refusal) {
        socket.close(RELAY_CLOSE.unauthorized, refusal.slice(0, 120));
        return;
      }
      acceptWebSocket(
        services,
        socket,
        request,
        {
          clientType: 'dashboard',
          route: '/api/v1/realtime/dashboard/relay',
          sessionId,
          topics: sessionId ? ['dashboard'] : [OVERVIEW_TOPIC],
        },
        () => {
          // Read-only: text is ignored; binary or oversized frames close the socket with the reason.
          socket.on('message', (data: Buffer, isBinary: boolean) => {
            if (isBinary)
              socket.close(
                RELAY_CLOSE.unsupportedData,
                'the dashboard relay is read-only and takes no binary frames',
              );
            else if (data.length > MAX_CLIENT_MESSAGE_BYTES)
              socket.close(
                RELAY_CLOSE.tooBig,
                `messages to the relay are limited to ${MAX_CLIENT_MESSAGE_BYTES} bytes`,
              );
          });
        },
      );
    },
  );
};
