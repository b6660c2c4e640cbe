import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { WebSocket } from 'ws';
import { FRAME_MS, samplesPerFrame } from '../../audio/pcm.ts';
import { AcsTransport } from '../../transports/acs/acs-transport.ts';
import { BrowserTransport } from '../../transports/browser/browser-transport.ts';
import {
  BadMessageGuard,
  Inbox,
  MEDIA_CLOSE,
  resolveCallIds,
  serveCallSocket,
} from '../../media/call-socket.ts';
import {
  AcsParseError,
  parseAcsMessage,
  validateAudioFrame,
  type AcsSampleRate,
} from '../../transports/acs/acs-codec.ts';
import {
  BrowserParseError,
  parseBrowserBinary,
  parseBrowserText,
} from '../../transports/browser/browser-codec.ts';
import type { CallHandler, MediaTransport } from '../../transports/transport.ts';
import type { ConnectionInfo } from '../../connections/connection-manager.ts';
import { withLogContext } from '../../telemetry/log-context.ts';
import { forSession, type RoutePolicy } from '../access-policy.ts';
import { single } from '../request-values.ts';
import { SESSION_ID, SESSION_ID_RULE } from '../../state/session.ts';
import type { App } from '../app.ts';
import type { Services } from '../services.ts';
import { acceptWebSocket } from '../websocket.ts';

const ACS_ROUTE = '/api/v1/media/stream';
const CONVERSATION_ROUTE = '/api/v1/realtime/conversation';

/** Closes the socket with 1008 when an id is malformed; true when it did. */
function refuseMalformedIds(socket: WebSocket, ids: Record<string, string | undefined>): boolean {
  for (const [what, id] of Object.entries(ids)) {
    if (id !== undefined && !SESSION_ID.test(id)) {
      socket.close(MEDIA_CLOSE.policy, `${what} must be ${SESSION_ID_RULE}`);
      return true;
    }
  }
  return false;
}

/** Hands one parsed message of a call socket to the call, or reports it to the guard. */
type Dispatch = (handler: CallHandler, data: Buffer, isBinary: boolean) => void;

/** What differs between the two call sockets; everything else is `serveCallRoute`. */
interface CallRoute<T extends MediaTransport> {
  readonly url: string;
  readonly transportName: 'acs' | 'browser';
  /** The ids the connection asks for (query and headers). */
  ids(
    request: FastifyRequest,
    query: Record<string, unknown>,
  ): { callId?: string | undefined; sessionId?: string | undefined };
  /** How the connection is registered: ACS sockets speak only the ACS protocol, so they get no envelopes. */
  connection(ids: { callId: string | undefined; sessionId: string }): ConnectionInfo;
  transport(socket: WebSocket, services: Services): T;
  dispatcher(transport: T, guard: BadMessageGuard): Dispatch;
}

/**
 * Joining a call needs access to its session: a principal scoped to the session asked for, or an
 * unscoped one (which may also start a new session, or let the call → session map pick it).
 */
const joinPolicy = <T extends MediaTransport>(spec: CallRoute<T>): RoutePolicy =>
  forSession((request) => spec.ids(request, request.query as Record<string, unknown>).sessionId);

function serveCallRoute<T extends MediaTransport>(app: App, services: Services, spec: CallRoute<T>): void {
  app.get(spec.url, { websocket: true, config: { access: joinPolicy(spec) } }, async (socket, request) => {
    const query = request.query as Record<string, unknown>;
    const asked = spec.ids(request, query);
    if (refuseMalformedIds(socket, { 'session id': asked.sessionId, 'call connection id': asked.callId }))
      return;
    const inbox = new Inbox(socket);
    const ids = await resolveCallIds(services, { callId: asked.callId, sessionId: asked.sessionId });
    const transport = spec.transport(socket, services);
    acceptWebSocket(services, socket, request, spec.connection(ids), () => {
      const context = {
        session_id: ids.sessionId,
        ...(ids.callId ? { call_connection_id: ids.callId } : {}),
      };
      const log = services.log.child({ ...context, transport: spec.transportName });
      const guard = new BadMessageGuard({
        max: services.config.media.maxBadMessages,
        transport: spec.transportName,
        services,
        log,
        close: (reason) => socket.close(MEDIA_CLOSE.invalidData, reason.slice(0, 120)),
      });
      return withLogContext(context, () =>
        serveCallSocket({
          services,
          socket,
          inbox,
          ...ids,
          requestedMode: single(query.streaming_mode),
          transport,
          log,
          dispatch: spec.dispatcher(transport, guard),
        }),
      );
    });
  });
}

/** ACS media streaming: JSON text frames; metadata first, then 20 ms audio frames and DTMF. */
function acsDispatcher(transport: AcsTransport, guard: BadMessageGuard): Dispatch {
  let rate: AcsSampleRate | undefined;
  let silence: Int16Array | undefined;
  return (handler, data, isBinary) => {
    if (isBinary) return guard.bad('binary_frame', 'ACS media streaming sends JSON text frames only');
    const message = parseAcsMessage(data.toString('utf8'));
    if (message instanceof AcsParseError) return guard.bad(message.reason, message.message);
    if (message.kind === 'metadata') {
      if (rate !== undefined) {
        if (message.sampleRate !== rate) {
          guard.bad('rate_change', `sample rate changed from ${rate} to ${message.sampleRate} mid-call`);
        }
        return;
      }
      guard.good();
      rate = message.sampleRate;
      transport.outputRate = rate;
      void handler.start(rate);
    } else if (message.kind === 'audio') {
      if (rate === undefined) return guard.bad('audio_before_metadata', 'AudioData before AudioMetadata');
      let samples = message.samples;
      if (samples.length === 0) {
        // Blank data is a silent frame (the .NET SDK allows it).
        samples = silence ??= new Int16Array(samplesPerFrame(rate, FRAME_MS));
      } else {
        const problem = validateAudioFrame(samples, rate);
        if (problem) return guard.bad('bad_frame_length', problem);
      }
      guard.good();
      handler.audio(samples);
    } else {
      guard.good();
      handler.dtmf(message.digits);
    }
  };
}

/** The browser: binary 16 kHz mic frames after a `start` message; JSON for marks, typed text and DTMF. */
function browserDispatcher(transport: BrowserTransport, guard: BadMessageGuard): Dispatch {
  let started = false;
  return (handler, data, isBinary) => {
    if (isBinary) {
      const samples = parseBrowserBinary(data);
      if (samples instanceof BrowserParseError) return guard.bad(samples.reason, samples.message);
      if (!started) return guard.bad('audio_before_start', 'audio before the start message');
      guard.good();
      return handler.audio(samples);
    }
    const message = parseBrowserText(data.toString('utf8'));
    if (message instanceof BrowserParseError) return guard.bad(message.reason, message.message);
    guard.good();
    switch (message.type) {
      case 'start':
        if (started) return;
        started = true;
        transport.outputRate = message.sample_rate;
        return void handler.start(16000);
      case 'played':
        transport.played(message.until_ms);
        return handler.played(message.until_ms);
      case 'user_text':
        return handler.text(message.text);
      case 'dtmf':
        return handler.dtmf(message.digits);
    }
  };
}

/** The two ways a call's audio arrives: ACS media streaming, and a browser page's conversation socket. */
export const mediaRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  serveCallRoute(app, services, {
    url: ACS_ROUTE,
    transportName: 'acs',
    ids: (request, query) => ({
      callId: single(query.call_connection_id) ?? single(request.headers['x-ms-call-connection-id']),
      sessionId: single(query.session_id) ?? single(request.headers['x-session-id']),
    }),
    connection: ({ callId }) => ({ clientType: 'media', route: ACS_ROUTE, callId }),
    transport: (socket, { bus }) => new AcsTransport(socket, bus),
    dispatcher: acsDispatcher,
  });

  serveCallRoute(app, services, {
    url: CONVERSATION_ROUTE,
    transportName: 'browser',
    ids: (_request, query) => ({ sessionId: single(query.session_id) }),
    connection: ({ sessionId }) => ({ clientType: 'conversation', route: CONVERSATION_ROUTE, sessionId }),
    transport: (socket, { bus }) => new BrowserTransport(socket, bus),
    dispatcher: browserDispatcher,
  });
};
