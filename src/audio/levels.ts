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
