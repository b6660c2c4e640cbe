import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { WebSocket } from 'ws';
import { mayAccessSession } from '../../auth/access.ts';
import { FRAME_MS, samplesPerFrame } from '../../audio/pcm.ts';
import { AcsTransport } from '../../media/acs-transport.ts';
import { BrowserTransport } from '../../media/browser-transport.ts';
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
} from '../../media/protocol/acs.ts';
import { BrowserParseError, parseBrowserBinary, parseBrowserText } from '../../media/protocol/browser.ts';
import { withLogContext } from '../../telemetry/log-context.ts';
import { requestAccess } from '../request-access.ts';
import type { Services } from '../services.ts';
import { acceptWebSocket } from '../websocket.ts';

const ACS_ROUTE = '/api/v1/media/stream';
const CONVERSATION_ROUTE = '/api/v1/realtime/conversation';
const SESSION_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

function single(value: unknown): string | undefined {
  const first = Array.isArray(value) ? (value[0] as unknown) : value;
  return typeof first === 'string' && first !== '' ? first : undefined;
}

/** Refuses the socket when the request may not join `sessionId`; true when refused. */
function refuse(
  services: Services,
  socket: WebSocket,
  request: FastifyRequest,
  sessionId: string | undefined,
  token: string | undefined,
): boolean {
  for (const [what, id] of [
    ['session id', sessionId],
    ['call connection id', single((request.query as Record<string, unknown>).call_connection_id)],
  ] as const) {
    if (id !== undefined && !SESSION_ID.test(id)) {
      socket.close(MEDIA_CLOSE.policy, `${what} must be 1-128 letters, digits, "_", ".", ":" or "-"`);
      return true;
    }
  }
  const access = requestAccess(services, request, token);
  const reason =
    access.kind === 'none'
      ? access.reason
      : access.kind === 'all' || (sessionId !== undefined && mayAccessSession(access, sessionId))
        ? undefined
        : 'not authorized for this session';
  if (reason) socket.close(MEDIA_CLOSE.unauthorized, reason.slice(0, 120));
  return reason !== undefined;
}

/** The two ways a call's audio arrives: ACS media streaming, and a browser page's conversation socket. */
export const mediaRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  const maxBad = services.config.media.maxBadMessages;

  app.get(ACS_ROUTE, { websocket: true }, async (socket, request) => {
    const query = request.query as Record<string, unknown>;
    const requestedSession = single(query.session_id) ?? single(request.headers['x-session-id']);
    if (refuse(services, socket, request, requestedSession, single(query.token))) return;
    const inbox = new Inbox(socket);
    const ids = await resolveCallIds(services, {
      callId: single(query.call_connection_id) ?? single(request.headers['x-ms-call-connection-id']),
      sessionId: requestedSession,
    });
    const transport = new AcsTransport(socket, services.bus);
    acceptWebSocket(
      services,
      socket,
      request,
      { clientType: 'media', route: ACS_ROUTE, callId: ids.callId },
      () => {
        const log = services.log.child({
          session_id: ids.sessionId,
          call_connection_id: ids.callId,
          transport: 'acs',
        });
        const guard = new BadMessageGuard({
          max: maxBad,
          transport: 'acs',
          services,
          log,
          close: (reason) => socket.close(MEDIA_CLOSE.invalidData, reason.slice(0, 120)),
        });
        let rate: AcsSampleRate | undefined;
        const silence = new Map<number, Int16Array>();
        return withLogContext({ session_id: ids.sessionId, call_connection_id: ids.callId }, () =>
          serveCallSocket({
            services,
            socket,
            inbox,
            ...ids,
            requestedMode: single(query.streaming_mode),
            transport,
            log,
            dispatch: (handler, data, isBinary) => {
              if (isBinary)
                return guard.bad('binary_frame', 'ACS media streaming sends JSON text frames only');
              const message = parseAcsMessage(data.toString('utf8'));
              if (message instanceof AcsParseError) return guard.bad(message.reason, message.message);
              if (message.kind === 'metadata') {
                if (rate !== undefined) {
                  if (message.sampleRate !== rate)
                    guard.bad(
                      'rate_change',
                      `sample rate changed from ${rate} to ${message.sampleRate} mid-call`,
                    );
                  return;
                }
                guard.good();
                rate = message.sampleRate;
                transport.outputRate = rate;
                void handler.start(rate);
              } else if (message.kind === 'audio') {
                if (rate === undefined)
                  return guard.bad('audio_before_metadata', 'AudioData before AudioMetadata');
                let samples = message.samples;
                if (samples.length === 0) {
                  samples = silence.get(rate) ?? new Int16Array(samplesPerFrame(rate, FRAME_MS));
                  silence.set(rate, samples);
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
            },
          }),
        );
      },
    );
  });

  app.get(CONVERSATION_ROUTE, { websocket: true }, async (socket, request) => {
    const query = request.query as Record<string, unknown>;
    const requestedSession = single(query.session_id);
    if (refuse(services, socket, request, requestedSession, single(query.token))) return;
    const inbox = new Inbox(socket);
    const ids = await resolveCallIds(services, { callId: undefined, sessionId: requestedSession });
    const transport = new BrowserTransport(socket, services.bus);
    acceptWebSocket(
      services,
      socket,
      request,
      { clientType: 'conversation', route: CONVERSATION_ROUTE, sessionId: ids.sessionId },
      () => {
        const log = services.log.child({ session_id: ids.sessionId, transport: 'browser' });
        const guard = new BadMessageGuard({
          max: maxBad,
          transport: 'browser',
          services,
          log,
          close: (reason) => socket.close(MEDIA_CLOSE.invalidData, reason.slice(0, 120)),
        });
        let started = false;
        return withLogContext({ session_id: ids.sessionId }, () =>
          serveCallSocket({
            services,
            socket,
            inbox,
            ...ids,
            requestedMode: single(query.streaming_mode),
            transport,
            log,
            dispatch: (handler, data, isBinary) => {
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
            },
          }),
        );
      },
    );
  });
};
