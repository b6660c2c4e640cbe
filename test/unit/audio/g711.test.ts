import { describe, expect, it } from 'vitest';
import { alaw, mulaw } from '../../../src/audio/g711.ts';
import { sine } from '../../helpers/signals.ts';

function snrDb(reference: Int16Array, decoded: Int16Array): number {
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < reference.length; i += 1) {
    signal += reference[i]! ** 2;
    noise += (reference[i]! - decoded[i]!) ** 2;
  }
  return 10 * Math.log10(signal / noise);
}

describe('G.711', () => {
  it('matches the standard code points', () => {
    expect([...mulaw.encode(Int16Array.from([0, 32767, -32768]))]).toEqual([0xff, 0x80, 0x00]);
    expect([...mulaw.decode(Uint8Array.from([0xff, 0x80, 0x00]))]).toEqual([0, 32124, -32124]);
    expect([...alaw.encode(Int16Array.from([0]))]).toEqual([0xd5]);
    expect([...alaw.decode(Uint8Array.from([0xd5]))]).toEqual([8]);
  });

  it('round-trips speech-level audio with telephone quality (SNR > 30 dB)', () => {
    const tone = sine(440, 8000, 8000, 0.3);
    expect(snrDb(tone, mulaw.decode(mulaw.encode(tone)))).toBeGreaterThan(30);
    expect(snrDb(tone, alaw.decode(alaw.encode(tone)))).toBeGreaterThan(30);
  });
});
