import { RtvoiceError } from '../errors.ts';

/** Mono signed 16-bit little-endian PCM, the one sample format inside rtvoice. */
export type Pcm16 = Int16Array;

/** Sample rates the transports and speech providers use. */
export const SAMPLE_RATES = [8000, 16000, 24000, 48000] as const;
export type SampleRate = (typeof SAMPLE_RATES)[number];

export const FRAME_MS = 20;

/** Raised for audio that is not what it claims to be: odd byte counts, unknown rates, broken WAV files. */
export class AudioFormatError extends RtvoiceError {
  constructor(message: string) {
    super('AUDIO_FORMAT', message);
  }
}

export function isSampleRate(rate: number): rate is SampleRate {
  return (SAMPLE_RATES as readonly number[]).includes(rate);
}

export function assertSampleRate(rate: number): SampleRate {
  if (!isSampleRate(rate)) {
    throw new AudioFormatError(
      `unsupported sample rate ${rate} Hz; expected one of ${SAMPLE_RATES.join(', ')}`,
    );
  }
  return rate;
}

/** Samples in one frame of `ms` milliseconds. */
export function samplesPerFrame(rate: number, ms = FRAME_MS): number {
  return (rate * ms) / 1000;
}

/** Duration of `samples` samples at `rate`, in milliseconds. */
export function durationMs(samples: number, rate: number): number {
  return (samples * 1000) / rate;
}

/**
 * Views little-endian PCM16 bytes as samples, without copying when the bytes are aligned (they are copied
 * otherwise, since an Int16Array needs an even byte offset).
 */
export function bytesToPcm16(bytes: Uint8Array): Pcm16 {
  if (bytes.byteLength % 2 !== 0) {
    throw new AudioFormatError(`PCM16 audio must have an even number of bytes, got ${bytes.byteLength}`);
  }
  if (bytes.byteOffset % 2 === 0) return new Int16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
  // A copy: Buffer#slice would be a view over the same (odd-offset, maybe odd-length) memory.
  return new Int16Array(Uint8Array.prototype.slice.call(bytes).buffer);
}

/** The bytes of `samples`, as a Buffer view over the same memory. */
export function pcm16ToBytes(samples: Pcm16): Buffer {
  return Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
}

export function pcm16ToFloat32(samples: Pcm16, out = new Float32Array(samples.length)): Float32Array {
  for (let i = 0; i < samples.length; i += 1) out[i] = samples[i]! / 32768;
  return out;
}

/** Converts with rounding and clipping, so out-of-range floats saturate instead of wrapping. */
export function float32ToPcm16(samples: Float32Array, out = new Int16Array(samples.length)): Pcm16 {
  for (let i = 0; i < samples.length; i += 1) {
    const scaled = Math.round(samples[i]! * 32768);
    out[i] = scaled > 32767 ? 32767 : scaled < -32768 ? -32768 : scaled;
  }
  return out;
}

/** Base64 of the PCM16 bytes, as ACS and browser protocols carry audio. */
export function pcm16ToBase64(samples: Pcm16): string {
  return pcm16ToBytes(samples).toString('base64');
}

/** Decodes base64 PCM16; rejects text that is not base64 or bytes that are not whole samples. */
export function base64ToPcm16(text: string): Pcm16 {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 === 1) {
    throw new AudioFormatError('audio data is not valid base64');
  }
  return bytesToPcm16(Buffer.from(text, 'base64'));
}

export function concatPcm16(parts: readonly Pcm16[]): Pcm16 {
  const out = new Int16Array(parts.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
