import type { Counter, Histogram } from 'prom-client';
import type { Orchestrator } from '../agents/orchestrator.ts';
import type { EndReason } from '../agents/tools/tool.ts';
import type { StreamingMode } from '../config/config.ts';
import type { Bus } from '../connections/bus.ts';
import type { SpeechServices } from '../speech/speech-services.ts';
import type { MemoManager } from '../state/memo-manager.ts';
import type { SessionStore } from '../state/session-store.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { Transport } from '../transports/transport.ts';
import type { MediaSettings } from './cascade/session-deps.ts';

/** What calls need of the server, and nothing more: the server's services fit it as they are. */
export interface CallServices {
  readonly config: {
    readonly streamingMode: StreamingMode;
    readonly media: MediaSettings & { readonly maxBadMessages: number };
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
  /** Phone calls (ACS Call Automation); undefined without ACS. */
  readonly telephony?: CallTelephony | undefined;
}

/** What a call's handler needs of telephony: to be reachable while it runs, and to end the phone call. */
export interface CallTelephony {
  attach(callId: string, link: MediaLink): () => void;
  endByAgent(callId: string, sessionId: string, reason: EndReason): Promise<void>;
}

/** A call's live media handler, as telephony reaches it on this instance. */
export interface MediaLink {
  /** Says `message`, then ends the call. */
  farewell(message: string): void;
  /** Ends the handler now and releases everything (the call is over). */
  terminate(reason: string): Promise<void>;
}

/** How the agent ends a phone call: ACS hangs up or transfers it (a socket alone is just closed). */
export interface CallControl {
  end(reason: EndReason): Promise<void>;
}

/** What every streaming mode's handler is built from. */
export interface CallContext {
  readonly services: CallServices;
  readonly memo: MemoManager;
  readonly transport: Transport;
  readonly callId: string | undefined;
  readonly log: Logger;
  /** Set for a phone call rtvoice answered or placed. */
  readonly control?: CallControl | undefined;
}
