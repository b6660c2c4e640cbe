import alawmulaw from 'alawmulaw';
import type { Pcm16 } from './pcm.ts';

/** G.711 μ-law (North American and Japanese telephony), one byte per sample. */
export const mulaw = {
  encode: (samples: Pcm16): Uint8Array => alawmulaw.mulaw.encode(samples),
  decode: (bytes: Uint8Array): Pcm16 => alawmulaw.mulaw.decode(bytes),
};

/** G.711 A-law (European telephony), one byte per sample. */
export const alaw = {
  encode: (samples: Pcm16): Uint8Array => alawmulaw.alaw.encode(samples),
  decode: (bytes: Uint8Array): Pcm16 => alawmulaw.alaw.decode(bytes),
};
