/**
 * The simulated caller's loudspeaker. Agent audio queues and plays in real time, as an ACS leg or a browser
 * AudioWorklet plays it, whatever pace the server sends at; a stop (StopAudio, audio_stop) drops what is
 * queued. What the caller heard, and when, is read from here: browser `played` marks, whether a caller's
 * speech is a barge-in, and when the agent went quiet. Times are performance.now() milliseconds, passed in
 * so the model is a pure function of its inputs.
 */
export class AgentPlayback {
  /** Start of the current run of back-to-back audio. */
  private runStart = 0;
  /** Audio queued in the current run, played or not. */
  private runMs = 0;
  /** Audio played in earlier runs. */
  private playedBeforeMs = 0;
  /** When the last audible (speech) audio finishes playing, or finished; -Infinity before any. */
  private speechEndsAt = Number.NEGATIVE_INFINITY;
  /** A stop cut the speech off: the next speech starts a new spurt however soon it comes. */
  private stoppedSinceSpeech = false;
  private receivedTotalMs = 0;
  private droppedTotalMs = 0;
  private stopCount = 0;

  /** Queues `durationMs` of agent audio received at `now`; `audible` says whether it is speech. */
  enqueue(now: number, durationMs: number, audible: boolean): void {
    if (now >= this.runStart + this.runMs) {
      // The queue ran dry: this audio starts playing now, after a gap.
      this.playedBeforeMs += this.runMs;
      this.runStart = now;
      this.runMs = 0;
    }
    this.runMs += durationMs;
    this.receivedTotalMs += durationMs;
    if (audible) {
      this.speechEndsAt = this.runStart + this.runMs;
      this.stoppedSinceSpeech = false;
    }
  }

  /** After a stop, makes the played counter go on from `playedMs` (the browser `audio_stop.until_ms`). */
  resume(playedMs: number): void {
    if (playedMs > this.playedBeforeMs + this.runMs) this.playedBeforeMs = playedMs - this.runMs;
  }

  /** Drops the audio not yet played at `now`; returns how many ms were dropped. */
  stop(now: number): number {
    const played = this.playedInRun(now);
    const dropped = this.runMs - played;
    this.playedBeforeMs += played;
    this.runStart = now;
    this.runMs = 0;
    if (this.speechEndsAt > now) this.speechEndsAt = now;
    this.stoppedSinceSpeech = true;
    this.droppedTotalMs += dropped;
    this.stopCount += 1;
    return dropped;
  }

  /** Milliseconds of agent audio played since the call began (the browser `played.until_ms`). */
  playedMs(now: number): number {
    return this.playedBeforeMs + this.playedInRun(now);
  }

  /** Audio (speech or not) is playing or queued at `now`. */
  isPlaying(now: number): boolean {
    return now < this.runStart + this.runMs;
  }

  /**
   * Agent speech is playing at `now`, or stopped less than `hangoverMs` ago. The hangover bridges the quiet
   * frames between words, so one reply is one spurt; a stop ends the spurt at once.
   */
  isSpeaking(now: number, hangoverMs = 0): boolean {
    return !this.stoppedSinceSpeech ? now < this.speechEndsAt + hangoverMs : now < this.speechEndsAt;
  }

  /** How long the agent has been quiet at `now` (0 while speech plays); Infinity if it never spoke. */
  quietForMs(now: number): number {
    return Math.max(0, now - this.speechEndsAt);
  }

  get receivedMs(): number {
    return this.receivedTotalMs;
  }

  /** Audio dropped by stops before it played. */
  get droppedMs(): number {
    return this.droppedTotalMs;
  }

  get stops(): number {
    return this.stopCount;
  }

  private playedInRun(now: number): number {
    return Math.min(Math.max(now - this.runStart, 0), this.runMs);
  }
}
