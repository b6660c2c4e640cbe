import type { VoiceSelection } from '../../agents/voices.ts';
import { errorMessage } from '../../errors.ts';
import type { CallEvent } from '../../calls/call-events.ts';
import type { Logger } from '../../telemetry/logger.ts';
import type { SentenceOutput } from '../cascade/agent-reply.ts';
import type { SentenceToSpeak } from '../cascade/speech-output.ts';
import type { CallMedia } from '../call-context.ts';

/** How long a cancelled play may take to report how it ended before it counts as unheard. */
const CANCEL_SETTLE_MS = 1000;
/** How long a play may go without a callback before it counts as failed (ACS lost it). */
const PLAY_TIMEOUT_MS = 60_000;

type Outcome = 'completed' | 'canceled' | 'failed';

interface QueuedSentence {
  readonly sentence: SentenceToSpeak;
  readonly turn: number;
  readonly voice: VoiceSelection;
  readonly signal: AbortSignal;
  readonly onAudio: ((requestedAt: number) => void) | undefined;
  readonly settled: (outcome: Outcome) => void;
  /** Played once already with the agent's voice, and failed: this is the retry in ACS's default voice. */
  retry?: boolean;
}

interface InFlight {
  readonly item: QueuedSentence;
  readonly operationContext: string;
  readonly requestedAt: number;
  readonly timer: NodeJS.Timeout;
  started: boolean;
}

/** What the queue tells its call. */
export interface PlayQueueEvents {
  /** A play of `turn` was asked of ACS. */
  requested(turn: number): void;
  /** ACS began playing a sentence of `turn` (PlayStarted): the caller hears the agent. */
  started(turn: number): void;
  /** A sentence could not be played, even in ACS's default voice: the caller cannot hear the agent. */
  failed(detail: string): void;
}

/**
 * The agent's sentences, spoken by ACS one at a time (`play` with the agent's voice): the next is asked for
 * when ACS reports the one before completed, failed or cancelled. It keeps which sentences the caller
 * heard in full, so an interrupted reply keeps exactly those (a cancelled play keeps none of its words).
 */
export class PlayQueue {
  private readonly media: CallMedia;
  private readonly events: PlayQueueEvents;
  private readonly log: Logger;
  private readonly prefix: string;
  private readonly waiting: QueuedSentence[] = [];
  private inFlight: InFlight | undefined;
  private sequence = 0;
  /** Per turn, where the last sentence played in full ends in the turn's spoken text. */
  private readonly heardUpTo = new Map<number, number>();
  private cancelled: { settle: () => void } | undefined;
  private closed = false;

  constructor(options: { media: CallMedia; events: PlayQueueEvents; log: Logger; prefix: string }) {
    this.media = options.media;
    this.events = options.events;
    this.log = options.log;
    this.prefix = options.prefix;
  }

  /** Whether ACS is playing, or has sentences to play. */
  get busy(): boolean {
    return this.inFlight !== undefined || this.waiting.length > 0;
  }

  /** One reply's output: its sentences join the queue; `done` resolves once each has been played or dropped. */
  output(): SentenceOutput {
    const outcomes: Promise<Outcome>[] = [];
    return {
      say: (sentence, turn, voice, signal, onAudio) => {
        outcomes.push(
          new Promise<Outcome>((settled) => {
            this.waiting.push({ sentence, turn, voice, signal, onAudio, settled });
            this.pump();
          }),
        );
      },
      done: async () => {
        await Promise.all(outcomes);
      },
    };
  }

  /** Characters of `turn`'s spoken text the caller heard in full sentences. */
  heard(turn: number): number {
    return this.heardUpTo.get(turn) ?? 0;
  }

  /**
   * Barge-in: drops the queued sentences and asks ACS to stop playing. Resolves once ACS reported how the
   * play in progress ended (or after a second), so `heard` counts a sentence that completed meanwhile.
   */
  async cancel(): Promise<void> {
    for (const item of this.waiting.splice(0)) item.settled('canceled');
    const playing = this.inFlight;
    if (!playing) return;
    const settled = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, CANCEL_SETTLE_MS);
      this.cancelled = {
        settle: () => {
          clearTimeout(timer);
          resolve();
        },
      };
    });
    await this.media.cancelAll().catch((err: unknown) => {
      this.log.warn({ err: errorMessage(err) }, 'cancelling the play failed');
    });
    await settled;
    // Still unreported: count it as unheard and move on.
    if (this.inFlight === playing) this.finish(playing, 'canceled');
  }

  /** An ACS callback: the outcome of the play in progress. */
  callEvent(event: CallEvent): void {
    const playing = this.inFlight;
    if (!playing || event.data['operationContext'] !== playing.operationContext) return;
    switch (event.type) {
      case 'PlayStarted':
        if (!playing.started) {
          playing.started = true;
          playing.item.onAudio?.(playing.requestedAt);
          this.events.started(playing.item.turn);
        }
        return;
      case 'PlayCompleted':
        this.heardUpTo.set(
          playing.item.turn,
          Math.max(this.heard(playing.item.turn), playing.item.sentence.end),
        );
        return this.finish(playing, 'completed');
      case 'PlayCanceled':
        return this.finish(playing, 'canceled');
      case 'PlayFailed':
        return this.failed(playing, resultOf(event));
      default:
        return;
    }
  }

  close(): void {
    this.closed = true;
    for (const item of this.waiting.splice(0)) item.settled('canceled');
    if (this.inFlight) this.finish(this.inFlight, 'canceled');
  }

  private finish(playing: InFlight, outcome: Outcome): void {
    clearTimeout(playing.timer);
    if (this.inFlight === playing) this.inFlight = undefined;
    playing.item.settled(outcome);
    if (this.cancelled) {
      this.cancelled.settle();
      this.cancelled = undefined;
    }
    this.pump();
  }

  /** A play failed: the sentence is tried once more in ACS's default voice, then the call is told. */
  private failed(playing: InFlight, detail: string): void {
    clearTimeout(playing.timer);
    if (this.inFlight === playing) this.inFlight = undefined;
    const { item } = playing;
    this.log.warn({ detail, retry: item.retry === true }, 'ACS could not play a sentence');
    if (!item.retry && !item.signal.aborted && !this.closed) {
      item.retry = true;
      this.waiting.unshift(item);
      return this.pump();
    }
    item.settled('failed');
    for (const rest of this.waiting.splice(0)) rest.settled('failed');
    this.events.failed(detail);
  }

  private pump(): void {
    if (this.inFlight || this.closed) return;
    let item = this.waiting.shift();
    while (item?.signal.aborted) {
      item.settled('canceled');
      item = this.waiting.shift();
    }
    if (!item) return;
    this.sequence += 1;
    const operationContext = `${this.prefix}:${this.sequence}`;
    const playing: InFlight = {
      item,
      operationContext,
      requestedAt: performance.now(),
      started: false,
      timer: setTimeout(() => this.failed(playing, 'no callback from ACS'), PLAY_TIMEOUT_MS),
    };
    this.inFlight = playing;
    this.events.requested(item.turn);
    const voice = item.retry ? { ...item.voice, voice: undefined, style: undefined, rate: 1 } : item.voice;
    this.media.play({ text: item.sentence.text, voice, operationContext }).catch((err: unknown) => {
      if (this.inFlight === playing) this.failed(playing, `play request refused: ${errorMessage(err)}`);
    });
  }
}

function resultOf(event: CallEvent): string {
  const info = event.data['resultInformation'] as
    { code?: number; subCode?: number; message?: string } | undefined;
  return info ? `${info.code ?? '?'}/${info.subCode ?? '?'} ${info.message ?? ''}`.trim() : event.type;
}
