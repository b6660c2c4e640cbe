import { context, propagation, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import type { FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { ConnectionInfo } from '../connections/connection-manager.ts';
import { errorMessage } from '../errors.ts';
import { withLogContext } from '../telemetry/log-context.ts';
import { tracer } from '../telemetry/tracing.ts';
import type { Services } from './services.ts';

/** Close code for a session whose handler failed; the reason says so. */
export const INTERNAL_ERROR_CLOSE = 1011;

/**
 * Accepts a WebSocket for a route: records an accept span, counts it, registers it with the connection
 * manager, and runs `handle` inside the session's log context. A handler that throws closes only its own
 * socket (1011), never the server.
 */
export function acceptWebSocket(
  services: Services,
  socket: WebSocket,
  request: FastifyRequest,
  info: ConnectionInfo,
  handle: () => void | Promise<void>,
): void {
  const { metrics, connections, log } = services;
  const parent = propagation.extract(ROOT_CONTEXT, request.headers);
  const span = tracer().startSpan(
    `WS ${info.route}`,
    {
      kind: SpanKind.SERVER,
      attributes: {
        'http.route': info.route,
        'rtvoice.client_type': info.clientType,
        ...(info.sessionId ? { 'session.id': info.sessionId } : {}),
        ...(info.callId ? { 'call.connection.id': info.callId } : {}),
      },
    },
    parent,
  );
  metrics.wsOpened.inc({ route: info.route });
  metrics.wsActive.inc({ route: info.route });
  socket.once('close', () => metrics.wsActive.dec({ route: info.route }));
  connections.register(socket, info);
  const fields = { session_id: info.sessionId, call_connection_id: info.callId };
  context.with(trace.setSpan(parent, span), () =>
    withLogContext(fields, () => {
      log.info({ route: info.route, client_type: info.clientType }, 'websocket accepted');
      span.end();
      Promise.resolve()
        .then(handle)
        .catch((err: unknown) => {
          log.error({ err }, 'websocket session failed');
          socket.close(INTERNAL_ERROR_CLOSE, `internal error: ${errorMessage(err)}`.slice(0, 120));
        });
    }),
  );
}
