import { AudioFormatError, pcm16ToBytes, type Pcm16 } from './pcm.ts';

export interface DecodedWav {
  readonly sampleRate: number;
  /** Channels in the file; `samples` is always mono (channels averaged). */
  readonly channels: number;
  readonly bitsPerSample: number;
  readonly samples: Pcm16;
}

const PCM = 1;
const IEEE_FLOAT = 3;
const EXTENSIBLE = 0xfffe;

/**
 * Reads a RIFF/WAVE file of integer PCM (8, 16, 24 or 32 bit) or 32-bit float, any channel count, into mono
 * PCM16. Unknown chunks are skipped; anything that is not a PCM WAV raises AudioFormatError saying why.
 */
export function readWav(file: Uint8Array): DecodedWav {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const tag = (offset: number) => String.fromCharCode(...file.subarray(offset, offset + 4));
  if (file.byteLength < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') {
    throw new AudioFormatError('not a WAV file (no RIFF/WAVE header)');
  }
  let format: { code: number; channels: number; sampleRate: number; bits: number } | undefined;
  let offset = 12;
  while (offset + 8 <= file.byteLength) {
    const id = tag(offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === 'fmt ') {
      if (size < 16) throw new AudioFormatError('WAV fmt chunk is too short');
      let code = view.getUint16(body, true);
      if (code === EXTENSIBLE && size >= 26) code = view.getUint16(body + 24, true);
      format = {
        code,
        channels: view.getUint16(body + 2, true),
        sampleRate: view.getUint32(body + 4, true),
        bits: view.getUint16(body + 14, true),
      };
    } else if (id === 'data') {
      if (!format) throw new AudioFormatError('WAV data chunk comes before its fmt chunk');
      const end = Math.min(body + size, file.byteLength); // tolerate streamed files with a wrong size
      return decodeSamples(view, body, end, format);
    }
    offset = body + size + (size % 2);
  }
  throw new AudioFormatError('WAV file has no data chunk');
}

function decodeSamples(
  view: DataView,
  start: number,
  end: number,
  format: { code: number; channels: number; sampleRate: number; bits: number },
): DecodedWav {
  const { code, channels, sampleRate, bits } = format;
  const read = sampleReader(code, bits);
  if (channels < 1) throw new AudioFormatError('WAV file declares no channels');
  if (sampleRate < 1000 || sampleRate > 384_000)
    throw new AudioFormatError(`WAV sample rate ${sampleRate} Hz is not plausible`);
  const bytesPerSample = bits / 8;
  const frames = Math.floor((end - start) / (bytesPerSample * channels));
  const samples = new Int16Array(frames);
  for (let frame = 0; frame < frames; frame += 1) {
    let sum = 0;
    for (let channel = 0; channel < channels; channel += 1) {
      sum += read(view, start + (frame * channels + channel) * bytesPerSample);
    }
    const value = Math.round((sum / channels) * 32768);
    samples[frame] = value > 32767 ? 32767 : value < -32768 ? -32768 : value;
  }
  return { sampleRate, channels, bitsPerSample: bits, samples };
}

/** A reader returning one sample as a float in [-1, 1). */
function sampleReader(code: number, bits: number): (view: DataView, offset: number) => number {
  if (code === IEEE_FLOAT && bits === 32) return (v, o) => v.getFloat32(o, true);
  if (code !== PCM)
    throw new AudioFormatError(
      `WAV encoding ${code} is not PCM; convert it first (sox in.wav -e signed -b 16 out.wav)`,
    );
  switch (bits) {
    case 8:
      return (v, o) => (v.getUint8(o) - 128) / 128;
    case 16:
      return (v, o) => v.getInt16(o, true) / 32768;
    case 24:
      return (v, o) =>
        ((v.getUint8(o + 2) << 24) | (v.getUint8(o + 1) << 16) | (v.getUint8(o) << 8)) / 2 ** 31;
    case 32:
      return (v, o) => v.getInt32(o, true) / 2 ** 31;
    default:
      throw new AudioFormatError(`WAV with ${bits}-bit samples is not supported`);
  }
}

/** A 16-bit PCM WAV file; with several channels, `samples` are interleaved. */
export function writeWav(samples: Pcm16, sampleRate: number, channels = 1): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + samples.byteLength, 4);
  header.write('WAVEfmt ', 8, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(PCM, 20);
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2 * channels, 28);
  header.writeUInt16LE(2 * channels, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(samples.byteLength, 40);
  return Buffer.concat([header, pcm16ToBytes(samples)]);
}
