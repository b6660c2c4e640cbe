// A CommonJS bundle: Node's ESM loader exposes only its default export.
import libsamplerate from '@alexanderolsen/libsamplerate-js';
import { concatPcm16, float32ToPcm16, pcm16ToFloat32, type Pcm16 } from './pcm.ts';

const { create, ConverterType } = libsamplerate;
type SRC = Awaited<ReturnType<typeof create>>;

/** Converts a stream of PCM16 chunks from one rate to another, keeping filter state across chunks. */
export interface Resampler {
  readonly fromRate: number;
  readonly toRate: number;
  /** Resamples one chunk; output lengths follow the rate ratio over the stream, not per chunk. */
  process(chunk: Pcm16): Pcm16;
  /** Returns the samples still inside the filter, so the stream's output length matches its input. */
  flush(): Pcm16;
  destroy(): void;
}

/**
 * A streaming resampler (libsamplerate's sinc filter compiled to WebAssembly): anti-aliased, and free of
 * clicks at chunk edges because the filter state carries over. Equal rates give a pass-through.
 */
export async function createResampler(fromRate: number, toRate: number): Promise<Resampler> {
  if (fromRate === toRate) return passThrough(fromRate);
  const src = await create(1, fromRate, toRate, { converterType: ConverterType.SRC_SINC_FASTEST });
  return new SincResampler(src, fromRate, toRate);
}

function passThrough(rate: number): Resampler {
  return {
    fromRate: rate,
    toRate: rate,
    process: (chunk) => chunk,
    flush: () => new Int16Array(0),
    destroy: () => {},
  };
}

class SincResampler implements Resampler {
  readonly fromRate: number;
  readonly toRate: number;
  private readonly src: SRC;
  private samplesIn = 0;
  private samplesOut = 0;

  constructor(src: SRC, fromRate: number, toRate: number) {
    this.src = src;
    this.fromRate = fromRate;
    this.toRate = toRate;
  }

  process(chunk: Pcm16): Pcm16 {
    if (chunk.length === 0) return new Int16Array(0);
    this.samplesIn += chunk.length;
    const out = float32ToPcm16(this.src.full(pcm16ToFloat32(chunk)));
    this.samplesOut += out.length;
    return out;
  }

  flush(): Pcm16 {
    const expected = Math.round((this.samplesIn * this.toRate) / this.fromRate);
    const parts: Pcm16[] = [];
    let missing = expected - this.samplesOut;
    // Feeding silence pushes the filter's delayed samples out; stop once the count matches the input.
    for (let guard = 0; missing > 0 && guard < 8; guard += 1) {
      const out = float32ToPcm16(this.src.full(new Float32Array(Math.ceil(this.fromRate / 100))));
      const keep = out.subarray(0, Math.min(missing, out.length));
      parts.push(keep);
      missing -= keep.length;
    }
    const tail = concatPcm16(parts);
    this.samplesOut += tail.length;
    return tail;
  }

  destroy(): void {
    this.src.destroy();
  }
}
