import type { Counter, Histogram } from 'prom-client';
import type { Orchestrator } from '../agents/orchestrator.ts';
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
}

/** What every streaming mode's handler is built from. */
export interface CallContext {
  readonly services: CallServices;
  readonly memo: MemoManager;
  readonly transport: Transport;
  readonly callId: string | undefined;
  readonly log: Logger;
}
