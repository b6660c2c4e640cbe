import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { concatPcm16, type Pcm16 } from '../audio/pcm.ts';
import { writeWav } from '../audio/wav.ts';
import { errorMessage, RtvoiceError } from '../errors.ts';
import { loadConfig } from '../config/config.ts';
import { createTts } from '../speech/providers.ts';

const USAGE = `Usage: rtvoice synthesize "<text>" --out <file.wav> [--voice <name>] [--rate <0.5-2>] [--provider flite|espeak|azure] [--sample-rate <Hz>]

Speaks the text (or SSML-lite: <speak>… <break time="300ms"/> …</speak>) into a 16-bit mono WAV file.
  --voice        flite: slt (default), kal16, awb, rms, kal; espeak: en-us (default), es, fr, de, …
  --rate         speaking rate, 1 is normal
  --sample-rate  output rate, 16000 by default`;

export async function synthesize(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      out: { type: 'string', short: 'o' },
      voice: { type: 'string' },
      rate: { type: 'string', default: '1' },
      provider: { type: 'string', default: 'flite' },
      'sample-rate': { type: 'string', default: '16000' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || positionals.length !== 1 || !values.out) {
    process.stderr.write(`${USAGE}\n`);
    return values.help ? 0 : 1;
  }
  let tts;
  try {
    tts = createTts(values.provider, { azure: loadConfig().azureSpeech });
  } catch (err) {
    process.stderr.write(`rtvoice synthesize: ${errorMessage(err)}\n`);
    return 1;
  }
  try {
    const sampleRate = Number(values['sample-rate']);
    const started = performance.now();
    let firstAudioMs: number | undefined;
    const chunks: Pcm16[] = [];
    for await (const chunk of tts.synthesize({
      text: positionals[0]!,
      voice: values.voice,
      rate: Number(values.rate),
      sampleRate,
    })) {
      firstAudioMs ??= performance.now() - started;
      chunks.push(chunk);
    }
    const audio = concatPcm16(chunks);
    if (audio.length === 0) throw new RtvoiceError('NOTHING_TO_SAY', 'the text has nothing to speak');
    writeFileSync(values.out, writeWav(audio, sampleRate));
    process.stderr.write(
      `wrote ${values.out}: ${(audio.length / sampleRate).toFixed(2)} s at ${sampleRate} Hz (first audio after ${firstAudioMs!.toFixed(0)} ms)\n`,
    );
    return 0;
  } catch (err) {
    process.stderr.write(`rtvoice synthesize: ${errorMessage(err)}\n`);
    return 1;
  } finally {
    await tts.close();
  }
}
