import type { Pcm16 } from '../../audio/pcm.ts';
import type { Envelope } from '../../connections/envelope.ts';

/** The wire protocols a simulated caller speaks: the server's transports, seen from the far end. */
export type CallerProtocol = 'acs' | 'browser';

/** `2024-11-15T19:16:12.925Z`: Date#toISOString for years 0–9999, so every timestamp fits one slot. */
export const ISO_TIMESTAMP_LENGTH = 24;

/** Frames of one utterance (or the silence frame) ready to send. */
export interface EncodedFrames {
  readonly frames: readonly Buffer[];
  /** Byte offset of the ISO timestamp inside every frame, or -1 when frames carry none (browser). */
  readonly timestampOffset: number;
}

/** A server message as the caller acts on it. */
export type ServerMessage =
  | { readonly kind: 'audio'; readonly samples: Pcm16 }
  /** `untilMs`: where the browser's played counter goes on after the flush (the server's output position). */
  | { readonly kind: 'stop'; readonly untilMs?: number }
  | { readonly kind: 'control'; readonly action: string }
  | { readonly kind: 'envelope'; readonly envelope: Envelope }
  /** Agent audio that arrived but cannot be played: `bytes` of it; `reason` when the frame said why. */
  | { readonly kind: 'invalid_frame'; readonly bytes: number; readonly reason?: string }
  | { readonly kind: 'malformed_message'; readonly reason: string };

/**
 * The caller's side of one wire protocol, so the simulated caller has no per-protocol branches. Sending is
 * the hot path (50 frames a second per caller, hundreds of callers): frames are encoded ahead of time, and
 * an ACS frame's only per-send change is its timestamp, written in place into a fixed slot.
 */
export interface CallerWire {
  readonly protocol: CallerProtocol;
  /** The server path calls of this protocol connect to. */
  readonly route: string;
  /** Rates of the caller's audio, and of the agent audio it expects. */
  readonly sampleRates: readonly number[];
  /** The call id a call carries: ACS calls always have one, browser pages only when given. */
  callId(given: string | undefined): string | undefined;
  /** The call's ids in the upgrade query (the session id is added by the caller). */
  query(url: URL, callId: string | undefined): void;
  /** Upgrade headers a real far end of this protocol sends. */
  headers(callId: string | undefined): Record<string, string>;
  /** The first message: it starts the stream. */
  startMessage(sampleRate: number): string;
  encodeFrames(frames: readonly Pcm16[], participantRawId: string): EncodedFrames;
  /** Audio goes out as binary frames (browser) rather than text (ACS). */
  readonly binaryAudio: boolean;
  /** Keypad digits as messages. */
  dtmf(digits: string): string[];
  /** Typed text as a message, for protocols that have it. */
  readonly text?: (text: string) => string;
  /** A `played` mark, for protocols whose far end confirms playback. */
  readonly playedMark?: (untilMs: number) => string;
  read(data: Buffer, isBinary: boolean): ServerMessage;
  /** Whether the server closing the call with `code` is a normal end (else an error). */
  closesNormally(code: number | undefined, sessionEnded: boolean): boolean;
}

/** Writes `iso` (ISO_TIMESTAMP_LENGTH ASCII characters) into a frame's timestamp slot; allocates nothing. */
export function stampTimestamp(frame: Buffer, offset: number, iso: string): void {
  if (offset >= 0 && iso.length === ISO_TIMESTAMP_LENGTH) frame.write(iso, offset, 'latin1');
}
