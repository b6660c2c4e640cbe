/**
 * One of a fixed set of options, recognised by keywords: whole words or phrases, lightly stemmed so "claims"
 * and "crashed" find "claim" and "crash". A keyword the caller negates ("not a claim") does not count.
 */
import { tokenize } from './tokens.ts';
import { fail, ok, type Extraction, type SlotSpec } from './types.ts';

/** Words that negate the next option mentioned within a few words ("i don't want to file a claim"). */
const NEGATORS: ReadonlySet<string> = new Set([
  'not',
  'never',
  'nor',
  'without',
  "don't",
  'dont',
  "doesn't",
  "didn't",
  "isn't",
  "wasn't",
  "aren't",
  "won't",
  "can't",
]);
const NEGATION_REACH = 5;

/**
 * A light suffix stripper, applied to the caller's words and the keywords alike: it only has to map both to
 * the same stem ("policies"/"policy", "damaged"/"damage", "stopped"/"stop"), not to produce real words.
 */
export function stem(word: string): string {
  let w = word.toLowerCase().replace(/'s$/, '');
  if (w.length > 4 && w.endsWith('ies')) w = `${w.slice(0, -3)}y`;
  else if (w.length > 4 && /(?:ss|x|z|ch|sh)es$/.test(w)) w = w.slice(0, -2);
  else if (w.length > 3 && w.endsWith('s') && !/(?:ss|us|is)$/.test(w)) w = w.slice(0, -1);
  if (w.length > 5 && w.endsWith('ing')) w = w.slice(0, -3);
  else if (w.length > 4 && w.endsWith('ed') && !w.endsWith('eed')) w = w.slice(0, -2);
  // "stopp" → "stop", "runn" → "run"; but keep "ll"/"ss" ("called" → "call").
  if (/([b-df-hj-km-np-rtv-z])\1$/.test(w) && !/(?:ll|ss|zz)$/.test(w)) w = w.slice(0, -1);
  if (w.length > 3 && w.endsWith('e')) w = w.slice(0, -1);
  return w;
}

interface Mention {
  readonly option: string;
  readonly start: number;
  readonly length: number;
  /** Declaration order of the option: the last tie-breaker. */
  readonly rank: number;
}

/** Every place a keyword of any option occurs, earliest first (longer phrase first at the same place). */
function mentions(words: readonly string[], options: Readonly<Record<string, readonly string[]>>): Mention[] {
  const found: Mention[] = [];
  Object.entries(options).forEach(([option, keywords], rank) => {
    // The option's own name is a keyword too ("general" picks `general`).
    for (const keyword of [option.replace(/[_-]+/g, ' '), ...keywords]) {
      const phrase = tokenize(keyword).map(stem);
      if (phrase.length === 0) continue;
      for (let i = 0; i + phrase.length <= words.length; i += 1) {
        if (phrase.every((word, k) => words[i + k] === word))
          found.push({ option, start: i, length: phrase.length, rank });
      }
    }
  });
  return found.sort((a, b) => a.start - b.start || b.length - a.length || a.rank - b.rank);
}

export function extractChoice(input: string, spec: Pick<SlotSpec, 'options'>): Extraction {
  const options = spec.options ?? {};
  if (Object.keys(options).length === 0) return fail('choice slot has no options');
  const tokens = tokenize(input);
  const words = tokens.map(stem);
  const negated: string[] = [];
  let negatorAt = -Infinity;
  let scanned = 0;
  let coveredUntil = 0;
  for (const mention of mentions(words, options)) {
    // "car" inside an already judged "car accident" is the same mention.
    if (mention.start < coveredUntil) continue;
    coveredUntil = mention.start + mention.length;
    // Negators between the previous mention and this one; each negates only the next mention.
    for (; scanned < mention.start; scanned += 1) if (NEGATORS.has(tokens[scanned]!)) negatorAt = scanned;
    // "no" negates only what directly follows ("no car accident"): "no, it's a claim" answers and then picks.
    if (mention.start - negatorAt <= NEGATION_REACH || tokens[mention.start - 1] === 'no') {
      negatorAt = -Infinity;
      negated.push(mention.option);
      continue;
    }
    return ok(mention.option, mention.option.replace(/[_-]+/g, ' '));
  }
  if (negated.length > 0) return fail(`only negated options heard (${[...new Set(negated)].join(', ')})`);
  return fail('no option heard');
}
