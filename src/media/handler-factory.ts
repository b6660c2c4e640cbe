import type { StreamingMode } from '../config/config.ts';
import { RtvoiceError } from '../errors.ts';
import type { MemoManager } from '../state/memo-manager.ts';
import { CALL_RECORD_KEY, type CallRecord } from '../calls/call-records.ts';
import type { CallHandler, TranscriptHandler } from '../transports/transport.ts';
import type { CallContext, TranscriptContext, TranscriptionVariant } from './call-context.ts';
import { MediaSession } from './cascade/media-session.ts';
import { VoiceLiveSession } from './voice-live/voice-live-session.ts';
import { LiveTranscript } from './transcription/live-transcript.ts';
import { TranscriptionSession } from './transcription/transcription-session.ts';

/** Why a call cannot be served in a mode; the socket closes with this reason. */
export class HandlerUnavailableError extends RtvoiceError {
  constructor(message: string) {
    super('HANDLER_UNAVAILABLE', message);
  }
}

/** What a mode's handler reads: the caller's audio, or ACS's transcription of the call. */
type Input = 'audio' | 'transcript';

interface ModeHandlers {
  readonly audio?: (context: CallContext) => CallHandler;
  readonly transcript?: (context: TranscriptContext) => TranscriptHandler;
}

/**
 * The handlers of each streaming mode (the seed's handler factory), by what they read. Routes only ever
 * call `createCallHandler` or `createTranscriptHandler`; a new mode is one more entry here.
 */
const HANDLERS: Readonly<Record<StreamingMode, ModeHandlers>> = {
  media: {
    audio: ({ services, memo, transport, callId, log, control }) => {
      if (!services.speech) {
        throw new HandlerUnavailableError(
          'media mode needs the speech stack, which is not installed (run rtvoice doctor)',
        );
      }
      return new MediaSession({
        speech: services.speech,
        orchestrator: services.orchestrator,
        memo,
        transport,
        callId,
        log,
        control,
        settings: services.config.media,
        observeLatency: latencyObserver(services),
      });
    },
  },
  transcription: {
    transcript: (context) => {
      const { control, services, memo } = context;
      const record = memo.getContext<CallRecord>(CALL_RECORD_KEY);
      if (!control || context.callId === undefined || record?.callId !== context.callId)
        throw new HandlerUnavailableError(
          `transcription mode serves phone calls that rtvoice answered or placed; call ${context.callId ?? '(none)'} is not one of them`,
        );
      const variant = transcriptionVariant(memo, services.config.transcriptionVariant);
      if (variant === 'listen') return new LiveTranscript(context);
      return new TranscriptionSession({
        ...context,
        control,
        callId: context.callId,
        orchestrator: services.orchestrator,
        settings: services.config.media,
        observeLatency: latencyObserver(services),
      });
    },
  },
  voice_live: {
    audio: (context) => {
      const { services } = context;
      const service = services.config.voiceLive;
      const sessions = services.voiceLiveSessions;
      if (!service || !sessions) throw new HandlerUnavailableError(VOICE_LIVE_UNCONFIGURED);
      return new VoiceLiveSession({
        ...context,
        service,
        sessions,
        orchestrator: services.orchestrator,
        settings: services.config.media,
        observeLatency: latencyObserver(services),
      });
    },
  },
};

const VOICE_LIVE_UNCONFIGURED =
  'voice_live mode needs VOICE_LIVE_URL: a realtime service (Azure Voice Live, Azure OpenAI, OpenAI, or another rtvoice at ws://host:port/v1/realtime)';

/** Where each turn's latencies go besides the session: the Prometheus histogram, in seconds. */
function latencyObserver(services: CallContext['services']): (stage: string, ms: number) => void {
  const histogram = services.metrics.turnLatency;
  return (stage, ms) => histogram.observe({ stage }, ms / 1000);
}

const MODES = Object.keys(HANDLERS) as StreamingMode[];

/** The route each input comes in on, for errors that send a call to the right one. */
const INPUT_ROUTES: Readonly<Record<Input, string>> = {
  audio: 'the media socket (/api/v1/media/stream) or a browser conversation',
  transcript: "ACS's transcription socket (/api/v1/media/transcription)",
};

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

/** A call's transcription variant: stored with the call (placed with one), else the server's. */
function transcriptionVariant(memo: MemoManager, fallback: TranscriptionVariant): TranscriptionVariant {
  const stored = memo.getContext<string>('transcription_variant');
  return stored === 'agent' || stored === 'listen' ? stored : fallback;
}

function handlerOf<I extends Input>(mode: StreamingMode, input: I): NonNullable<ModeHandlers[I]> {
  const handler = HANDLERS[mode][input];
  if (handler) return handler;
  const other: Input = input === 'audio' ? 'transcript' : 'audio';
  throw new HandlerUnavailableError(`${mode} mode calls come in on ${INPUT_ROUTES[other]}`);
}

export function createCallHandler(mode: StreamingMode, context: CallContext): CallHandler {
  return handlerOf(mode, 'audio')(context);
}

export function createTranscriptHandler(mode: StreamingMode, context: TranscriptContext): TranscriptHandler {
  return handlerOf(mode, 'transcript')(context);
}
