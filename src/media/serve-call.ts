import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import { errorMessage } from '../errors.ts';
import type { MemoManager } from '../state/memo-manager.ts';
import type { Logger } from '../telemetry/logger.ts';
import { CALL_CLOSE } from '../transports/close-codes.ts';
import type { Inbox } from '../transports/inbox.ts';
import type { CallLifecycle, CallTransport } from '../transports/transport.ts';
import type { EndReason } from '../agents/tools/tool.ts';
import type { StreamingMode } from '../config/config.ts';
import type { CallBasics, CallServices, HandOverOptions } from './call-context.ts';
import { resolveStreamingMode } from './handler-factory.ts';

/** The ids a call connection carries, resolved from its query, headers and the call → session map. */
export async function resolveCallIds(
  services: Pick<CallServices, 'sessions'>,
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

/** Writes what the call changed to the store (up to 2 s), then lets the session's memory go. */
async function saveSession(memo: MemoManager, log: Logger): Promise<void> {
  try {
    await memo.flush(2000);
  } catch (err) {
    log.warn({ err: errorMessage(err) }, 'session not fully persisted at the end of the call');
  } finally {
    memo.dispose();
  }
}

/**
 * Serves one call socket: loads its session, makes the call handler for the session's streaming mode
 * (`createHandler`: the handler factory for what the transport reads), hands it the socket's messages
 * through the transport strictly in arrival order, and when the socket closes, closes the handler and
 * saves the session.
 */
export async function serveCall<H extends CallLifecycle>(options: {
  services: CallServices;
  socket: WebSocket;
  inbox: Inbox;
  sessionId: string;
  callId: string | undefined;
  requestedMode: string | undefined;
  transport: CallTransport<H>;
  createHandler: (mode: StreamingMode, basics: CallBasics) => H;
  log: Logger;
}): Promise<void> {
  const { services, socket, log, inbox, transport, callId, sessionId } = options;
  let handler: H | undefined;
  const memo = await services.sessions.load(sessionId);
  let ending: Promise<void> | undefined;
  const end = (reason: string) =>
    (ending ??= (async () => {
      detach?.();
      await handler?.close(reason);
      await saveSession(memo, log);
    })());
  // With ACS Call Automation, a call connection is a phone call: ACS ends it, and tells when it ended.
  const telephony = callId !== undefined ? services.telephony : undefined;
  try {
    const mode = resolveStreamingMode(options.requestedMode, memo, services.config.streamingMode);
    const control = telephony && {
      end: (reason: EndReason) => telephony.endByAgent(callId!, sessionId, reason),
      handOver: (why: string, handOver: HandOverOptions) =>
        telephony.handOver(callId!, sessionId, why, handOver),
      media: telephony.media(callId!),
    };
    handler = options.createHandler(mode, { services, memo, callId, log, control });
  } catch (err) {
    memo.dispose();
    log.warn({ err: errorMessage(err) }, 'call refused');
    socket.close(CALL_CLOSE.modeUnavailable, errorMessage(err).slice(0, 120));
    return;
  }
  const ready = handler;
  const detach = telephony?.attach(callId!, {
    farewell: (message) => ready.farewell(message),
    // The call is over even if the socket never closes: end the handler now, then close the socket.
    terminate: async (reason) => {
      await end(reason);
      transport.close(CALL_CLOSE.normal, reason.slice(0, 120));
    },
    event: (event) => ready.callEvent?.(event),
  });
  if (inbox.closed) return end('socket closed during setup');
  socket.once('close', (code: number) => void end(`socket closed (${code})`));
  inbox.open((data, isBinary) => transport.receive(ready, data, isBinary));
}
