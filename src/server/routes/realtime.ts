import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { OVERVIEW_TOPIC } from '../../connections/bus.ts';
import { SESSION_ID } from '../../state/session.ts';
import { forSession } from '../access-policy.ts';
import { single } from '../../transports/single.ts';
import type { Services } from '../services.ts';
import { acceptWebSocket } from '../websocket.ts';

/** Close codes of the relay for what a read-only feed does not accept (access refusals: ACCESS_CLOSE). */
export const RELAY_CLOSE = { unsupportedData: 1003, tooBig: 1009 } as const;
const MAX_CLIENT_MESSAGE_BYTES = 4096;

/** The session a relay watches; none means every session (the overview), which needs an unscoped key. */
const watchedSession = (query: unknown) => single((query as Record<string, unknown>).session_id);

/** The dashboard relay (a read-only feed of envelopes) and the session tokens browser pages use. */
export const realtimeRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  app.post(
    '/api/v1/auth/session-token',
    {
      config: { access: forSession((request) => (request.body as { session_id?: string }).session_id) },
      schema: {
        summary: 'A short-lived token that lets a browser page watch or join one session',
        tags: ['auth'],
        body: z.object({ session_id: z.string().regex(SESSION_ID) }),
        response: {
          200: z.object({ token: z.string(), session_id: z.string(), expires_at: z.string() }),
        },
      },
    },
    async (request) => {
      const { token, expiresAt } = services.auth.tokens.issue(request.body.session_id);
      return { token, session_id: request.body.session_id, expires_at: expiresAt.toISOString() };
    },
  );

  app.get(
    '/api/v1/realtime/dashboard/relay',
    { websocket: true, config: { access: forSession((request) => watchedSession(request.query)) } },
    (socket, request) => {
      const sessionId = watchedSession(request.query);
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
