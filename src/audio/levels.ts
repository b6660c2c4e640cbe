import type { Pcm16 } from './pcm.ts';

/** Root-mean-square level, 0 to 1 of full scale. */
export function rms(samples: Pcm16): number {
  if (samples.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < samples.length; i += 1) sum += samples[i]! * samples[i]!;
  return Math.sqrt(sum / samples.length) / 32768;
}

/** Largest absolute sample, 0 to 1 of full scale. */
export function peak(samples: Pcm16): number {
  let max = 0;
  for (let i = 0; i < samples.length; i += 1) {
    const magnitude = Math.abs(samples[i]!);
    if (magnitude > max) max = magnitude;
  }
  return max / 32768;
}

/** A level (0 to 1) in dB relative to full scale; silence is -Infinity. */
export function toDbfs(level: number): number {
  return 20 * Math.log10(level);
}

export interface TrimOptions {
  /** Silence kept before the first sound and after the last, in ms. */
  readonly keepLeadMs: number;
  readonly keepTailMs: number;
  /** Samples below this magnitude (0 to 1 of full scale) count as silence. */
  readonly threshold: number;
}

/** `samples` without the silence before its first and after its last sound, beyond what `options` keeps. */
export function trimSilence(samples: Pcm16, sampleRate: number, options: TrimOptions): Pcm16 {
  const floor = options.threshold * 32768;
  let first = 0;
  while (first < samples.length && Math.abs(samples[first]!) < floor) first += 1;
  if (first === samples.length) return samples.subarray(0, 0);
  let last = samples.length - 1;
  while (last > first && Math.abs(samples[last]!) < floor) last -= 1;
  const start = Math.max(0, first - Math.round((options.keepLeadMs * sampleRate) / 1000));
  const end = Math.min(samples.length, last + 1 + Math.round((options.keepTailMs * sampleRate) / 1000));
  return samples.subarray(start, end);
}

/**
 * Tells sound from background: a level counts as sound when it is well above the quietest level heard
 * lately (the floor follows drops at once and rises slowly) and above an absolute minimum, so steady line
 * noise is not taken for speech.
 */
export class NoiseFloor {
  private floor = Number.POSITIVE_INFINITY;
  private readonly ratio: number;
  private readonly minimum: number;

  constructor(options: { ratio?: number; minimum?: number } = {}) {
    this.ratio = options.ratio ?? 3;
    this.minimum = options.minimum ?? 0.005;
  }

  /** Feeds a frame; returns whether it is sound. */
  voiced(samples: Pcm16): boolean {
    const level = rms(samples);
    this.floor = level < this.floor ? level : this.floor + (level - this.floor) * 0.002;
    return this.isSound(level);
  }

  isSound(level: number): boolean {
    return level >= this.minimum && level >= this.floor * this.ratio;
  }
}
