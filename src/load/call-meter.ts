import { rms } from '../audio/levels.ts';
import { durationMs, FRAME_MS, samplesPerFrame, type Pcm16 } from '../audio/pcm.ts';
import { AgentPlayback } from './agent-audio.ts';
import type { CallError, CallErrorKind, CallRecord, TurnRecord } from './call-record.ts';

/**
 * The measuring half of a simulated call, apart from sockets and pacing: it is told what was sent and
 * received, and when (performance.now() times), and keeps the turns, the greeting, the errors and the
 * playback model they are judged by.
 */

export interface CallMeterOptions {
  readonly sampleRate: number;
  /** Frames at or above this RMS (0–1 of full scale) are speech. */
  readonly speechRmsThreshold: number;
  /** Agent speech this close after earlier speech is the same spurt. */
  readonly speechHangoverMs: number;
}

/** A turn being measured; the caller keeps it to report its speech onset and end. */
export interface MeteredTurn {
  readonly index: number;
  readonly label: string | undefined;
  readonly startedAt: number;
  speechStart: number | undefined;
  speechEnd: number | undefined;
  firstAgentAudio: number | undefined;
  lastAgentAudio: number | undefined;
  agentSpeechMs: number;
  bargeIn: boolean;
  bargeInStop: number | undefined;
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  bytesOut: number;
}

/** How the call ended, for the record. */
export interface CallEnd {
  readonly closeCode?: number | undefined;
  readonly closeReason?: string | undefined;
  readonly endedBy: NonNullable<CallRecord['endedBy']>;
}

/**
 * Agent speech "playing" at a caller's onset, for barge-in, allows only for frames arriving a little late:
 * a caller who starts in a pause of the agent's does not interrupt it (unless the server stops the agent).
 */
const BARGE_IN_JITTER_MS = 60;
/** A server that sends a bad frame 50 times a second would otherwise grow the record without bound. */
const MAX_ERRORS_KEPT = 100;

export class CallMeter {
  readonly playback = new AgentPlayback();
  private readonly rate: number;
  private readonly frameBytes: number;
  private readonly threshold: number;
  private readonly hangoverMs: number;
  private startedAt: number | undefined;
  private openAt: number | undefined;
  private streamStartAt: number | undefined;
  private end: (CallEnd & { readonly at: number }) | undefined;
  private httpStatus: number | undefined;
  private greetingFirstAudio: number | undefined;
  private greetingSpeechMs = 0;
  /** Until the caller's first utterance ends, agent speech is the greeting. */
  private greetingOpen = true;
  private readonly turns: MeteredTurn[] = [];
  private lastTurn: MeteredTurn | undefined;
  private readonly errors: CallError[] = [];
  private readonly errorCounts: Partial<Record<CallErrorKind, number>> = {};
  private framesIn = 0;
  private framesOut = 0;
  private bytesIn = 0;
  private bytesOut = 0;
  private maxBuffered = 0;

  constructor(options: CallMeterOptions) {
    this.rate = options.sampleRate;
    this.frameBytes = samplesPerFrame(options.sampleRate) * 2;
    this.threshold = options.speechRmsThreshold;
    this.hangoverMs = options.speechHangoverMs;
  }

  /** connect() was called: the zero of every point in time in the record. */
  started(now: number): void {
    this.startedAt = now;
  }

  /** The socket opened and the first message (AudioMetadata / start) went out: the greeting clock starts. */
  opened(now: number): void {
    this.openAt = now;
    this.streamStartAt = now;
  }

  refused(status: number): void {
    this.httpStatus = status;
  }

  get refusedStatus(): number | undefined {
    return this.httpStatus;
  }

  ended(now: number, end: CallEnd): void {
    this.end ??= { ...end, at: now };
  }

  /** Milliseconds since connect(). */
  sinceStart(at: number): number {
    return at - (this.startedAt ?? at);
  }

  /** Milliseconds since the stream started (-Infinity before it has). */
  sinceStream(now: number): number {
    return this.streamStartAt === undefined ? Number.NEGATIVE_INFINITY : now - this.streamStartAt;
  }

  startTurn(now: number, label: string | undefined): MeteredTurn {
    const turn: MeteredTurn = {
      index: this.turns.length,
      label,
      startedAt: now,
      speechStart: undefined,
      speechEnd: undefined,
      firstAgentAudio: undefined,
      lastAgentAudio: undefined,
      agentSpeechMs: 0,
      bargeIn: false,
      bargeInStop: undefined,
      framesIn: 0,
      framesOut: 0,
      bytesIn: 0,
      bytesOut: 0,
    };
    this.turns.push(turn);
    this.lastTurn = turn;
    return turn;
  }

  /** The caller's speech began; it is a barge-in if agent speech is playing. */
  speechStarted(turn: MeteredTurn, now: number): void {
    turn.speechStart = now;
    turn.bargeIn = this.playback.isSpeaking(now, BARGE_IN_JITTER_MS);
  }

  speechEnded(turn: MeteredTurn, now: number): void {
    turn.speechEnd = now;
    this.greetingOpen = false;
  }

  frameSent(bytes: number, buffered: number): void {
    this.framesOut += 1;
    this.bytesOut += bytes;
    const turn = this.lastTurn;
    if (turn) {
      turn.framesOut += 1;
      turn.bytesOut += bytes;
    }
    if (buffered > this.maxBuffered) this.maxBuffered = buffered;
  }

  /**
   * One agent audio frame. `samples` is undefined when it is not whole 16-bit samples; `invalid` is then
   * the reason. Every frame must be exactly 20 ms at the call's rate.
   */
  agentAudio(samples: Pcm16 | undefined, byteLength: number, now: number, invalid?: string): void {
    this.framesIn += 1;
    this.bytesIn += byteLength;
    const turn = this.lastTurn;
    if (turn) {
      turn.framesIn += 1;
      turn.bytesIn += byteLength;
    }
    if (!samples || byteLength !== this.frameBytes) {
      const expected = `expected ${this.frameBytes} (20 ms of PCM16 at ${this.rate} Hz)`;
      this.error('invalid_frame', invalid ?? `agent audio frame of ${byteLength} bytes; ${expected}`, now);
      if (!samples) return;
    }
    const audible = rms(samples) >= this.threshold;
    const newSpurt = audible && !this.playback.isSpeaking(now, this.hangoverMs);
    const ms = durationMs(samples.length, this.rate);
    this.playback.enqueue(now, ms, audible);
    if (!audible) return;
    if (this.greetingOpen) {
      this.greetingFirstAudio ??= now;
      this.greetingSpeechMs += ms;
    }
    // The reply is the first new spurt of agent speech after the caller stopped: audio still playing from
    // before (a greeting the server did not stop) is not an answer.
    if (turn?.speechEnd !== undefined) {
      if (turn.firstAgentAudio === undefined && newSpurt) turn.firstAgentAudio = now;
      if (turn.firstAgentAudio !== undefined) {
        turn.agentSpeechMs += ms;
        turn.lastAgentAudio = now;
      }
    }
  }

  /** StopAudio / audio_stop: the queue is flushed; it ends a barge-in. */
  agentStopped(now: number): void {
    this.playback.stop(now);
    const turn = this.lastTurn;
    // A stop while the caller is still speaking is the server's barge-in even if the agent was in a pause.
    const callerSpeaking = turn?.speechStart !== undefined && turn.speechEnd === undefined;
    if (turn && turn.bargeInStop === undefined && (turn.bargeIn || callerSpeaking)) {
      turn.bargeIn = true;
      turn.bargeInStop = now;
    }
  }

  error(kind: CallErrorKind, reason: string, at: number): void {
    this.errorCounts[kind] = (this.errorCounts[kind] ?? 0) + 1;
    if (this.errors.length < MAX_ERRORS_KEPT) this.errors.push({ kind, reason, atMs: this.sinceStart(at) });
  }

  record(call: Pick<CallRecord, 'protocol' | 'sessionId' | 'callId'>, now: number): CallRecord {
    const at = this.end?.at ?? now;
    const rel = (time: number | undefined) => (time === undefined ? undefined : this.sinceStart(time));
    return {
      ...call,
      connectMs: rel(this.openAt),
      greetingTtfbMs:
        this.greetingFirstAudio === undefined || this.streamStartAt === undefined
          ? undefined
          : this.greetingFirstAudio - this.streamStartAt,
      greetingSpeechMs: this.greetingSpeechMs,
      turns: this.turns.map((turn) => this.turnRecord(turn)),
      errors: [...this.errors],
      errorCounts: { ...this.errorCounts },
      httpStatus: this.httpStatus,
      closeCode: this.end?.closeCode,
      closeReason: this.end?.closeReason,
      endedBy: this.end?.endedBy,
      durationMs: this.startedAt === undefined ? 0 : this.sinceStart(at),
      framesIn: this.framesIn,
      framesOut: this.framesOut,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      agentPlayedMs: this.playback.playedMs(at),
      agentDroppedMs: this.playback.droppedMs,
      agentStops: this.playback.stops,
      maxBufferedBytes: this.maxBuffered,
    };
  }

  private turnRecord(turn: MeteredTurn): TurnRecord {
    const end = turn.speechEnd;
    const first = turn.firstAgentAudio;
    const onset = turn.speechStart ?? turn.startedAt;
    return {
      index: turn.index,
      label: turn.label,
      userSpeechStartMs: this.sinceStart(onset),
      userSpeechEndMs: end === undefined ? undefined : this.sinceStart(end),
      agentFirstAudioMs: first === undefined ? undefined : this.sinceStart(first),
      voiceToVoiceMs: first === undefined || end === undefined ? undefined : first - end,
      agentSpeechMs: turn.agentSpeechMs,
      agentSpeechSpanMs:
        first === undefined || turn.lastAgentAudio === undefined
          ? undefined
          : turn.lastAgentAudio - first + FRAME_MS,
      bargeIn: turn.bargeIn,
      bargeInStopMs: turn.bargeInStop === undefined ? undefined : turn.bargeInStop - onset,
      framesIn: turn.framesIn,
      framesOut: turn.framesOut,
      bytesIn: turn.bytesIn,
      bytesOut: turn.bytesOut,
    };
  }
}
