import { rms } from '../../../src/audio/levels.ts';
import type { Pcm16 } from '../../../src/audio/pcm.ts';
import type { Rng } from './rng.ts';

/** The phone line a caller is on: their speaking level, its noise, and for some a narrowband channel. */
export interface LineSpec {
  /** Active speech level, dBFS. */
  readonly levelDbfs: number;
  /** Speech level over the noise, dB. */
  readonly snrDb: number;
  readonly noise: 'white' | 'pink';
  /** 300-3400 Hz, a narrowband phone channel. */
  readonly bandPass: boolean;
}

const RATE = 16000;
const FRAME = RATE / 50;

export function drawLine(rng: Rng, bandPass: boolean): LineSpec {
  return {
    levelDbfs: Math.round(rng.between(-24, -17)),
    snrDb: Math.round(rng.between(25, 35)),
    noise: rng.chance(0.5) ? 'white' : 'pink',
    bandPass,
  };
}

export function lineLabel(line: LineSpec): string {
  return `${line.levelDbfs} dBFS, ${line.noise} noise at ${line.snrDb} dB SNR${line.bandPass ? ', 300-3400 Hz' : ''}`;
}

/**
 * An utterance as it reaches the server: its parts at the caller's level, joined by pauses, with a little
 * line noise before and after the words (the caller's stream is digital silence between utterances) and
 * under them, band-limited if the line is narrowband.
 */
export function onTheLine(
  parts: readonly Pcm16[],
  pausesMs: readonly number[],
  line: LineSpec,
  rng: Rng,
): Pcm16 {
  const target = 10 ** (line.levelDbfs / 20);
  const gaps = pausesMs.map((ms) => Math.round((ms * RATE) / 1000));
  const lead = Math.round(rng.between(0.1, 0.2) * RATE);
  const tail = Math.round(0.12 * RATE);
  const length = lead + tail + parts.reduce((n, p) => n + p.length, 0) + gaps.reduce((n, g) => n + g, 0);
  const mix = new Float64Array(length);
  let at = lead;
  parts.forEach((part, i) => {
    const gain = target / activeLevel(part);
    for (let j = 0; j < part.length; j += 1) mix[at + j] = (part[j]! / 32768) * gain;
    at += part.length + (gaps[i] ?? 0);
  });
  addNoise(mix, target * 10 ** (-line.snrDb / 20), line.noise, rng);
  if (line.bandPass) bandPass(mix);
  const out = new Int16Array(length);
  for (let i = 0; i < length; i += 1) out[i] = Math.max(-32768, Math.min(32767, Math.round(mix[i]! * 32768)));
  return out;
}

/** RMS over the frames that carry the words (within 20 dB of the loudest), 0-1 of full scale. */
function activeLevel(samples: Pcm16): number {
  const frames: number[] = [];
  for (let i = 0; i + FRAME <= samples.length; i += FRAME) frames.push(rms(samples.subarray(i, i + FRAME)));
  const loud = Math.max(...frames, 1e-6) / 10;
  const active = frames.filter((level) => level >= loud);
  return (
    Math.sqrt(active.reduce((sum, level) => sum + level * level, 0) / Math.max(1, active.length)) || 1e-6
  );
}

function addNoise(mix: Float64Array, level: number, kind: LineSpec['noise'], rng: Rng): void {
  const noise = new Float64Array(mix.length);
  // Paul Kellet's filter turns white noise pink (-3 dB per octave).
  let [b0, b1, b2, b3, b4, b5, b6] = [0, 0, 0, 0, 0, 0, 0];
  for (let i = 0; i < noise.length; i += 1) {
    const w = rng.next() * 2 - 1;
    if (kind === 'white') {
      noise[i] = w;
      continue;
    }
    b0 = 0.99886 * b0 + w * 0.0555179;
    b1 = 0.99332 * b1 + w * 0.0750759;
    b2 = 0.969 * b2 + w * 0.153852;
    b3 = 0.8665 * b3 + w * 0.3104856;
    b4 = 0.55 * b4 + w * 0.5329522;
    b5 = -0.7616 * b5 - w * 0.016898;
    noise[i] = b0 + b1 + b2 + b3 + b4 + b5 + b6 + w * 0.5362;
    b6 = w * 0.115926;
  }
  const power = noise.reduce((sum, v) => sum + v * v, 0) / Math.max(1, noise.length);
  const gain = level / Math.sqrt(power || 1);
  for (let i = 0; i < mix.length; i += 1) mix[i]! += noise[i]! * gain;
}

/** A 300 Hz high-pass and a 3400 Hz low-pass (RBJ biquads, Butterworth Q), in place. */
function bandPass(mix: Float64Array): void {
  biquad(mix, 'high', 300);
  biquad(mix, 'low', 3400);
}

function biquad(x: Float64Array, type: 'high' | 'low', f0: number): void {
  const w0 = (2 * Math.PI * f0) / RATE;
  const alpha = Math.sin(w0) / (2 * Math.SQRT1_2);
  const cos = Math.cos(w0);
  const b1 = type === 'low' ? 1 - cos : -(1 + cos);
  const b0 = type === 'low' ? b1 / 2 : -b1 / 2;
  const a0 = 1 + alpha;
  const [nb0, nb1, nb2, na1, na2] = [b0 / a0, b1 / a0, b0 / a0, (-2 * cos) / a0, (1 - alpha) / a0];
  let [x1, x2, y1, y2] = [0, 0, 0, 0];
  for (let i = 0; i < x.length; i += 1) {
    const y = nb0 * x[i]! + nb1 * x1 + nb2 * x2 - na1 * y1 - na2 * y2;
    [x2, x1, y2, y1] = [x1, x[i]!, y1, y];
    x[i] = y;
  }
}
