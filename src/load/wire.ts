import type { Pcm16 } from '../audio/pcm.ts';
import type { Envelope } from '../connections/envelope.ts';
import { encodeAcsAudioIn, parseAcsOutbound } from '../transports/acs/acs-codec.ts';
import { encodeBrowserAudio, parseBrowserServerText } from '../transports/browser/browser-codec.ts';

/**
 * The caller's side of the two media protocols, over the shared codecs in src/transports. Sending is the
 * hot path (50 frames a second per caller, hundreds of callers), so frames are encoded ahead of time into
 * Buffers; an ACS frame's only per-send change is its timestamp, written in place into a fixed slot.
 */

/** `2024-11-15T19:16:12.925Z`: Date#toISOString for years 0–9999, so every timestamp fits one slot. */
export const ISO_TIMESTAMP_LENGTH = 24;
const TIMESTAMP_PLACEHOLDER = '1970-01-01T00:00:00.000Z';

/** Frames of one utterance (or the silence frame) ready to send. */
export interface EncodedFrames {
  readonly frames: readonly Buffer[];
  /** Byte offset of the ISO timestamp inside every frame, or -1 when frames carry none (browser). */
  readonly timestampOffset: number;
}

/** ACS AudioData frames as text-frame payloads; a frame of all-zero samples is marked `silent`. */
export function encodeAcsAudioFrames(frames: readonly Pcm16[], participantRawID: string): EncodedFrames {
  let timestampOffset = -1;
  const encoded = frames.map((frame) => {
    const silent = frame.every((sample) => sample === 0);
    const bytes = Buffer.from(
      encodeAcsAudioIn(frame, { timestamp: TIMESTAMP_PLACEHOLDER, participantRawID, silent }),
    );
    // The same for every frame: the fields before the timestamp do not depend on the audio.
    timestampOffset = bytes.indexOf(TIMESTAMP_PLACEHOLDER);
    return bytes;
  });
  return { frames: encoded, timestampOffset };
}

/** Writes `iso` (ISO_TIMESTAMP_LENGTH ASCII characters) into a frame's timestamp slot; allocates nothing. */
export function stampTimestamp(frame: Buffer, offset: number, iso: string): void {
  if (offset >= 0 && iso.length === ISO_TIMESTAMP_LENGTH) frame.write(iso, offset, 'latin1');
}

/** Browser frames are the samples' own little-endian bytes (views over the already-copied audio). */
export function encodeBrowserAudioFrames(frames: readonly Pcm16[]): EncodedFrames {
  return { frames: frames.map(encodeBrowserAudio), timestampOffset: -1 };
}

/** A server text message as the caller acts on it. */
export type ServerMessage =
  | { readonly kind: 'audio'; readonly samples: Pcm16 }
  /** `untilMs`: where the browser's played counter goes on after the flush (the server's output position). */
  | { readonly kind: 'stop'; readonly untilMs?: number }
  | { readonly kind: 'control'; readonly action: string }
  | { readonly kind: 'envelope'; readonly envelope: Envelope }
  | { readonly kind: 'invalid_frame' | 'malformed_message'; readonly reason: string };

/** Server → ACS: AudioData (play) and StopAudio (flush), in any casing. */
export function readAcsServerText(text: string): ServerMessage {
  const message = parseAcsOutbound(text);
  if (message instanceof Error) {
    const kind = message.reason === 'bad_frame_length' ? 'invalid_frame' : 'malformed_message';
    return { kind, reason: `${message.reason}: ${message.message}` };
  }
  return message;
}

/** Server → browser text: `control` (audio_stop is the stop) and envelopes, checked against their schema. */
export function readBrowserServerText(text: string): ServerMessage {
  const message = parseBrowserServerText(text);
  if (message instanceof Error)
    return { kind: 'malformed_message', reason: `${message.reason}: ${message.message}` };
  if (message.kind === 'envelope') return message;
  const { action, until_ms: untilMs } = message.control;
  if (action !== 'audio_stop') return { kind: 'control', action };
  return typeof untilMs === 'number' && Number.isFinite(untilMs)
    ? { kind: 'stop', untilMs }
    : { kind: 'stop' };
}
