import { FRAME_MS } from './pcm.ts';

/** One beat of the clock, shared by every listener of that beat. */
export interface PacingTick {
  /** Beat number since the clock (re)started; beat `index` is due at `start + index × frameMs`. */
  readonly index: number;
  /** When the beat was due, on the performance.now() scale. */
  readonly deadlineMs: number;
  /** When it actually ran (≥ deadline; larger when the event loop was busy). */
  readonly nowMs: number;
  /** Wall-clock time of the deadline as ISO-8601 with milliseconds (24 characters), for ACS `timestamp`. */
  readonly isoTime: string;
}

export interface PacingListener {
  onTick(tick: PacingTick): void;
}

export interface PacingClockOptions {
  /** Beat length; 20 ms, one audio frame. */
  readonly frameMs?: number;
  /**
   * Beats replayed at once after the event loop stalled (a real phone would have kept sending); beyond this
   * many the missed beats are skipped and counted, since a burst of seconds of audio is no phone either.
   */
  readonly maxCatchUpTicks?: number;
}

export interface PacingStats {
  readonly ticks: number;
  /** Beats that ran more than one frame after their deadline. */
  readonly lateTicks: number;
  /** Beats dropped after a stall longer than `maxCatchUpTicks` frames. */
  readonly skippedTicks: number;
  readonly maxLateMs: number;
}

/**
 * One drift-free 20 ms beat for many simulated callers: every deadline is computed from the start time
 * (not by chaining setTimeout(20), which drifts by the timer's lateness every beat), and hundreds of
 * callers share one timer instead of hundreds. The timer runs only while someone listens.
 */
export class PacingClock {
  readonly frameMs: number;
  private readonly maxCatchUp: number;
  private readonly listeners = new Set<PacingListener>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private startMs = 0;
  private index = 0;
  private ticks = 0;
  private lateTicks = 0;
  private skippedTicks = 0;
  private maxLateMs = 0;

  constructor(options: PacingClockOptions = {}) {
    this.frameMs = options.frameMs ?? FRAME_MS;
    this.maxCatchUp = options.maxCatchUpTicks ?? 5;
  }

  /** Starts delivering beats to `listener` from the next beat; returns the function that stops it. */
  add(listener: PacingListener): () => void {
    this.listeners.add(listener);
    // While a beat runs, the end of that beat re-arms the timer.
    if (this.timer === undefined && !this.running) {
      this.startMs = performance.now();
      this.index = 1;
      this.arm();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.timer !== undefined && !this.running) {
        clearTimeout(this.timer);
        this.timer = undefined;
      }
    };
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  get stats(): PacingStats {
    return {
      ticks: this.ticks,
      lateTicks: this.lateTicks,
      skippedTicks: this.skippedTicks,
      maxLateMs: this.maxLateMs,
    };
  }

  private deadline(index: number): number {
    return this.startMs + index * this.frameMs;
  }

  private arm(): void {
    // Rounded up: a timer that fires a fraction early would only re-arm itself for the remainder.
    const delay = Math.max(0, Math.ceil(this.deadline(this.index) - performance.now()));
    this.timer = setTimeout(this.run, delay);
  }

  private readonly run = (): void => {
    this.running = true;
    let now = performance.now();
    while (this.listeners.size > 0) {
      const behind = Math.floor((now - this.deadline(this.index)) / this.frameMs);
      if (behind < 0) break;
      if (behind > this.maxCatchUp) {
        const skip = behind - this.maxCatchUp;
        this.skippedTicks += skip;
        this.index += skip;
      }
      const deadlineMs = this.deadline(this.index);
      const late = now - deadlineMs;
      if (late > this.maxLateMs) this.maxLateMs = late;
      if (late > this.frameMs) this.lateTicks += 1;
      const tick: PacingTick = {
        index: this.index,
        deadlineMs,
        nowMs: now,
        isoTime: new Date(performance.timeOrigin + deadlineMs).toISOString(),
      };
      for (const listener of this.listeners) {
        try {
          listener.onTick(tick);
        } catch {
          // A listener's bug must not stop every other caller's audio; listeners record their own errors.
        }
      }
      this.ticks += 1;
      this.index += 1;
      now = performance.now();
    }
    this.running = false;
    if (this.listeners.size > 0) this.arm();
    else this.timer = undefined;
  };
}

let shared: PacingClock | undefined;

/** The process-wide clock callers use unless given their own. */
export function sharedPacingClock(): PacingClock {
  shared ??= new PacingClock();
  return shared;
}
