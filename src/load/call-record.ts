/**
 * What one simulated call measured, from the caller's side only (the server's own numbers are never used).
 * Points in time (`…StartMs`, `…EndMs`, `…AudioMs`, `atMs`) are milliseconds since `connect()` was called;
 * everything else ending in `Ms` is a duration.
 */

export type CallErrorKind =
  /** No TCP/TLS connection (refused, DNS, reset during the handshake). */
  | 'connect_failed'
  | 'connect_timeout'
  /** The server answered the upgrade with an HTTP status instead of 101. */
  | 'upgrade_refused'
  /** The server closed the socket during the call (ACS never expects that; browser only after session_end). */
  | 'server_closed'
  | 'socket_error'
  /** Agent audio that is not exactly one 20 ms PCM16 frame at the expected rate. */
  | 'invalid_frame'
  /** A server message the caller could not read. */
  | 'malformed_message'
  /** A wait (`waitForAgentSpeech`, `waitForAgentSilence`) ran out of time. */
  | 'timeout';

export interface CallError {
  readonly kind: CallErrorKind;
  readonly reason: string;
  readonly atMs: number;
}

export interface TurnRecord {
  readonly index: number;
  /** What `say()` was given as `label`, or 'text' for `sendText()`. */
  readonly label?: string;
  /** The first frame of the utterance with speech in it was sent (the first frame when none has). */
  readonly userSpeechStartMs: number;
  /** The last frame with speech was sent; absent when the call ended before it. */
  readonly userSpeechEndMs?: number;
  /** The first agent speech frame after the caller stopped speaking arrived. */
  readonly agentFirstAudioMs?: number;
  readonly voiceToVoiceMs?: number;
  /** Agent speech frames received in the reply × 20 ms. */
  readonly agentSpeechMs: number;
  /** First to last agent speech frame of the reply, plus one frame. */
  readonly agentSpeechSpanMs?: number;
  /** The caller started speaking while agent speech was playing. */
  readonly bargeIn: boolean;
  /** From that speech onset to the StopAudio / audio_stop that followed. */
  readonly bargeInStopMs?: number;
  /** Agent audio frames, sent frames and their bytes, from this turn's first frame to the next turn's. */
  readonly framesIn: number;
  readonly framesOut: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
}

export interface CallRecord {
  readonly protocol: 'acs' | 'browser';
  readonly sessionId: string;
  readonly callId?: string;
  /** connect() to the socket being open. */
  readonly connectMs?: number;
  /** Stream start (ACS: AudioMetadata sent; browser: socket open) to the first agent speech frame. */
  readonly greetingTtfbMs?: number;
  /** Agent speech frames received before the caller's first utterance ended × 20 ms. */
  readonly greetingSpeechMs: number;
  readonly turns: readonly TurnRecord[];
  /** The first 100 errors. */
  readonly errors: readonly CallError[];
  /** Every error, counted by kind (a bad frame 50 times a second is kept once per frame here only). */
  readonly errorCounts: Readonly<Partial<Record<CallErrorKind, number>>>;
  /** The status of a refused upgrade. */
  readonly httpStatus?: number;
  readonly closeCode?: number;
  readonly closeReason?: string;
  /** Who ended the call: the caller (hangup), the server, or a failure to connect. */
  readonly endedBy?: 'caller' | 'server' | 'error';
  /** connect() to the end of the call (or to now, for a call still running). */
  readonly durationMs: number;
  readonly framesIn: number;
  readonly framesOut: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Agent audio played (by the caller's playback clock) and dropped by stops. */
  readonly agentPlayedMs: number;
  readonly agentDroppedMs: number;
  readonly agentStops: number;
  /** Largest send backlog seen in the socket: a server that does not keep up with reading shows here. */
  readonly maxBufferedBytes: number;
}

/** `voiceToVoiceMs` → `voice_to_voice_ms`, at the type level. */
export type SnakeCase<S extends string> = S extends `${infer Head}${infer Tail}`
  ? `${Head extends Lowercase<Head> ? Head : `_${Lowercase<Head>}`}${SnakeCase<Tail>}`
  : S;

/** A record with snake_case keys, recursively, as JSON reports carry it. */
export type SnakeCased<T> = T extends readonly (infer Item)[]
  ? SnakeCased<Item>[]
  : T extends object
    ? { [K in keyof T as K extends string ? SnakeCase<K> : never]: SnakeCased<T[K]> }
    : T;

export type CallReport = SnakeCased<CallRecord>;

/**
 * The JSON-report form of a call: snake_case keys (`voice_to_voice_ms`, `barge_in_stop_ms`,
 * `greeting_ttfb_ms`, `connect_ms`, `agent_speech_ms`, …), times rounded to 0.1 ms, absent values left out.
 */
export function toCallReport(record: CallRecord): CallReport {
  return snakeCased(record) as CallReport;
}

function snakeCased(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeCased);
  if (typeof value === 'number') return Number.isInteger(value) ? value : Math.round(value * 10) / 10;
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item !== undefined) out[key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = snakeCased(item);
  }
  return out;
}
