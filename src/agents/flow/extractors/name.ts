import { isNumberToken } from './spoken-numbers.ts';
import { DISFLUENCIES, normalizeApostrophes, startsWith } from './tokens.ts';
import { fail, ok, type Extraction } from './types.ts';

/** A word as typed (for casing), its lower-case form (for matching), or a sentence boundary. */
interface NameToken {
  readonly text: string;
  readonly lower: string;
  readonly kind: 'word' | 'number' | 'boundary';
}

// An initial ("J."), a word that may hold apostrophes or hyphens ("O'Brien", "Mary-Jane"), digits, punctuation.
const NAME_TOKEN = /\p{L}\.(?!\p{L})|[\p{L}\p{M}]+(?:['-][\p{L}\p{M}]+)*|\d+|[.!?;,:]/gu;

/** Phrases that introduce a name anywhere in the answer ("hi i'm calling about a claim my name is …"). */
const STRONG_LEAD_INS = [
  'my full name is',
  'my name is',
  "my name's",
  'my names',
  'the name is',
  "the name's",
  'name is',
  "name's",
  'you can call me',
  'call me',
].map((phrase) => phrase.split(' '));

/** Phrases that introduce a name only at the start ("this is alice", not "this is about my car"). */
const WEAK_LEAD_INS = [
  "you're speaking with",
  "you're talking to",
  'speaking with',
  'this is',
  "it's",
  'its',
  'it is',
  "i'm",
  'im',
  'i am',
].map((phrase) => phrase.split(' '));

/** Greetings and acknowledgements said before the name: never part of it. */
const LEADING_FILLERS: ReadonlySet<string> = new Set([
  'yes',
  'yeah',
  'yep',
  'yup',
  'sure',
  'ok',
  'okay',
  'alright',
  'right',
  'hi',
  'hello',
  'hey',
  'there',
  'well',
  'so',
  'oh',
  'sorry',
  'good',
  'morning',
  'afternoon',
  'evening',
  'thanks',
  'thank',
  'you',
]);

/** Words that end a name: the caller has gone on to say something else ("alice brown speaking"). */
const STOP_WORDS: ReadonlySet<string> = new Set([
  'a',
  'about',
  'am',
  'an',
  'and',
  'are',
  'at',
  'be',
  'because',
  'but',
  'call',
  'calling',
  'can',
  'could',
  'did',
  'do',
  "don't",
  'for',
  'from',
  'had',
  'has',
  'have',
  'here',
  'how',
  'i',
  "i'd",
  "i'll",
  "i'm",
  "i've",
  'im',
  'in',
  'is',
  'it',
  "it's",
  'just',
  'know',
  'like',
  'me',
  'my',
  'need',
  'no',
  'not',
  'ok',
  'okay',
  'on',
  'or',
  'please',
  'regarding',
  'so',
  'sorry',
  'speaking',
  'thank',
  'thanks',
  'that',
  'the',
  'this',
  'to',
  'want',
  'was',
  'we',
  'what',
  'when',
  'where',
  'who',
  'why',
  'with',
  'would',
  'yes',
  'you',
  'your',
]);

const MAX_WORDS = 4;

function nameTokens(input: string): NameToken[] {
  const tokens: NameToken[] = [];
  for (const text of normalizeApostrophes(input).match(NAME_TOKEN) ?? []) {
    const lower = text.toLowerCase();
    if (DISFLUENCIES.has(lower)) continue;
    const kind = /^[.!?;,:]$/.test(text) ? 'boundary' : /^\d/.test(text) ? 'number' : 'word';
    tokens.push({ text, lower, kind });
  }
  return tokens;
}

/** Index just past the first phrase of `phrases` found at or after `from` (anywhere when `anywhere`). */
function afterLeadIn(
  words: readonly string[],
  from: number,
  phrases: readonly string[][],
  anywhere: boolean,
) {
  const last = anywhere ? words.length : from + 1;
  for (let i = from; i < last; i += 1) {
    const phrase = phrases.find((candidate) => startsWith(words, i, candidate));
    if (phrase) return i + phrase.length;
  }
  return undefined;
}

function skipFillers(tokens: readonly NameToken[], from: number): number {
  let i = from;
  while (i < tokens.length && (tokens[i]!.kind === 'boundary' || LEADING_FILLERS.has(tokens[i]!.lower)))
    i += 1;
  return i;
}

/** "alice" → "Alice", "O'BRIEN" → "O'Brien"; a mixed-case word ("McDonald") was typed deliberately: kept. */
function titleCase(word: string): string {
  if (word !== word.toLowerCase() && word !== word.toUpperCase()) return word;
  return word.toLowerCase().replace(/(^|['-])(\p{L})/gu, (_, separator: string, letter: string) => {
    return separator + letter.toUpperCase();
  });
}

/**
 * A person's name: "my name is alice brown", "it's Alice Brown", "this is alice brown speaking", "alice
 * brown" → "Alice Brown". Greetings before it and whatever follows it ("… and I'd like to file a claim")
 * are dropped; 1–4 words.
 */
export function extractName(input: string): Extraction {
  const tokens = nameTokens(input);
  if (tokens.length === 0) return fail('no name heard');
  const lowers = tokens.map((token) => token.lower);
  let start = afterLeadIn(lowers, 0, STRONG_LEAD_INS, true);
  if (start === undefined) {
    const first = skipFillers(tokens, 0);
    start = afterLeadIn(lowers, first, WEAK_LEAD_INS, false) ?? first;
  }
  start = skipFillers(tokens, start);
  const words: NameToken[] = [];
  for (let i = start; i < tokens.length; i += 1) {
    const token = tokens[i]!;
    if (token.kind !== 'word' || STOP_WORDS.has(token.lower)) break;
    words.push(token);
  }
  if (words.length === 0) {
    if (tokens.some((token) => token.kind === 'number')) return fail('looks like a number, not a name');
    return fail(start >= tokens.length ? 'only filler words, no name' : 'no name heard');
  }
  if (words.every((word) => isNumberToken(word.lower))) return fail('looks like a number, not a name');
  if (words.length > MAX_WORDS) return fail(`too many words for a name (${words.length})`);
  const name = words.map((word) => titleCase(word.text)).join(' ');
  return ok(name, name);
}
