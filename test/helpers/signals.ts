import type { Pcm16 } from '../../src/audio/pcm.ts';

/** A sine tone as PCM16. */
export function sine(frequency: number, sampleRate: number, samples: number, amplitude = 0.5): Pcm16 {
  const out = new Int16Array(samples);
  for (let i = 0; i < samples; i += 1)
    out[i] = Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * frequency * i) / sampleRate));
  return out;
}
