import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Framer } from '../audio/framer.ts';
import { createResampler } from '../audio/resampler.ts';
import { readWav } from '../audio/wav.ts';
import { errorMessage } from '../errors.ts';
import { createStt } from '../speech/providers.ts';
import { PIPELINE_SAMPLE_RATE } from '../speech/types.ts';
import { SileroVad } from '../speech/vad/silero.ts';

const USAGE = `Usage: rtvoice transcribe <file.wav> [--partials] [--grammar <file.gram>] [--provider pocketsphinx]

Recognises the speech in a PCM WAV file (any rate, any channels) the way a call is recognised:
voice activity detection cuts it into utterances, each is transcribed. Each utterance is printed to
stderr as it is recognised; the whole transcript is the last line of stdout.
  --partials   also print partial results to stderr
  --grammar    constrain recognition to a JSGF grammar`;

export async function transcribe(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      partials: { type: 'boolean', default: false },
      grammar: { type: 'string' },
      provider: { type: 'string', default: 'pocketsphinx' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || positionals.length !== 1) {
    process.stderr.write(`${USAGE}\n`);
    return values.help ? 0 : 1;
  }
  const path = positionals[0]!;
  let samples: Int16Array;
  let grammar: string | undefined;
  try {
    const wav = readWav(readFileSync(path));
    const resampler = await createResampler(wav.sampleRate, PIPELINE_SAMPLE_RATE);
    samples = Int16Array.from([...resampler.process(wav.samples), ...resampler.flush()]);
    grammar = values.grammar === undefined ? undefined : readFileSync(values.grammar, 'utf8');
  } catch (err) {
    process.stderr.write(`rtvoice transcribe: ${path}: ${errorMessage(err)}\n`);
    return 1;
  }

  const stt = createStt(values.provider);
  try {
    const recognizer = await stt.open({ grammar });
    if (values.partials) recognizer.on('partial', (text) => process.stderr.write(`… ${text}\n`));
    const vad = new SileroVad();
    const framer = new Framer(PIPELINE_SAMPLE_RATE);
    const utterances: Promise<string>[] = [];
    let speaking = false;
    const frames = [...framer.push(samples), framer.flush()].filter((frame) => frame !== undefined);
    for (const frame of frames) {
      recognizer.write(frame.samples);
      for (const event of vad.process(frame.samples)) {
        speaking = event.type === 'speech_start';
        if (!speaking) utterances.push(finalText(recognizer.flush()));
      }
    }
    if (speaking || utterances.length === 0) utterances.push(finalText(recognizer.flush()));
    const texts = (await Promise.all(utterances)).filter(Boolean);
    recognizer.close();
    process.stdout.write(`${texts.join(' ')}\n`);
    return 0;
  } finally {
    await stt.close();
  }
}

async function finalText(result: Promise<{ text: string; startMs: number; endMs: number }>): Promise<string> {
  const { text, startMs, endMs } = await result;
  if (text) process.stderr.write(`[${(startMs / 1000).toFixed(2)}-${(endMs / 1000).toFixed(2)} s] ${text}\n`);
  return text;
}
