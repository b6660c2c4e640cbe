// npm run bench:speech — the local speech stack measured on real recorded speech (Debian
// pocketsphinx-testdata) and on flite speech: VAD cost, STT latency/RTF/WER, TTS latency/RTF, and
// event-loop lag while 4 recognizers stream at real-time pace.
import { setTimeout as sleep } from 'node:timers/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { concatPcm16, type Pcm16 } from '../src/audio/pcm.ts';
import { PocketsphinxStt } from '../src/speech/stt/pocketsphinx.ts';
import { FliteTts } from '../src/speech/tts/flite.ts';
import type { Recognizer } from '../src/speech/types.ts';
import { SileroVad } from '../src/speech/vad/silero.ts';
import { wordErrorRate } from '../src/speech/wer.ts';
import { join, librivox, silence } from '../test/helpers/speech-data.ts';
import { SERVICE_SENTENCES } from './lib/sentences.ts';
import { fmt, machine, mean, percentile, printTable } from './lib/stats.ts';

const FRAME = 320; // 20 ms at 16 kHz
const progress = (text: string) => process.stderr.write(`… ${text}\n`);

function benchVad(audio: Pcm16): number[] {
  const vad = new SileroVad();
  const perWindowUs: number[] = [];
  for (let offset = 0; offset < audio.length; offset += 512) {
    const started = performance.now();
    vad.process(audio.subarray(offset, offset + 512));
    perWindowUs.push((performance.now() - started) * 1000);
  }
  return perWindowUs.slice(50); // leave out the first windows (model warm-up)
}

/** Where speech starts in `audio`, by the VAD (the recordings have lead-ins of varying length). */
function speechOnsetMs(audio: Pcm16): number {
  const start = new SileroVad({ minSpeechMs: 32 })
    .process(audio)
    .find((event) => event.type === 'speech_start');
  return start?.type === 'speech_start' ? start.speechStartMs : 0;
}

interface StreamResult {
  /** From the speech onset in the stream to the first partial result. */
  firstPartialMs: number | undefined;
  finalizeMs: number;
  text: string;
}

/** Streams one utterance at real-time pace (20 ms frames), then ends it; times are wall-clock. */
async function streamRealtime(recognizer: Recognizer, audio: Pcm16, onsetMs: number): Promise<StreamResult> {
  let firstPartialMs: number | undefined;
  const started = performance.now();
  const onPartial = () => (firstPartialMs ??= performance.now() - started - onsetMs);
  recognizer.on('partial', onPartial);
  for (let offset = 0, next = started; offset < audio.length; offset += FRAME) {
    recognizer.write(audio.slice(offset, offset + FRAME));
    next += 20;
    await sleep(Math.max(0, next - performance.now()));
  }
  const flushAt = performance.now();
  const result = await recognizer.flush();
  recognizer.off('partial', onPartial);
  return { firstPartialMs, finalizeMs: performance.now() - flushAt, text: result.text };
}

async function main(): Promise<void> {
  process.stdout.write(`rtvoice speech benchmark — ${machine()}\n`);
  const utterances = librivox();
  const speech = join(utterances.flatMap((u) => [u.samples, silence(1000)]));

  progress('VAD: Silero v5 over 30 s of LibriVox speech');
  const vadUs = benchVad(join([speech, speech]));

  const stt = new PocketsphinxStt();
  progress('STT: loading 4 decoders');
  const recognizers = await Promise.all(Array.from({ length: 4 }, () => stt.open()));
  // One throwaway utterance each: a cold decoder's first utterance is slower and less accurate (live CMN).
  await Promise.all(recognizers.map(async (r) => (r.write(utterances[1]!.samples), await r.flush())));

  progress('STT: real-time factor, one recognizer at full speed');
  const rtfStarted = performance.now();
  for (const u of utterances) {
    for (let offset = 0; offset < u.samples.length; offset += FRAME)
      recognizers[0]!.write(u.samples.slice(offset, offset + FRAME));
    await recognizers[0]!.flush();
  }
  const rtf = (performance.now() - rtfStarted) / ((speech.length - 5 * 16000) / 16);

  progress('STT: 4 recognizers streaming LibriVox at real-time pace (about 30 s)');
  // Onsets are found before the lag monitor starts: the VAD pass is synchronous.
  const padded = utterances.map((u) => join([silence(300), u.samples, silence(300)]));
  const onsets = padded.map(speechOnsetMs);
  const lag = monitorEventLoopDelay({ resolution: 5 });
  lag.enable();
  const streams = await Promise.all(
    recognizers.map(async (recognizer, i) => {
      const results: StreamResult[] = [];
      for (let k = 0; k < utterances.length; k += 1) {
        const n = (i + k) % utterances.length;
        results.push(await streamRealtime(recognizer, padded[n]!, onsets[n]!));
      }
      return results.map((r, k) => ({ ...r, reference: utterances[(i + k) % utterances.length]!.text }));
    }),
  );
  lag.disable();
  const all = streams.flat();

  progress(`STT: flite → pocketsphinx round trip on ${SERVICE_SENTENCES.length} sentences`);
  const tts = new FliteTts();
  const firstAudioMs: number[] = [];
  const ttsRtf: number[] = [];
  const roundTrip: [string, string][] = [];
  for (const sentence of SERVICE_SENTENCES) {
    const started = performance.now();
    const chunks: Pcm16[] = [];
    for await (const chunk of tts.synthesize({ text: sentence, sampleRate: 16000 })) {
      if (chunks.length === 0) firstAudioMs.push(performance.now() - started);
      chunks.push(chunk);
    }
    const audio = concatPcm16(chunks);
    ttsRtf.push((performance.now() - started) / (audio.length / 16));
    for (let offset = 0; offset < audio.length; offset += FRAME)
      recognizers[1]!.write(audio.slice(offset, offset + FRAME));
    recognizers[1]!.write(silence(300));
    roundTrip.push([sentence, (await recognizers[1]!.flush()).text]);
  }
  for (const r of recognizers) r.close();
  await Promise.all([stt.close(), tts.close()]);

  const partials = all.map((r) => r.firstPartialMs).filter((v) => v !== undefined);
  const finalize = all.map((r) => r.finalizeMs);
  printTable('VAD (Silero v5 via sherpa-onnx, 32 ms windows)', [
    { metric: 'cost per window, mean', value: `${fmt(mean(vadUs), 0)} µs` },
    { metric: 'cost per window, p99', value: `${fmt(percentile(vadUs, 99), 0)} µs`, target: '≤ 500 µs' },
  ]);
  printTable('STT (pocketsphinx en-us, worker threads)', [
    { metric: 'real-time factor (1 stream, full speed)', value: fmt(rtf, 3) },
    { metric: 'first partial after speech onset, p50', value: `${fmt(percentile(partials, 50), 0)} ms` },
    { metric: 'first partial after speech onset, p95', value: `${fmt(percentile(partials, 95), 0)} ms` },
    { metric: 'finalize after flush(), p50', value: `${fmt(percentile(finalize, 50), 0)} ms` },
    {
      metric: 'finalize after flush(), p95',
      value: `${fmt(percentile(finalize, 95), 0)} ms`,
      target: '≤ 200 ms',
    },
    {
      metric: `WER, LibriVox read speech (${all.length} utterances)`,
      value: `${fmt(100 * wordErrorRate(all.map((r) => [r.reference, r.text])))} %`,
      target: 'about 30 % known baseline',
    },
    {
      metric: `WER, flite → pocketsphinx (${roundTrip.length} sentences)`,
      value: `${fmt(100 * wordErrorRate(roundTrip))} %`,
      target: '≤ 10 %',
    },
    {
      metric: 'event-loop lag p99, 4 real-time streams',
      value: `${fmt(lag.percentile(99) / 1e6)} ms`,
      target: '≤ 10 ms',
    },
    { metric: 'event-loop lag max, 4 real-time streams', value: `${fmt(lag.max / 1e6)} ms` },
  ]);
  printTable('TTS (flite slt, worker threads, one call per sentence)', [
    { metric: 'first audio, p50', value: `${fmt(percentile(firstAudioMs, 50))} ms` },
    { metric: 'first audio, p95', value: `${fmt(percentile(firstAudioMs, 95))} ms`, target: '≤ 60 ms' },
    { metric: 'real-time factor, mean', value: fmt(mean(ttsRtf), 3) },
  ]);
  const misheard = roundTrip.filter(([a, b]) => wordErrorRate([[a, b]]) > 0);
  if (misheard.length > 0) {
    process.stdout.write('\nRound-trip sentences not heard exactly:\n');
    for (const [said, heard] of misheard) process.stdout.write(`  said:  ${said}\n  heard: ${heard}\n`);
  }
}

await main();
