import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { concatPcm16, type Pcm16 } from '../../src/audio/pcm.ts';
import { readWav } from '../../src/audio/wav.ts';

/** Real recorded speech with transcripts, from Debian's pocketsphinx-testdata (installed by scripts/setup.sh). */
export const TEST_DATA_DIR = '/usr/share/pocketsphinx/test/data';

export interface Utterance {
  readonly id: string;
  readonly text: string;
  readonly samples: Pcm16; // 16 kHz mono
}

function requireTestData(): void {
  if (!existsSync(TEST_DATA_DIR)) {
    throw new Error(`${TEST_DATA_DIR} is missing: install it with apt-get install -y pocketsphinx-testdata`);
  }
}

/** Parses a sphinx transcription file: `<s> words </s> (id)` or `words (id)` per line. */
function transcripts(path: string): Map<string, string> {
  const entries = readFileSync(path, 'utf8')
    .split('\n')
    .map((line) => /^(.*)\(([^)]+)\)\s*$/.exec(line.trim()))
    .filter((match) => match !== null)
    .map(
      (match) =>
        [
          match[2]!.trim(),
          match[1]!
            .replace(/<\/?s>/g, '')
            .trim()
            .toLowerCase(),
        ] as const,
    );
  return new Map(entries);
}

function corpus(dir: string, transcriptFile: string): Utterance[] {
  requireTestData();
  const texts = transcripts(`${TEST_DATA_DIR}/${dir}/${transcriptFile}`);
  return [...texts].map(([id, text]) => {
    const wav = readWav(readFileSync(`${TEST_DATA_DIR}/${dir}/${id}.wav`));
    if (wav.sampleRate !== 16000) throw new Error(`${id}.wav is ${wav.sampleRate} Hz, expected 16000`);
    return { id, text, samples: wav.samples };
  });
}

/** Five LibriVox read-speech utterances (71 words). */
export const librivox = (): Utterance[] => corpus('librivox', 'transcription');

/** Five "cards" utterances, which the cards.gram JSGF grammar covers. */
export const cards = (): Utterance[] => corpus('cards', 'cards.transcription');

export const silence = (ms: number, rate = 16000): Pcm16 => new Int16Array((rate * ms) / 1000);

/** Noise made by sox (pink, brown, a 120 Hz hum), as 16 kHz PCM16, at a speech-like level. */
export function noise(kind: 'pinknoise' | 'brownnoise' | 'hum', seconds: number): Pcm16 {
  const synth = kind === 'hum' ? ['sine', '120'] : [kind];
  const raw = execFileSync('sox', [
    '-n',
    '-r',
    '16000',
    '-b',
    '16',
    '-e',
    'signed',
    '-c',
    '1',
    '-t',
    'raw',
    '-',
    'synth',
    String(seconds),
    ...synth,
    'vol',
    '0.3',
  ]);
  return new Int16Array(raw.buffer, raw.byteOffset, raw.byteLength / 2);
}

export const join = concatPcm16;
