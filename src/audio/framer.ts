import { FRAME_MS, samplesPerFrame, type Pcm16 } from './pcm.ts';

/** One frame of exactly the framer's length. `validSamples` < length only on a padded tail. */
export interface Frame {
  readonly samples: Pcm16;
  /** True for the last frame of a stream, completed with silence. */
  readonly padded: boolean;
  readonly validSamples: number;
}

/**
 * Cuts audio arriving in chunks of any size into frames of exactly `ms` milliseconds. Nothing is dropped:
 * `flush` returns the tail padded with silence and flagged.
 */
export class Framer {
  readonly frameSamples: number;
  private pending: Pcm16;
  private pendingLength = 0;

  constructor(sampleRate: number, ms = FRAME_MS) {
    this.frameSamples = samplesPerFrame(sampleRate, ms);
    if (!Number.isInteger(this.frameSamples) || this.frameSamples <= 0) {
      throw new RangeError(`${ms} ms at ${sampleRate} Hz is not a whole number of samples`);
    }
    this.pending = new Int16Array(this.frameSamples);
  }

  /** Adds `chunk` and returns every frame it completes (each a fresh array the caller may keep). */
  push(chunk: Pcm16): Frame[] {
    const frames: Frame[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(this.frameSamples - this.pendingLength, chunk.length - offset);
      this.pending.set(chunk.subarray(offset, offset + take), this.pendingLength);
      this.pendingLength += take;
      offset += take;
      if (this.pendingLength === this.frameSamples) {
        frames.push({ samples: this.pending, padded: false, validSamples: this.frameSamples });
        this.pending = new Int16Array(this.frameSamples);
        this.pendingLength = 0;
      }
    }
    return frames;
  }

  /** The buffered tail as one silence-padded frame, or undefined when nothing is buffered. */
  flush(): Frame | undefined {
    if (this.pendingLength === 0) return undefined;
    const frame = { samples: this.pending, padded: true, validSamples: this.pendingLength };
    this.pending = new Int16Array(this.frameSamples);
    this.pendingLength = 0;
    return frame;
  }

  /** Samples waiting for a frame to fill. */
  get buffered(): number {
    return this.pendingLength;
  }
}
