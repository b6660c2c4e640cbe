import { spawn } from 'node:child_process';
import { trimSilence } from '../../../src/audio/levels.ts';
import { concatPcm16, type Pcm16 } from '../../../src/audio/pcm.ts';
import { createResampler } from '../../../src/audio/resampler.ts';
import { readWav } from '../../../src/audio/wav.ts';
import { createTts } from '../../../src/speech/providers.ts';
import type { TtsProvider } from '../../../src/speech/types.ts';
import type { Rng } from './rng.ts';

/**
 * A caller's voice: none the agents speak with (they use flite's slt, rms and awb, agents/voices.yaml).
 * flite has two more on Debian (kal16, and kal at 8 kHz, which sounds like a phone line); espeak-ng
 * variants at varied speed and pitch add male and female voices of another synthesis technique.
 */
export type CallerVoice =
  | { readonly engine: 'flite'; readonly voice: 'kal16' | 'kal'; readonly rate: number }
  | { readonly engine: 'espeak'; readonly voice: string; readonly speed: number; readonly pitch: number };

const ESPEAK_VOICES = ['en-us+m3', 'en+f2', 'en-us+f4', 'en-us+m1', 'en+f3', 'en-us+m7'];
const RATE = 16000;

export function drawVoice(rng: Rng): CallerVoice {
  const roll = rng.next();
  if (roll < 0.25) return { engine: 'flite', voice: 'kal16', rate: round(rng.between(0.9, 1.15)) };
  if (roll < 0.4) return { engine: 'flite', voice: 'kal', rate: round(rng.between(0.9, 1.1)) };
  return {
    engine: 'espeak',
    voice: rng.pick(ESPEAK_VOICES),
    speed: rng.int(140, 190),
    pitch: rng.int(30, 70),
  };
}

const round = (value: number) => Math.round(value * 100) / 100;

/** The same voice about 20 % slower: how a caller repeats themselves to a machine that did not get it. */
export function slower(voice: CallerVoice): CallerVoice {
  return voice.engine === 'flite'
    ? { ...voice, rate: round(voice.rate * 0.8) }
    : { ...voice, speed: Math.round(voice.speed * 0.8) };
}

export function voiceLabel(voice: CallerVoice): string {
  return voice.engine === 'flite'
    ? `flite ${voice.voice} ×${voice.rate}`
    : `espeak-ng ${voice.voice} -s ${voice.speed} -p ${voice.pitch}`;
}

/** Speaks caller lines at 16 kHz, each text and voice once (callers repeat themselves). */
export class CallerSpeech {
  private readonly flite: TtsProvider = createTts('flite', {});
  private readonly cache = new Map<string, Promise<Pcm16>>();

  speak(text: string, voice: CallerVoice): Promise<Pcm16> {
    const key = `${voiceLabel(voice)}|${text}`;
    let audio = this.cache.get(key);
    if (!audio) {
      audio = voice.engine === 'flite' ? this.fliteSpeak(text, voice.voice, voice.rate) : espeak(text, voice);
      this.cache.set(key, audio);
    }
    return audio;
  }

  close(): Promise<void> {
    return this.flite.close();
  }

  private async fliteSpeak(text: string, voice: string, rate: number): Promise<Pcm16> {
    const parts: Pcm16[] = [];
    for await (const chunk of this.flite.synthesize({ text, voice, rate, sampleRate: RATE }))
      parts.push(chunk);
    return concatPcm16(parts);
  }
}

async function espeak(text: string, voice: Extract<CallerVoice, { engine: 'espeak' }>): Promise<Pcm16> {
  const args = [
    '-v',
    voice.voice,
    '-s',
    String(voice.speed),
    '-p',
    String(voice.pitch),
    '--stdout',
    '--',
    text,
  ];
  const child = spawn('espeak-ng', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) throw new Error(`espeak-ng ${args.join(' ')} failed (${code}): ${stderr.trim()}`);
  const wav = readWav(Buffer.concat(chunks));
  const resampler = await createResampler(wav.sampleRate, RATE);
  try {
    const audio = concatPcm16([resampler.process(wav.samples), resampler.flush()]);
    // espeak-ng leaves silence around the words; flite's is trimmed the same way by its provider.
    return trimSilence(audio, RATE, { keepLeadMs: 15, keepTailMs: 90, threshold: 0.003 });
  } finally {
    resampler.destroy();
  }
}
