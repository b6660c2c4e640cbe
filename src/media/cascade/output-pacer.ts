import { Framer } from '../../audio/framer.ts';
import { FRAME_MS, type Pcm16 } from '../../audio/pcm.ts';
import { sharedPacingClock, type PacingClock, type PacingListener } from '../../audio/pacing-clock.ts';

/** What a piece of agent audio says: a range of its turn's spoken text. */
export interface SpokenRange {
  readonly turn: number;
  readonly textStart: number;
  readonly textEnd: number;
}

/** A range of the output stream (milliseconds of audio sent) and the text it carries. */
interface Span extends SpokenRange {
  readonly outStart: number;
  readonly outEnd: number;
}

interface QueuedFrame {
  readonly samples: Pcm16;
  readonly turn: number;
}

export interface OutputPacerOptions {
  readonly sampleRate: number;
  /** How far ahead of the far end's playback audio is sent: enough to ride out jitter, small enough to stop fast. */
  readonly leadMs: number;
  readonly send: (frame: Pcm16, turn: number) => void;
  readonly clock?: PacingClock;
  readonly now?: () => number;
}

/**
 * Sends agent audio in exact 20 ms frames at real-time pace, a little ahead of the far end's playback,
 * and keeps the far end's playback clock: at any moment it knows how much of the output stream has
 * been played and so which text the caller has heard. Holding it (the caller may be barging in) stops
 * sending at once; clearing it drops everything not yet sent.
 */
export class OutputPacer implements PacingListener {
  private readonly options: OutputPacerOptions;
  private readonly framer: Framer;
  private readonly now: () => number;
  private readonly queue: QueuedFrame[] = [];
  private spans: Span[] = [];
  /** Milliseconds of audio enqueued so far: where the next enqueued audio starts in the output stream. */
  private enqueuedMs = 0;
  /** Milliseconds of audio sent so far. */
  private sentMs = 0;
  /** The current run of continuous playback: where it starts in the output stream and on the clock. */
  private run = { outStart: 0, wallStart: 0 };
  /** When the far end will have played everything sent. */
  private playbackEnd = 0;
  private held = false;
  private pendingTurn = 0;
  private stopListening: (() => void) | undefined;
  private drainedWaiters: (() => void)[] = [];

  constructor(options: OutputPacerOptions) {
    this.options = options;
    this.framer = new Framer(options.sampleRate);
    this.now = options.now ?? (() => performance.now());
  }

  /** Queues audio at the output rate; its frames go out as the pace allows. */
  enqueue(samples: Pcm16, speech: SpokenRange): void {
    if (samples.length === 0) return;
    const ms = (samples.length * 1000) / this.options.sampleRate;
    const last = this.spans.at(-1);
    if (
      last?.turn === speech.turn &&
      last.textStart === speech.textStart &&
      last.textEnd === speech.textEnd
    ) {
      // More audio of the same sentence (a streaming synthesizer): its text spreads over all of it.
      this.spans[this.spans.length - 1] = { ...last, outEnd: this.enqueuedMs + ms };
    } else {
      this.spans.push({ ...speech, outStart: this.enqueuedMs, outEnd: this.enqueuedMs + ms });
    }
    this.enqueuedMs += ms;
    this.pendingTurn = speech.turn;
    for (const frame of this.framer.push(samples))
      this.queue.push({ samples: frame.samples, turn: speech.turn });
    this.pump();
  }

  /** The turn's audio is complete: its last partial frame goes out, padded with silence. */
  endOfTurn(): void {
    const tail = this.framer.flush();
    if (!tail) return;
    this.enqueuedMs += FRAME_MS - (tail.validSamples * 1000) / this.options.sampleRate;
    this.queue.push({ samples: tail.samples, turn: this.pendingTurn });
    this.pump();
  }

  /** Stops sending (what was sent keeps playing) until `resume` or `clear`. */
  hold(): void {
    this.held = true;
  }

  resume(): void {
    this.held = false;
    this.pump();
  }

  get isHeld(): boolean {
    return this.held;
  }

  /**
   * The far end flushed its queue (StopAudio / audio_stop): nothing more of what was sent plays, and
   * nothing queued is sent. Returns the output-stream position playback stopped at.
   */
  clear(): number {
    const stoppedAt = this.playedMs();
    this.queue.length = 0;
    this.framer.flush();
    this.enqueuedMs = this.sentMs;
    // What was sent stays mapped to its words: a far end may later say how much of it it played.
    this.spans = this.spans.filter((span) => span.outStart < this.sentMs);
    this.playbackEnd = this.now();
    this.run = { outStart: this.sentMs, wallStart: this.playbackEnd };
    this.held = false;
    this.settle();
    return stoppedAt;
  }

  /** Milliseconds of the output stream the far end has played by now, by the playback clock. */
  playedMs(): number {
    return Math.min(this.sentMs, this.run.outStart + Math.max(0, this.now() - this.run.wallStart));
  }

  /** Milliseconds of the output stream queued so far: where the next enqueued audio will start. */
  get queuedPosition(): number {
    return this.enqueuedMs;
  }

  /** Milliseconds of the output stream sent so far (the position the far end jumps to after a stop). */
  get sentPosition(): number {
    return this.sentMs;
  }

  /** Characters of `turn`'s spoken text heard once the output stream played up to `playedMs`. */
  heardChars(turn: number, playedMs = this.playedMs()): number {
    let heard = 0;
    for (const span of this.spans) {
      if (span.turn !== turn || span.outStart >= playedMs) continue;
      const fraction = Math.min(1, (playedMs - span.outStart) / (span.outEnd - span.outStart));
      heard = Math.max(heard, span.textStart + Math.floor(fraction * (span.textEnd - span.textStart)));
    }
    return heard;
  }

  /**
   * The caller interrupted: how much of `turn` they heard (by the far end's confirmed position, when it
   * confirms one, capped by the playback clock), whether any audio was still queued or playing, and
   * everything unsent dropped.
   */
  interrupt(
    turn: number | undefined,
    confirmedPlayedMs: number | undefined,
  ): { heard: number; hadAudio: boolean } {
    const clock = this.playedMs();
    const heard = turn === undefined ? 0 : this.heardChars(turn, Math.min(confirmedPlayedMs ?? clock, clock));
    const hadAudio = !this.idle;
    this.clear();
    return { heard, hadAudio };
  }

  /** Whether everything sent has played and nothing waits to be sent. */
  get idle(): boolean {
    return this.queue.length === 0 && this.framer.buffered === 0 && this.now() >= this.playbackEnd;
  }

  /** Resolves once the pacer is idle (all audio played). */
  drained(): Promise<void> {
    if (this.idle) return Promise.resolve();
    this.listen();
    return new Promise((resolve) => this.drainedWaiters.push(resolve));
  }

  onTick(): void {
    this.pump();
  }

  /** Stops the clock and drops everything; pending drained() waits resolve. */
  close(): void {
    this.queue.length = 0;
    this.framer.flush();
    this.playbackEnd = 0;
    this.stopListening?.();
    this.stopListening = undefined;
    for (const resolve of this.drainedWaiters.splice(0)) resolve();
  }

  private pump(): void {
    const now = this.now();
    while (!this.held && this.queue.length > 0 && this.playbackEnd - now < this.options.leadMs) {
      const frame = this.queue.shift()!;
      if (this.playbackEnd <= now) {
        // The far end ran dry: playback of this frame starts now, a new run of the clock.
        this.run = { outStart: this.sentMs, wallStart: now };
        this.playbackEnd = now;
      }
      this.playbackEnd += FRAME_MS;
      this.sentMs += FRAME_MS;
      this.options.send(frame.samples, frame.turn);
    }
    this.settle();
  }

  /** Keeps the clock running while something plays or waits, and wakes drained() waiters when done. */
  private settle(): void {
    if (!this.idle) {
      this.listen();
      return;
    }
    this.pruneSpans();
    this.stopListening?.();
    this.stopListening = undefined;
    for (const resolve of this.drainedWaiters.splice(0)) resolve();
  }

  private listen(): void {
    this.stopListening ??= (this.options.clock ?? sharedPacingClock()).add(this);
  }

  /** Spans of earlier turns are no longer needed once everything played. */
  private pruneSpans(): void {
    if (this.spans.length > 64) this.spans = this.spans.filter((s) => s.turn === this.pendingTurn);
  }
}
