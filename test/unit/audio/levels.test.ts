import { describe, expect, it } from 'vitest';
import { peak, rms, toDbfs } from '../../../src/audio/levels.ts';
import { sine } from '../../helpers/signals.ts';

describe('levels', () => {
  it('measures a sine: rms = amplitude / √2, peak = amplitude', () => {
    const tone = sine(1000, 16000, 16000, 0.5);
    expect(rms(tone)).toBeCloseTo(0.5 / Math.SQRT2, 3);
    expect(peak(tone)).toBeCloseTo(0.5, 3);
    expect(toDbfs(rms(tone))).toBeCloseTo(-9.03, 1);
  });

  it('gives zero for silence and empty input', () => {
    expect(rms(new Int16Array(100))).toBe(0);
    expect(rms(new Int16Array(0))).toBe(0);
    expect(toDbfs(0)).toBe(-Infinity);
  });
});
