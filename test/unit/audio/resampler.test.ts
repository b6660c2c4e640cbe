import { describe, expect, it } from 'vitest';
import { rms } from '../../../src/audio/levels.ts';
import { concatPcm16, type Pcm16 } from '../../../src/audio/pcm.ts';
import { createResampler } from '../../../src/audio/resampler.ts';
import { sine } from '../../helpers/signals.ts';

async function resampleInChunks(input: Pcm16, from: number, to: number, chunk: number): Promise<Pcm16> {
  const resampler = await createResampler(from, to);
  const parts: Pcm16[] = [];
  for (let offset = 0; offset < input.length; offset += chunk)
    parts.push(resampler.process(input.subarray(offset, offset + chunk)));
  parts.push(resampler.flush());
  resampler.destroy();
  return concatPcm16(parts);
}

/** Largest jump between neighbouring samples: a click at a chunk edge shows up as an outlier. */
function maxStep(samples: Pcm16, from: number, to: number): number {
  let max = 0;
  for (let i = from + 1; i < to; i += 1) max = Math.max(max, Math.abs(samples[i]! - samples[i - 1]!));
  return max;
}

describe('createResampler', () => {
  it.each([
    [16000, 48000],
    [48000, 16000],
    [24000, 16000],
    [16000, 8000],
    [8000, 16000],
    [22050, 16000],
  ])('%i → %i Hz in 20 ms chunks keeps the length and the tone, without clicks', async (from, to) => {
    const input = sine(440, from, from); // one second
    const output = await resampleInChunks(input, from, to, from / 50);
    expect(output.length).toBe(to);
    const settled = output.subarray(to / 10, to - to / 10);
    expect(rms(settled)).toBeCloseTo(0.5 / Math.SQRT2, 1);
    // A 440 Hz sine at amplitude 0.5 moves at most 2π·440/rate·0.5·32767 per sample.
    const smooth = (2 * Math.PI * 440 * 0.5 * 32767) / to;
    expect(maxStep(output, to / 10, to - to / 10)).toBeLessThan(smooth * 1.1);
  });

  it('removes content above the new Nyquist frequency when downsampling (no aliasing)', async () => {
    const output = await resampleInChunks(sine(10_000, 48000, 48000), 48000, 16000, 960);
    expect(rms(output.subarray(1600, 14400))).toBeLessThan(0.005);
  });

  it('passes audio through unchanged at equal rates', async () => {
    const resampler = await createResampler(16000, 16000);
    const chunk = sine(440, 16000, 320);
    expect(resampler.process(chunk)).toBe(chunk);
    expect(resampler.flush()).toHaveLength(0);
  });
});
