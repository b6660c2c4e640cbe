import type { StreamingMode } from '../config/config.ts';
import { RtvoiceError } from '../errors.ts';
import type { MemoManager } from '../state/memo-manager.ts';
import type { CallHandler } from '../transports/transport.ts';
import type { CallContext } from './call-context.ts';
import { MediaSession } from './cascade/media-session.ts';

/** Why a call cannot be served in a mode; the socket closes with this reason. */
export class HandlerUnavailableError extends RtvoiceError {
  constructor(message: string) {
    super('HANDLER_UNAVAILABLE', message);
  }
}

type HandlerFactory = (context: CallContext) => CallHandler;

/**
 * One handler per streaming mode (the seed's handler factory). Transports only ever call
 * `createCallHandler`; a new mode is one more entry here.
 */
const FACTORIES: Readonly<Record<StreamingMode, HandlerFactory | undefined>> = {
  media: ({ services, memo, transport, callId, log, control }) => {
    if (!services.speech) {
      throw new HandlerUnavailableError(
        'media mode needs the speech stack, which is not installed (run rtvoice doctor)',
      );
    }
    const histogram = services.metrics.turnLatency;
    return new MediaSession({
      speech: services.speech,
      orchestrator: services.orchestrator,
      memo,
      transport,
      callId,
      log,
      control,
      settings: services.config.media,
      observeLatency: (stage, ms) => histogram.observe({ stage }, ms / 1000),
    });
  },
  transcription: undefined,
  voice_live: undefined,
};

const MODES = Object.keys(FACTORIES) as StreamingMode[];

function isMode(mode: string): mode is StreamingMode {
  return (MODES as string[]).includes(mode);
}

/**
 * The mode of a call: asked for on this connection (stored with the call, so a reconnect keeps it), else
 * stored with the call earlier, else the server's ACS_STREAMING_MODE.
 */
export function resolveStreamingMode(
  requested: string | undefined,
  memo: MemoManager,
  fallback: StreamingMode,
): StreamingMode {
  if (requested !== undefined) {
    if (!isMode(requested))
      throw new HandlerUnavailableError(`unknown streaming mode "${requested}"; modes: ${MODES.join(', ')}`);
    memo.setContext('streaming_mode', requested);
    return requested;
  }
  const stored = memo.getContext<string>('streaming_mode');
  return stored !== undefined && isMode(stored) ? stored : fallback;
}

/** Why calls in `mode` cannot be served by this version; undefined when they can. */
export function streamingModeProblem(mode: StreamingMode): string | undefined {
  return FACTORIES[mode] ? undefined : `streaming mode "${mode}" is not available in this version; use media`;
}

export function createCallHandler(mode: StreamingMode, context: CallContext): CallHandler {
  const factory = FACTORIES[mode];
  if (!factory) throw new HandlerUnavailableError(streamingModeProblem(mode)!);
  return factory(context);
}
