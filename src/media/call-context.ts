import type { Counter, Histogram } from 'prom-client';
import type { Orchestrator } from '../agents/orchestrator.ts';
import type { EndReason } from '../agents/tools/tool.ts';
import type { StreamingMode, VoiceLiveConfig } from '../config/config.ts';
import type { Bus } from '../connections/bus.ts';
import type { SpeechServices } from '../speech/speech-services.ts';
import type { MemoManager } from '../state/memo-manager.ts';
import type { SessionStore } from '../state/session-store.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { VoiceSelection } from '../agents/voices.ts';
import type { CallEvent } from '../calls/call-events.ts';
import type { TranscriptionTransport } from '../transports/acs-transcription/transcription-transport.ts';
import type { RealtimeService } from './voice-live/realtime-service.ts';
import type { Transport } from '../transports/transport.ts';
import type { MediaSettings } from './cascade/session-deps.ts';

/** What calls need of the server, and nothing more: the server's services fit it as they are. */
export interface CallServices {
  readonly config: {
    readonly streamingMode: StreamingMode;
    readonly media: MediaSettings & { readonly maxBadMessages: number };
    /** TRANSCRIPTION_VARIANT: what a call in transcription mode does unless it asks otherwise. */
    readonly transcriptionVariant: TranscriptionVariant;
    /** The realtime service of `voice_live` mode (VOICE_LIVE_URL). */
    readonly voiceLive: VoiceLiveConfig | undefined;
  };
  /** Undefined when the machine lacks the speech stack: calls that need it are refused. */
  readonly speech: SpeechServices | undefined;
  readonly orchestrator: Orchestrator;
  readonly sessions: {
    readonly store: SessionStore;
    load(sessionId: string): Promise<MemoManager>;
  };
  readonly bus: Bus;
  readonly metrics: {
    readonly mediaBadMessages: Counter<'transport' | 'reason'>;
    readonly turnLatency: Histogram<'stage'>;
  };
  readonly log: Logger;
  /** voice_live mode's service sessions connected ahead; undefined without VOICE_LIVE_URL. */
  readonly voiceLiveSessions?: VoiceLiveSessions | undefined;
  /** Phone calls (ACS Call Automation); undefined without ACS. */
  readonly telephony?: CallTelephony | undefined;
}

/** `agent` answers the caller; `listen` only transcribes (calls between people: captions, notes). */
export type TranscriptionVariant = 'agent' | 'listen';

/** What a call's handler needs of telephony: to be reachable while it runs, and to end the phone call. */
export interface CallTelephony {
  attach(callId: string, link: MediaLink): () => void;
  endByAgent(callId: string, sessionId: string, reason: EndReason): Promise<void>;
  handOver(callId: string, sessionId: string, why: string, options: HandOverOptions): Promise<void>;
  media(callId: string): CallMedia;
}

export interface HandOverOptions {
  /** ACS can still play: the caller hears why before the transfer. */
  readonly apologize: boolean;
  /** The agent's voice for the apology. */
  readonly voice?: VoiceSelection | undefined;
}

/** ACS's own media operations on a phone call: it speaks (text to speech) and recognises for rtvoice. */
export interface CallMedia {
  /** Asks ACS to speak `text` to everyone on the call; PlayStarted/Completed/Failed/Canceled follow. */
  play(request: PlayRequest): Promise<void>;
  /** Stops what ACS plays and drops its queued plays (PlayCanceled follows). */
  cancelAll(): Promise<void>;
  /** Switches the recognition language (an agent handed off to another language). */
  updateTranscription(locale: string): Promise<void>;
  startTranscription(locale: string): Promise<void>;
  stopTranscription(): Promise<void>;
  /** Reports the keys this phone presses (ContinuousDtmfRecognitionToneReceived callbacks). */
  startContinuousDtmf(phoneNumber: string): Promise<void>;
}

export interface PlayRequest {
  readonly text: string;
  /** Resolved for Azure (ACS speaks with Azure neural voices); ACS's default voice when undefined. */
  readonly voice?: VoiceSelection | undefined;
  /** Comes back in the play's callbacks. */
  readonly operationContext: string;
}

/** A call's live media handler, as telephony reaches it on this instance. */
export interface MediaLink {
  /** Says `message`, then ends the call. */
  farewell(message: string): void;
  /** Ends the handler now and releases everything (the call is over). */
  terminate(reason: string): Promise<void>;
  /** An ACS callback about the call, for the handler (plays, transcription). */
  event(event: CallEvent): void;
}

/** How the agent ends a phone call: ACS hangs up or transfers it (a socket alone is just closed). */
export interface CallControl {
  end(reason: EndReason): Promise<void>;
  /**
   * rtvoice can no longer hear or speak to the caller: they hear why (`apologize`), then go to a person
   * (ACS_TRANSFER_NUMBER), or the call ends. Never a silent line.
   */
  handOver(why: string, options: HandOverOptions): Promise<void>;
  /** ACS's media operations on the call. */
  readonly media: CallMedia;
}

/** What every streaming mode's handler is built from, whatever its transport. */
export interface CallBasics {
  readonly services: CallServices;
  readonly memo: MemoManager;
  readonly callId: string | undefined;
  readonly log: Logger;
  /** Set for a phone call rtvoice answered or placed. */
  readonly control?: CallControl | undefined;
}

/** A call whose caller's audio comes over the socket (ACS media streaming, a browser page). */
export interface CallContext extends CallBasics {
  readonly transport: Transport;
}

/** A call that ACS transcribes, over its transcription socket. */
export interface TranscriptContext extends CallBasics {
  readonly transport: TranscriptionTransport;
}

/** Realtime service sessions for voice_live calls: connected ahead, or on demand. */
export interface VoiceLiveSessions {
  take(signal: AbortSignal): Promise<RealtimeService>;
}
