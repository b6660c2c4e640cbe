import type { CallControl } from '../call-context.ts';
import type { Orchestrator } from '../../agents/orchestrator.ts';
import type { SpeechServices } from '../../speech/speech-services.ts';
import type { MemoManager } from '../../state/memo-manager.ts';
import type { Logger } from '../../telemetry/logger.ts';
import type { Transport } from '../../transports/transport.ts';

/** Turn-taking settings (BARGE_IN_MIN_SPEECH_MS, EOU_UNFINISHED_SILENCE_MS, OUTPUT_LEAD_MS, DTMF_INTERDIGIT_MS; EOU_SILENCE_MS sets the pooled VADs). */
export interface MediaSettings {
  /** Caller speech this long while the agent speaks interrupts it; shorter sounds are backchannels. */
  readonly bargeInMinSpeechMs: number;
  /** Silence that ends a turn whose words so far sound unfinished (EOU_SILENCE_MS ends the others). */
  readonly eouUnfinishedSilenceMs: number;
  /** How far ahead of playback agent audio is sent. */
  readonly outputLeadMs: number;
  /** Keypad digits end after this pause (or on #). */
  readonly dtmfInterDigitMs: number;
}

export interface MediaSessionDeps {
  readonly speech: SpeechServices;
  readonly orchestrator: Orchestrator;
  readonly memo: MemoManager;
  readonly transport: Transport;
  readonly settings: MediaSettings;
  readonly log: Logger;
  readonly callId: string | undefined;
  /** Ends a phone call through ACS when the agent ends it; without it, closing the socket ends the call. */
  readonly control?: CallControl | undefined;
  /** Where each turn's latencies go besides the session (Prometheus). */
  readonly observeLatency: (stage: string, ms: number) => void;
}
