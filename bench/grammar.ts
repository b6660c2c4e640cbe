// npm run bench:grammar — does a question's grammar force answers, and do a question's phrases help open
// answers? Answers and off-script speech at the demo's grammars (digits, yes/no, the policy holders' names),
// spoken by seven voices the agents do not use (flite and espeak-ng) with white line noise at 25 dB SNR,
// recognised by the real pocketsphinx recognizer (its worker decodes with the grammar and the open model and
// decides). Reports how much off-script speech is rejected, how many answers the grammar heard right are
// kept, and how many the open model alone would have got. Then descriptions of a loss, and speech unlike
// them, at the claims agent's "what happened?", with its phrases and without: word errors. (What the second
// decoding costs a call is in bench:e2e's voice-to-voice: the flows' constrained prompts run it.)
import { extractSlot, type SlotSpec } from '../src/agents/flow/extractors/index.ts';
import { metaIntentOf } from '../src/agents/flow/meta-intents.ts';
import { concatPcm16, type Pcm16 } from '../src/audio/pcm.ts';
import { readFileSync } from 'node:fs';
import { builtInGrammar } from '../src/speech/grammars.ts';
import { createTts } from '../src/speech/providers.ts';
import { PocketsphinxStt } from '../src/speech/stt/pocketsphinx.ts';
import type { TtsProvider } from '../src/speech/types.ts';
import { wordErrorRate } from '../src/speech/wer.ts';
import { DEMO_POLICIES } from '../src/agents/demo/policies.ts';
import { descriptions } from './lib/dialog/corpus.ts';
import { fmt, machine, printTable } from './lib/stats.ts';

const HOLDERS = ['Alice Brown', 'Bob Martinez', 'Carol Nguyen'];
const ANSWERS: Record<string, readonly string[]> = {
  names: HOLDERS.flatMap((name) => [name, `my name is ${name}`, `this is ${name}`, `hi it's ${name}`]),
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
const GRAMMARS: Record<string, string> = {
  digits: builtInGrammar('digits')!,
  yes_no: builtInGrammar('yes_no')!,
  names: readFileSync('agents/grammars/policy-holders.jsgf', 'utf8'),
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
  names: { type: 'name' },
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
/** The answer a reading gives the question, for comparing readings by meaning ("yes please" and "yes"). */
const answerIn = (reading: string, grammar: string) => {
  const extraction = extractSlot(reading, SLOTS[grammar]!);
  return extraction.ok ? String(extraction.value).toLowerCase() : undefined;
};
const stt = new PocketsphinxStt();
const tally = () => ({
  answers: 0,
  heardRight: 0,
  keptRight: 0,
  openRight: 0,
  offScript: 0,
  rejected: 0,
  committed: 0,
});
const byGrammar: Record<string, ReturnType<typeof tally>> = {};
const missed: string[] = [];
process.stdout.write(`rtvoice grammar bench: ${machine()}\n`);
for (const [index, [tts, voice]] of VOICES.entries()) {
  for (const [grammar, phrases] of Object.entries(ANSWERS)) {
    const t = (byGrammar[grammar] ??= tally());
    const recognizer = await stt.open({ grammar: GRAMMARS[grammar] });
    const cases = [
      ...phrases.map((text) => ({ text, answer: true })),
      ...OFF_SCRIPT.map((text) => ({ text, answer: false })),
    ];
    for (const { text, answer } of cases) {
      const audio = onTheLine(await spoken(tts, voice, text), text.length + index);
      for (let at = 0; at < audio.length; at += 320) recognizer.write(audio.subarray(at, at + 320));
      const result = await recognizer.flush();
      if (answer) {
        t.answers += 1;
        // The grammar's own reading: the kept result's text, or the alternative of a rejected one.
        const reading = result.inGrammar ? result.text : (result.alternatives?.[0] ?? '');
        const open = result.inGrammar ? (result.alternatives?.[0] ?? '') : result.text;
        if (answerIn(open, grammar) === answerIn(text, grammar)) t.openRight += 1;
        if (normal(reading) !== normal(text)) continue;
        t.heardRight += 1;
        if (result.inGrammar) t.keptRight += 1;
      } else {
        t.offScript += 1;
        if (result.inGrammar === false) t.rejected += 1;
        else missed.push(`${voice}, ${grammar}: "${text}" taken as "${result.text}"`);
        if (committed(result, grammar)) t.committed += 1;
      }
    }
    recognizer.close();
  }
  process.stderr.write(`\r${index + 1}/${VOICES.length} voices`);
}
process.stderr.write('\n');

// Open questions: what happened, heard with the claims agent's phrases and with the general model alone.
const PHRASES = readFileSync('agents/phrases/loss-descriptions.txt', 'utf8')
  .split('\n')
  .filter((line) => line.trim() && !line.startsWith('#'));
/** Said in other words than the phrase file's (bench:dialog's callers' descriptions). */
const DESCRIBED = [...new Set(DEMO_POLICIES.flatMap((policy) => descriptions(policy).map((d) => d.text)))];
/** Said at the same question, unlike any phrase. */
const UNLIKE = [
  'I have a question about my policy',
  'my neighbor saw the whole thing',
  'it happened near the school on elm street',
  'what are your office hours',
  'my wife was driving',
];
const pairs = { boosted: [[], []] as [string, string][][], general: [[], []] as [string, string][][] };
for (const [index, [tts, voice]] of VOICES.entries()) {
  const boosted = await stt.open({ phrases: PHRASES });
  const general = await stt.open();
  for (const [kind, lines] of [DESCRIBED, UNLIKE].entries()) {
    for (const text of lines) {
      const audio = onTheLine(await spoken(tts, voice, text), text.length + index);
      for (const [name, recognizer] of [
        ['boosted', boosted],
        ['general', general],
      ] as const) {
        for (let at = 0; at < audio.length; at += 320) recognizer.write(audio.subarray(at, at + 320));
        pairs[name][kind]!.push([text, (await recognizer.flush()).text]);
      }
    }
  }
  boosted.close();
  general.close();
  process.stderr.write(`\r${index + 1}/${VOICES.length} voices, phrases`);
}
process.stderr.write('\n');
await Promise.all([stt.close(), flite.close(), espeak.close()]);

const pct = (part: number, whole: number) => `${fmt((100 * part) / whole, 0)} % (${part} of ${whole})`;
const sum = (key: keyof ReturnType<typeof tally>, only?: string[]) =>
  Object.entries(byGrammar)
    .filter(([grammar]) => !only || only.includes(grammar))
    .reduce((n, [, t]) => n + t[key], 0);
const all = Object.keys(byGrammar);
printTable('Grammar or not: off-script speech at constrained prompts (7 voices, 25 dB SNR)', [
  {
    metric: 'off-script utterances rejected (read by the open model)',
    value: pct(sum('rejected'), sum('offScript')),
    target: '≥ 90 %',
  },
  ...all.map((g) => ({ metric: `  under ${g}`, value: pct(sum('rejected', [g]), sum('offScript', [g])) })),
  {
    metric: 'off-script utterances a flow would commit as an answer',
    value: pct(sum('committed'), sum('offScript')),
  },
  { metric: 'answers the grammar heard right, kept', value: pct(sum('keptRight'), sum('heardRight')) },
  {
    metric: 'answers the grammar heard wrong',
    value: pct(sum('answers') - sum('heardRight'), sum('answers')),
  },
  ...all.map((g) => ({
    metric: `  ${g}: answers right, kept by the grammar / by the open model alone`,
    value: `${pct(sum('keptRight', [g]), sum('answers', [g]))} / ${pct(sum('openRight', [g]), sum('answers', [g]))}`,
  })),
]);
for (const line of missed) process.stdout.write(`  taken: ${line}\n`);
const wer = (list: [string, string][]) => `${fmt(100 * wordErrorRate(list), 0)} %`;
printTable("Phrases at an open question: what happened, with the claims agent's phrases or without", [
  {
    metric: `word errors, descriptions (${pairs.boosted[0]!.length}): with phrases / general model alone`,
    value: `${wer(pairs.boosted[0]!)} / ${wer(pairs.general[0]!)}`,
  },
  {
    metric: `word errors, speech unlike the phrases (${pairs.boosted[1]!.length}): with / without`,
    value: `${wer(pairs.boosted[1]!)} / ${wer(pairs.general[1]!)}`,
  },
]);
