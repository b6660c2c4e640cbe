/**
 * A yes/no answer. Negation matters ("not correct" is no, "absolutely not" is no, "i do not" is no), and
 * an answer that is unsure or says both fails so the agent asks again rather than guessing.
 */
import { tokenize } from './tokens.ts';
import { fail, ok, type Extraction } from './types.ts';

type Kind = 'yes' | 'weakYes' | 'no' | 'unsure';

interface Phrase {
  readonly words: readonly string[];
  readonly kind: Kind;
  /** An answer only where the utterance ends, or a "not" follows: "it was." but not "it was on Tuesday". */
  readonly echo?: boolean;
}

const phrases = (kind: Kind, list: readonly string[]): Phrase[] =>
  list.map((phrase) => ({ words: phrase.split(' '), kind }));

// "i do", "it was", "there is": answering with the auxiliary of the question.
const PRONOUNS = ['i', 'we', 'it', 'that', 'there', 'he', 'she', 'they'];
const AUXILIARIES = [
  'do',
  'does',
  'did',
  'am',
  'is',
  'was',
  'are',
  'were',
  'have',
  'has',
  'had',
  'can',
  'will',
];

const PHRASES: readonly Phrase[] = [
  ...phrases('unsure', [
    'not sure',
    'not certain',
    'unsure',
    "don't know",
    'do not know',
    'dunno',
    'no idea',
    'maybe',
    'perhaps',
    'possibly',
    'probably',
    "don't remember",
    "can't remember",
    'cannot remember',
    'do not remember',
    "can't say",
    'it depends',
    'kind of',
    'sort of',
    // Yes to a request ("can you hold?"), no to a question about problems: ask again.
    'no problem',
    'no worries',
  ]),
  ...phrases('no', [
    'no',
    'nope',
    'nah',
    'nay',
    'negative',
    'wrong',
    'incorrect',
    'false',
    'never',
    'none',
    'nobody',
    'no one',
    'noone',
    'nothing',
    'not really',
    'not at all',
    'not yet',
    'not quite',
    'no way',
    "i don't think so",
    'i do not think so',
    "that's wrong",
    'that is wrong',
  ]),
  ...phrases('yes', [
    'yes',
    'yeah',
    'yea',
    'yep',
    'yup',
    'yes please',
    'uh huh',
    'mhm',
    'mhmm',
    'mm hmm',
    'correct',
    "that's right",
    'that is right',
    "that's correct",
    'that is correct',
    'true',
    'exactly',
    'sure',
    'of course',
    'absolutely',
    'definitely',
    'certainly',
    'affirmative',
    'indeed',
    'please do',
    'go ahead',
    'i think so',
    'i believe so',
    'i guess so',
    'you bet',
    'sounds good',
  ]),
  ...PRONOUNS.flatMap((pronoun) =>
    AUXILIARIES.map((auxiliary): Phrase => ({ words: [pronoun, auxiliary], kind: 'yes', echo: true })),
  ),
  ...phrases('weakYes', ['okay', 'alright', 'all right', 'right', 'fine', 'good', 'great', 'perfect']),
  // Longest first, so "no one" wins over "no" and "i don't think so" over anything shorter.
].sort((a, b) => b.words.length - a.words.length);

/** Answers that do not turn into "no" when "not" follows: "yes, not a problem" is still yes. */
const INTERJECTIONS: ReadonlySet<string> = new Set([
  'yes',
  'yeah',
  'yea',
  'yep',
  'yup',
  'uh huh',
  'mhm',
  'okay',
  'right',
]);

/**
 * Words that turn a yes said within the next two words into a no ("not correct", "isn't right"). A no stays
 * a no ("not wrong" is too rare to be worth the risk of reading a double negative the wrong way).
 */
const NEGATORS: ReadonlySet<string> = new Set([
  'not',
  "don't",
  "doesn't",
  "didn't",
  "isn't",
  "wasn't",
  "aren't",
  "weren't",
  "haven't",
  "hasn't",
  "hadn't",
  "can't",
  'cannot',
  "won't",
  "wouldn't",
  "couldn't",
  "shouldn't",
  "ain't",
]);

// The recognizer and hurried typists drop apostrophes.
const SPELLINGS: ReadonlyMap<string, string> = new Map([
  ['thats', "that's"],
  ['dont', "don't"],
  ['doesnt', "doesn't"],
  ['didnt', "didn't"],
  ['isnt', "isn't"],
  ['wasnt', "wasn't"],
  ['arent', "aren't"],
  ['werent', "weren't"],
  ['havent', "haven't"],
  ['hasnt', "hasn't"],
  ['hadnt', "hadn't"],
  ['cant', "can't"],
  ['wont', "won't"],
  ['wouldnt', "wouldn't"],
  ['couldnt', "couldn't"],
  ['shouldnt', "shouldn't"],
  ['aint', "ain't"],
  ['ok', 'okay'],
]);

function phraseAt(tokens: readonly string[], at: number): Phrase | undefined {
  return PHRASES.find((phrase) => phrase.words.every((word, k) => tokens[at + k] === word));
}

export function extractYesNo(input: string): Extraction {
  const tokens = tokenize(input).map((token) => SPELLINGS.get(token) ?? token);
  if (tokens.length === 0) return fail('nothing heard');
  for (let i = 0; i < tokens.length; i += 1) {
    const phrase = phraseAt(tokens, i);
    if (phrase?.kind === 'unsure') return fail(`unsure answer ("${phrase.words.join(' ')}")`);
  }
  const counts = { yes: 0, no: 0, weakYes: 0, weakNo: 0 };
  let negator: { at: number; strong: boolean } | undefined;
  // A negator that flipped nothing still says no: strongly as "i don't", weakly as a stray "not".
  const settleNegator = () => {
    if (negator) counts[negator.strong ? 'no' : 'weakNo'] += 1;
    negator = undefined;
  };
  for (let i = 0; i < tokens.length;) {
    const token = tokens[i]!;
    const found = phraseAt(tokens, i);
    const after = found ? tokens[i + found.words.length] : undefined;
    const phrase =
      found?.echo && after !== undefined && after !== 'not' && after !== 'no' ? undefined : found;
    if (!phrase) {
      if (NEGATORS.has(token)) {
        settleNegator();
        negator = { at: i, strong: token !== 'not' };
      }
      i += 1;
      continue;
    }
    const end = i + phrase.words.length;
    let positive = phrase.kind !== 'no';
    if (positive && negator && i - negator.at <= 2) {
      positive = false; // "not correct", "isn't right"
      negator = undefined;
    } else {
      settleNegator();
    }
    // "absolutely not", "i do not", "there was no damage"; that "not" also negates what follows ("that is
    // not correct"), so it becomes the pending negator.
    const next = tokens[end];
    const negatedAfter =
      positive && !INTERJECTIONS.has(phrase.words.join(' ')) && (next === 'not' || next === 'no');
    if (negatedAfter) {
      positive = false;
      negator = { at: end, strong: false };
    }
    const weak = phrase.kind === 'weakYes';
    counts[positive ? (weak ? 'weakYes' : 'yes') : weak ? 'weakNo' : 'no'] += 1;
    i = negatedAfter ? end + 1 : end;
  }
  settleNegator();
  if (counts.yes > 0 && counts.no > 0) return fail('heard both yes and no');
  if (counts.yes > 0 || counts.no > 0) return answer(counts.yes > 0);
  if (counts.weakYes > 0 && counts.weakNo > 0) return fail('heard both yes and no');
  if (counts.weakYes > 0 || counts.weakNo > 0) return answer(counts.weakYes > 0);
  return fail('no yes or no heard');
}

const answer = (yes: boolean): Extraction => ok(yes, yes ? 'yes' : 'no');
