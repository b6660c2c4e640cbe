// npm run bench:audio — cost of the audio core per 20 ms frame (ns), the work done for every frame of
// every call: framing, base64 both ways, G.711, resampling, levels.
import { Framer } from '../src/audio/framer.ts';
import { mulaw } from '../src/audio/g711.ts';
import { rms } from '../src/audio/levels.ts';
import { base64ToPcm16, pcm16ToBase64 } from '../src/audio/pcm.ts';
import { createResampler } from '../src/audio/resampler.ts';
import { sine } from '../test/helpers/signals.ts';
import { fmt, machine, printTable } from './lib/stats.ts';

const FRAMES = 20_000;

/** Nanoseconds per call of `work`, after a warm-up, over FRAMES calls. */
function nsPerFrame(work: (i: number) => unknown): number {
  for (let i = 0; i < 2000; i += 1) work(i);
  const started = process.hrtime.bigint();
  for (let i = 0; i < FRAMES; i += 1) work(i);
  return Number(process.hrtime.bigint() - started) / FRAMES;
}

const frame16k = sine(440, 16000, 320);
const frame8k = sine(440, 8000, 160);
const base64 = pcm16ToBase64(frame16k);
const ulaw = mulaw.encode(frame8k);
const framer = new Framer(16000);
const oddChunk = sine(440, 16000, 333);
const up = await createResampler(16000, 48000);
const down = await createResampler(48000, 16000);
const frame48k = sine(440, 48000, 960);

process.stdout.write(`rtvoice audio benchmark — ${machine()}\n`);
printTable('Per 20 ms frame (ns; a real-time call spends 20,000,000 ns per frame)', [
  {
    metric: 'framer: 333-sample chunks into 20 ms frames',
    value: fmt(
      nsPerFrame(() => framer.push(oddChunk)),
      0,
    ),
  },
  {
    metric: 'base64 encode (16 kHz frame)',
    value: fmt(
      nsPerFrame(() => pcm16ToBase64(frame16k)),
      0,
    ),
  },
  {
    metric: 'base64 decode (16 kHz frame)',
    value: fmt(
      nsPerFrame(() => base64ToPcm16(base64)),
      0,
    ),
  },
  {
    metric: 'G.711 μ-law encode (8 kHz frame)',
    value: fmt(
      nsPerFrame(() => mulaw.encode(frame8k)),
      0,
    ),
  },
  {
    metric: 'G.711 μ-law decode (8 kHz frame)',
    value: fmt(
      nsPerFrame(() => mulaw.decode(ulaw)),
      0,
    ),
  },
  {
    metric: 'resample 16 → 48 kHz (streaming sinc)',
    value: fmt(
      nsPerFrame(() => up.process(frame16k)),
      0,
    ),
  },
  {
    metric: 'resample 48 → 16 kHz (streaming sinc)',
    value: fmt(
      nsPerFrame(() => down.process(frame48k)),
      0,
    ),
  },
  {
    metric: 'rms level (16 kHz frame)',
    value: fmt(
      nsPerFrame(() => rms(frame16k)),
      0,
    ),
  },
]);
