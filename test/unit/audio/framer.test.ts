import { describe, expect, it } from 'vitest';
import { Framer } from '../../../src/audio/framer.ts';
import { concatPcm16 } from '../../../src/audio/pcm.ts';

const ramp = (n: number) => Int16Array.from({ length: n }, (_, i) => (i % 30000) + 1);

describe('Framer', () => {
  it.each([8000, 16000, 24000, 48000])('cuts exact 20 ms frames at %i Hz', (rate) => {
    const framer = new Framer(rate);
    const frames = framer.push(ramp(rate / 10)); // 100 ms
    expect(frames).toHaveLength(5);
    for (const frame of frames) {
      expect(frame.samples.length).toBe(rate / 50);
      expect(frame.padded).toBe(false);
    }
  });

  it('loses nothing across chunks of any size, and pads the tail', () => {
    const input = ramp(16000 * 0.5 + 123);
    const framer = new Framer(16000);
    const frames = [];
    for (let offset = 0, size = 1; offset < input.length; offset += size, size = (size * 7 + 3) % 997) {
      frames.push(...framer.push(input.subarray(offset, offset + size)));
    }
    const tail = framer.flush();
    expect(tail).toMatchObject({ padded: true, validSamples: (16000 * 0.5 + 123) % 320 });
    frames.push(tail!);
    const output = concatPcm16(frames.map((f) => f.samples));
    expect(output.length % 320).toBe(0);
    expect([...output.subarray(0, input.length)]).toEqual([...input]);
    expect(output.subarray(input.length).every((s) => s === 0)).toBe(true);
    expect(framer.flush()).toBeUndefined();
  });

  it('gives frames the caller may keep (later pushes do not overwrite them)', () => {
    const framer = new Framer(8000);
    const [first] = framer.push(new Int16Array(160).fill(7));
    framer.push(new Int16Array(160).fill(9));
    expect(first!.samples.every((s) => s === 7)).toBe(true);
  });

  it('refuses a frame length that is not a whole number of samples', () => {
    expect(() => new Framer(44100, 10.5)).toThrow(RangeError);
  });
});
