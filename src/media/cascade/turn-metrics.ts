import type { MemoManager } from '../../state/memo-manager.ts';
import type { LatencyTool } from './latency-tool.ts';
import type { Publish } from './publisher.ts';

/** What the reports need of a reply. */
interface ReportedReply {
  readonly latency: LatencyTool;
  /** Ends the reply; its metrics payload the first time, undefined after. */
  finish(): Record<string, unknown> | undefined;
}

/** The per-turn figures, in the `metrics` envelope, the session's `turn_metrics` and the turn's span. */
export const TURN_METRICS = [
  'eou_delay_ms',
  'stt_final_ms',
  'agent_first_text_ms',
  'tts_first_audio_ms',
  'voice_to_voice_ms',
  'barge_in_stop_ms',
  'barge_in_played_ms',
  'greeting_ttfb_ms',
  /** Transcription mode: ACS's Final result arrived → the reply's first play was asked of ACS. */
  'final_to_play_ms',
  /** VOICE_LIVE mode: the service began its response → its first audio arrived (the service's TTFB). */
  'service_first_audio_ms',
] as const;

/** Turn metrics kept per session. */
const KEPT = 200;
/** How long an interrupted turn waits for the far end's played mark before its metrics go out. */
const PLAYED_CONFIRMATION_MS = 1000;

/** The `metrics` payload of a turn: every figure, null where it does not apply. */
export function turnMetrics(
  turn: { readonly number: number; readonly interrupted: boolean; readonly greeting: boolean },
  values: Readonly<Record<string, number>>,
): Record<string, unknown> {
  const payload: Record<string, unknown> = {
    turn: turn.number,
    interrupted: turn.interrupted,
    greeting: turn.greeting,
  };
  for (const name of TURN_METRICS) payload[name] = values[name] ?? null;
  return payload;
}

/**
 * Each reply's metrics, published once and kept in the session (the latest 200). An interrupted reply
 * whose far end confirms playback waits (briefly) for the played mark that confirms the flush, which
 * dates `barge_in_played_ms`.
 */
export class TurnReports {
  private readonly memo: MemoManager;
  private readonly publish: Publish;
  private awaiting:
    { readonly reply: ReportedReply; readonly onsetAt: number; readonly timer: NodeJS.Timeout } | undefined;

  constructor(memo: MemoManager, publish: Publish) {
    this.memo = memo;
    this.publish = publish;
  }

  /** Publishes the reply's metrics, unless they already went out. */
  finish(reply: ReportedReply): void {
    const payload = reply.finish();
    if (!payload) return;
    const kept = this.memo.getContext<unknown[]>('turn_metrics') ?? [];
    this.memo.setContext('turn_metrics', [...kept, payload].slice(-KEPT));
    this.publish('metrics', payload);
  }

  /** The reply was interrupted at `onsetAt`: its metrics wait for the next played mark. */
  awaitPlayed(reply: ReportedReply, onsetAt: number): void {
    this.flush();
    const timer = setTimeout(() => this.flush(), PLAYED_CONFIRMATION_MS);
    this.awaiting = { reply, onsetAt, timer };
  }

  /** The far end played up to its stop: the interruption's played figure, then the metrics. */
  played(): void {
    const waiting = this.awaiting;
    if (!waiting) return;
    waiting.reply.latency.record('barge_in_played_ms', performance.now() - waiting.onsetAt);
    this.flush();
  }

  /** Publishes what still waits. */
  flush(): void {
    const waiting = this.awaiting;
    this.awaiting = undefined;
    if (!waiting) return;
    clearTimeout(waiting.timer);
    this.finish(waiting.reply);
  }
}
