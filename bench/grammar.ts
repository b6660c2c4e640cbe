// npm run bench:grammar — does a question's grammar force answers? Answers and off-script speech at the
// demo's two grammars (digits, yes/no), spoken by seven voices the agents do not use (flite and espeak-ng)
// with white line noise at 25 dB SNR, recognised by the real pocketsphinx recognizer (its worker decodes
// with the grammar and the open model and decides). Reports how much off-script speech is rejected and how
// many answers the grammar heard right are kept. (What the second decoding costs a call is in bench:e2e's
// voice-to-voice: the flows' constrained prompts run it.)
import { extractSlot, type SlotSpec } from '../src/agents/flow/extractors/index.ts';
import { metaIntentOf } from '../src/agents/flow/meta-intents.ts';
import { concatPcm16, type Pcm16 } from '../src/audio/pcm.ts';
import { builtInGrammar } from '../src/speech/grammars.ts';
import { createTts } from '../src/speech/providers.ts';
import { PocketsphinxStt } from '../src/speech/stt/pocketsphinx.ts';
import type { TtsProvider } from '../src/speech/types.ts';
import { fmt, machine, printTable } from './lib/stats.ts';

const ANSWERS: Record<string, readonly string[]> = {
  digits: [
    'six oh six oh one',
    'my zip code is six zero six zero one',
    'nine four one zero five',
    'one two three four',
    'it is one zero zero zero one',
    'five six seven eight',
    'four three two one',
    'one oh oh oh one',
    'my zip is nine four one oh five',
  ],
  yes_no: [
    'yes',
    'no',
    'no one',
    'yes please',
    "that's right",
    'nope',
    'not really',
    'yeah',
    'correct',
    'no thank you',
    'sure',
    'um yes',
    'nobody',
  ],
};
const OFF_SCRIPT = [
  'what are your office hours',
  'does my policy cover rental cars',
  'I do not know my zip code',
  'hold on a second',
  'can I talk to a real person',
  'I have a question about my policy',
  'wait stop I have a question',
  'when do you open tomorrow',
  'how much is my deductible',
  'my wife was driving',
  'I am not sure',
  'what was the question',
  'it was my neighbor',
  'let me check',
  'I think it was Tuesday',
];
const flite = createTts('flite', {});
const espeak = createTts('espeak', {});
const VOICES: [TtsProvider, string][] = [
  [flite, 'kal16'],
  [flite, 'slt'],
  [flite, 'awb'],
  [flite, 'rms'],
  [espeak, 'en-us+m3'],
  [espeak, 'en+f2'],
  [espeak, 'en-us+f4'],
];

async function spoken(tts: TtsProvider, voice: string, text: string): Promise<Pcm16> {
  const parts: Pcm16[] = [];
  for await (const chunk of tts.synthesize({ text, voice, sampleRate: 16000 })) parts.push(chunk);
  return concatPcm16(parts);
}

/** 100 ms of silence around the words, and white noise 25 dB below the speech over all of it. */
function onTheLine(speech: Pcm16, seed: number): Pcm16 {
  let state = seed;
  const random = () => ((state = (state * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff) * 2 - 1;
  const power = speech.reduce((sum, x) => sum + x * x, 0) / speech.length;
  const noise = (Math.sqrt(power) / 10 ** (25 / 20)) * Math.sqrt(3);
  const line = new Int16Array(speech.length + 3200);
  line.set(speech, 1600);
  return line.map((x) => Math.max(-32768, Math.min(32767, Math.round(x + random() * noise))));
}

/** The demo's questions under each grammar: what an answer must be to be committed. */
const SLOTS: Record<string, SlotSpec> = {
  digits: { type: 'digits', lengths: [4, 5] },
  yes_no: { type: 'yes_no' },
};

/** Whether the flow would commit this result as an answer (docs/AGENTS.md §4.6, §4.8). */
function committed(
  result: { text: string; inGrammar?: boolean; alternatives?: readonly string[] },
  grammar: string,
) {
  if (result.inGrammar === false) return false; // both readings agreeing is left out: rare, and still right
  if (metaIntentOf(result.text) ?? metaIntentOf(result.alternatives?.[0] ?? '')) return false;
  return extractSlot(result.text, SLOTS[grammar]!).ok;
}

const normal = (text: string) => text.toLowerCase().replace("it's", 'it is');
const stt = new PocketsphinxStt();
let answers = 0;
let answersHeardRight = 0;
let keptRight = 0;
let offScript = 0;
let rejected = 0;
let committedOffScript = 0;
const missed: string[] = [];
process.stdout.write(`rtvoice grammar bench: ${machine()}\n`);
for (const [index, [tts, voice]] of VOICES.entries()) {
  for (const [grammar, phrases] of Object.entries(ANSWERS)) {
    const recognizer = await stt.open({ grammar: builtInGrammar(grammar) });
    const cases = [
      ...phrases.map((text) => ({ text, answer: true })),
      ...OFF_SCRIPT.map((text) => ({ text, answer: false })),
    ];
    for (const { text, answer } of cases) {
      const audio = onTheLine(await spoken(tts, voice, text), text.length + index);
      for (let at = 0; at < audio.length; at += 320) recognizer.write(audio.subarray(at, at + 320));
      const result = await recognizer.flush();
      if (answer) {
        answers += 1;
        // The grammar's own reading: the kept result's text, or the alternative of a rejected one.
        const reading = result.inGrammar ? result.text : (result.alternatives?.[0] ?? '');
        if (normal(reading) !== normal(text)) continue;
        answersHeardRight += 1;
        if (result.inGrammar) keptRight += 1;
      } else {
        offScript += 1;
        if (result.inGrammar === false) rejected += 1;
        else missed.push(`${voice}, ${grammar}: "${text}" taken as "${result.text}"`);
        if (committed(result, grammar)) committedOffScript += 1;
      }
    }
    recognizer.close();
  }
  process.stderr.write(`\r${index + 1}/${VOICES.length} voices`);
}
process.stderr.write('\n');
await Promise.all([stt.close(), flite.close(), espeak.close()]);

const pct = (part: number, whole: number) => `${fmt((100 * part) / whole, 0)} % (${part} of ${whole})`;
printTable('Grammar or not: off-script speech at constrained prompts (7 voices, 25 dB SNR)', [
  {
    metric: 'off-script utterances rejected (read by the open model)',
    value: pct(rejected, offScript),
    target: '≥ 90 %',
  },
  {
    metric: 'off-script utterances a flow would commit as an answer',
    value: pct(committedOffScript, offScript),
  },
  { metric: 'answers the grammar heard right, kept', value: pct(keptRight, answersHeardRight) },
  { metric: 'answers the grammar heard wrong', value: pct(answers - answersHeardRight, answers) },
]);
for (const line of missed) process.stdout.write(`  taken: ${line}\n`);
