import { rms } from '../audio/levels.ts';
import { samplesPerFrame, type Pcm16 } from '../audio/pcm.ts';
import type { CallerWire, EncodedFrames } from './wire/caller-wire.ts';

/** An utterance cut into exact 20 ms frames and encoded for one protocol, ready to stream. */
export interface PreparedUtterance extends EncodedFrames {
  /** Indexes of the first and last frame with speech in them (the first and last frame when none has). */
  readonly firstSpeech: number;
  readonly lastSpeech: number;
}

/**
 * Prepared utterances per audio array, so a thousand callers saying the same recording encode it once.
 * The arrays must not change after `say()` (documented there).
 */
const prepared = new WeakMap<Pcm16, Map<string, PreparedUtterance>>();

/**
 * Frames `audio` (padding the last frame with silence), finds where speech starts and ends by RMS, and
 * encodes every frame ahead of time, so streaming it costs nothing but the send.
 */
export function prepareUtterance(
  audio: Pcm16,
  wire: CallerWire,
  rate: number,
  participantRawId: string,
  threshold: number,
): PreparedUtterance {
  const key = `${wire.protocol}|${rate}|${participantRawId}|${threshold}`;
  let byKey = prepared.get(audio);
  const cached = byKey?.get(key);
  if (cached) return cached;
  const frameSamples = samplesPerFrame(rate);
  const count = Math.ceil(audio.length / frameSamples);
  // A copy padded to whole frames: the last frame is exactly 20 ms too.
  const padded = new Int16Array(count * frameSamples);
  padded.set(audio);
  const frames: Pcm16[] = [];
  let firstSpeech = -1;
  let lastSpeech = -1;
  for (let i = 0; i < count; i += 1) {
    const frame = padded.subarray(i * frameSamples, (i + 1) * frameSamples);
    frames.push(frame);
    if (rms(frame) >= threshold) {
      if (firstSpeech < 0) firstSpeech = i;
      lastSpeech = i;
    }
  }
  const encoded = wire.encodeFrames(frames, participantRawId);
  const result: PreparedUtterance = {
    ...encoded,
    firstSpeech: firstSpeech < 0 ? 0 : firstSpeech,
    lastSpeech: lastSpeech < 0 ? count - 1 : lastSpeech,
  };
  if (!byKey) prepared.set(audio, (byKey = new Map<string, PreparedUtterance>()));
  byKey.set(key, result);
  return result;
}
