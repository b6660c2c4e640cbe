import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { WebSocket } from 'ws';
import type { CallBasics } from '../../media/call-context.ts';
import { createCallHandler, createTranscriptHandler } from '../../media/handler-factory.ts';
import { serveCall, resolveCallIds } from '../../media/serve-call.ts';
import { SESSION_ID, SESSION_ID_RULE } from '../../state/session.ts';
import { withLogContext } from '../../telemetry/log-context.ts';
import { ACS } from '../../transports/acs/acs-transport.ts';
import { ACS_TRANSCRIPTION } from '../../transports/acs-transcription/transcription-transport.ts';
import { BadMessageGuard } from '../../transports/bad-message-guard.ts';
import { BROWSER } from '../../transports/browser/browser-transport.ts';
import { REALTIME } from '../../transports/realtime/realtime-transport.ts';
import { CALL_CLOSE } from '../../transports/close-codes.ts';
import { Inbox } from '../../transports/inbox.ts';
import { single } from '../../transports/single.ts';
import type {
  CallLifecycle,
  CallTransport,
  TransportKind,
  UpgradeRequest,
} from '../../transports/transport.ts';
import type { StreamingMode } from '../../config/config.ts';
import { forSession } from '../access-policy.ts';
import type { App } from '../app.ts';
import type { Services } from '../services.ts';
import { acceptWebSocket } from '../websocket.ts';

/** Closes the socket with 1008 when an id is malformed; true when it did. */
function refuseMalformedIds(socket: WebSocket, ids: Record<string, string | undefined>): boolean {
  for (const [what, id] of Object.entries(ids)) {
    if (id !== undefined && !SESSION_ID.test(id)) {
      socket.close(CALL_CLOSE.policy, `${what} must be ${SESSION_ID_RULE}`);
      return true;
    }
  }
  return false;
}

const upgrade = (request: { query: unknown; headers: UpgradeRequest['headers'] }): UpgradeRequest => ({
  query: request.query as Record<string, unknown>,
  headers: request.headers,
});

/**
 * One call route: it authenticates (joining a call needs access to the session it names, or an unscoped
 * key to start a new one or let the call → session map pick it; ACS by its token), resolves the ids, and
 * hands the socket to the wire protocol's transport and the call's handler.
 */
function callRoute<H extends CallLifecycle, T extends CallTransport<H>>(
  app: App,
  services: Services,
  kind: TransportKind<T>,
  createHandler: (mode: StreamingMode, basics: CallBasics, transport: T) => H,
): void {
  const fromAcs = kind.name !== 'browser';
  const policy = forSession((request) => kind.ids(upgrade(request)).sessionId, { orAcs: fromAcs });
  app.get(kind.route, { websocket: true, config: { access: policy } }, async (socket, request) => {
    const asked = kind.ids(upgrade(request));
    if (refuseMalformedIds(socket, { 'session id': asked.sessionId, 'call connection id': asked.callId }))
      return;
    const inbox = new Inbox(socket);
    const ids = await resolveCallIds(services, { callId: asked.callId, sessionId: asked.sessionId });
    acceptWebSocket(services, socket, request, kind.connection(ids), () => {
      const context = {
        session_id: ids.sessionId,
        ...(ids.callId ? { call_connection_id: ids.callId } : {}),
      };
      const log = services.log.child({ ...context, transport: kind.name });
      const guard = new BadMessageGuard({
        max: services.config.media.maxBadMessages,
        log,
        count: (reason) => services.metrics.mediaBadMessages.inc({ transport: kind.name, reason }),
        close: (reason) => socket.close(CALL_CLOSE.invalidData, reason.slice(0, 120)),
      });
      const transport = kind.open(
        socket,
        {
          publish: (message) => services.bus.publish(message),
          bad: (reason, detail) => guard.bad(reason, detail),
          good: () => guard.good(),
        },
        ids,
      );
      return withLogContext(context, () =>
        serveCall({
          services,
          socket,
          inbox,
          ...ids,
          requestedMode: single((request.query as Record<string, unknown>).streaming_mode),
          transport,
          createHandler: (mode, basics) => createHandler(mode, basics, transport),
          log,
        }),
      );
    });
  });
}

/**
 * The ways a call arrives: its audio over ACS media streaming or a browser page's conversation socket, or
 * ACS's transcription of it.
 */
export const mediaRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  for (const kind of [ACS, BROWSER, REALTIME] as TransportKind[])
    callRoute(app, services, kind, (mode, basics, transport) =>
      createCallHandler(mode, { ...basics, transport }),
    );
  callRoute(app, services, ACS_TRANSCRIPTION, (mode, basics, transport) =>
    createTranscriptHandler(mode, { ...basics, transport }),
  );
};
