import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import { errorMessage } from '../errors.ts';
import type { Services } from '../server/services.ts';
import type { Logger } from '../telemetry/logger.ts';
import { createCallHandler, resolveStreamingMode } from './handler-factory.ts';
import type { CallHandler, MediaTransport } from '../transports/transport.ts';

/** Close codes of media sockets. */
export const MEDIA_CLOSE = {
  normal: 1000,
  invalidData: 1007,
  policy: 1008,
  internal: 1011,
  tryAgain: 1013,
  modeUnavailable: 4002,
} as const;

/** Messages that may arrive while the call is being set up (session loading); more is abuse. */
const MAX_EARLY_MESSAGES = 500;
/** Bad messages logged per call in full; after that, every hundredth (all are counted in metrics). */
const LOGGED_BAD_MESSAGES = 5;

/** The ids a media connection carries, resolved from its query, headers and the call → session map. */
export async function resolveCallIds(
  services: Services,
  ids: { callId: string | undefined; sessionId: string | undefined },
): Promise<{ callId: string | undefined; sessionId: string }> {
  const store = services.sessions.store;
  if (ids.sessionId !== undefined) {
    if (ids.callId !== undefined) await store.mapCall(ids.callId, ids.sessionId);
    return { callId: ids.callId, sessionId: ids.sessionId };
  }
  if (ids.callId === undefined) return { callId: undefined, sessionId: randomUUID() };
  // The first connection of a call decides its session; reconnects find it again.
  return { callId: ids.callId, sessionId: await store.mapCall(ids.callId, randomUUID()) };
}

/**
 * Counts malformed messages: each is counted (Prometheus) and logged with the session id, the call goes
 * on, and only a run of `max` bad messages in a row closes the socket with 1007.
 */
export class BadMessageGuard {
  private consecutive = 0;
  private total = 0;
  private readonly options: {
    max: number;
    transport: string;
    services: Services;
    log: Logger;
    close: (reason: string) => void;
  };

  constructor(options: BadMessageGuard['options']) {
    this.options = options;
  }

  bad(reason: string, detail: string): void {
    const { services, transport, log, max } = this.options;
    this.consecutive += 1;
    this.total += 1;
    services.metrics.mediaBadMessages.inc({ transport, reason });
    if (this.total <= LOGGED_BAD_MESSAGES || this.total % 100 === 0) {
      log.warn(
        { reason, detail: detail.slice(0, 200), bad_messages: this.total },
        'bad media message ignored',
      );
    }
    if (this.consecutive > max) {
      this.options.close(`${this.consecutive} malformed messages in a row (last: ${reason})`);
    }
  }

  good(): void {
    this.consecutive = 0;
  }

  get count(): number {
    return this.total;
  }
}

/**
 * Holds a socket's messages from its first moment until the call is ready for them: Fastify hands the
 * socket over before the session is loaded, and a message with no listener would be lost.
 */
export class Inbox {
  private readonly socket: WebSocket;
  private early: [Buffer, boolean][] | undefined = [];
  private dispatch: ((data: Buffer, isBinary: boolean) => void) | undefined;

  constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      if (this.dispatch) this.dispatch(data, isBinary);
      else if (this.early && this.early.push([data, isBinary]) > MAX_EARLY_MESSAGES) {
        this.early = undefined;
        socket.close(MEDIA_CLOSE.policy, 'too many messages before the call was set up');
      }
    });
  }

  /** From now on messages go to `dispatch`, the held ones first, in arrival order. */
  open(dispatch: (data: Buffer, isBinary: boolean) => void): void {
    for (const [data, isBinary] of this.early?.splice(0) ?? []) dispatch(data, isBinary);
    this.dispatch = dispatch;
  }

  get closed(): boolean {
    return this.socket.readyState === this.socket.CLOSED || this.socket.readyState === this.socket.CLOSING;
  }
}

/**
 * Serves one media socket: loads its session, makes the call handler for the session's streaming mode,
 * hands it the socket's messages strictly in arrival order, and closes it when the socket closes.
 */
export async function serveCallSocket(options: {
  services: Services;
  socket: WebSocket;
  inbox: Inbox;
  sessionId: string;
  callId: string | undefined;
  requestedMode: string | undefined;
  transport: MediaTransport;
  log: Logger;
  dispatch: (handler: CallHandler, data: Buffer, isBinary: boolean) => void;
}): Promise<void> {
  const { services, socket, log, inbox } = options;
  let handler: CallHandler | undefined;
  socket.once('close', (code: number) => void handler?.close(`socket closed (${code})`));
  const memo = await services.sessions.load(options.sessionId);
  try {
    const mode = resolveStreamingMode(options.requestedMode, memo, services.config.streamingMode);
    handler = createCallHandler(mode, {
      services,
      memo,
      transport: options.transport,
      callId: options.callId,
      log,
    });
  } catch (err) {
    memo.dispose();
    log.warn({ err: errorMessage(err) }, 'call refused');
    socket.close(MEDIA_CLOSE.modeUnavailable, errorMessage(err).slice(0, 120));
    return;
  }
  if (inbox.closed) {
    await handler.close('socket closed during setup');
    return;
  }
  const ready = handler;
  inbox.open((data, isBinary) => options.dispatch(ready, data, isBinary));
}
