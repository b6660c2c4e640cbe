import { readFileSync } from 'node:fs';
import { editDistance } from '../wer.ts';

/**
 * Whether a grammar-constrained result was really said. A JSGF grammar maps any sound onto its phrases
 * ("what are your office hours" becomes "five oh three four oh two"), so the open language model decodes
 * the same audio alongside it. The grammar's result stands when the open model heard only the grammar's
 * words, or something that sounds like the grammar's result ("nine for my fear of time" for "nine four one
 * zero five": the open model is weak on digits), or something half alike that it is itself unsure of ("the
 * what" for "oh one"); otherwise the caller said something else. Measured on 364 utterances in seven
 * voices with line noise: 96 % of out-of-grammar speech rejected, and 10 % of correctly recognised answers
 * (a re-ask, never a wrong answer); see docs/PERFORMANCE.md.
 */
export interface GrammarCheck {
  readonly inGrammar: boolean;
  /** How alike the two results sound, 0 to 1 (1 when the open model heard only grammar words). */
  readonly agreement: number;
}

/** Below this phonetic similarity the two results disagree, if the open model is sure enough of its words. */
const MIN_AGREEMENT = 0.5;
const SURE = 0.4;
/** Below this similarity they disagree however unsure the open model is. */
const MIN_LIKENESS = 0.3;

export function checkGrammarResult(
  grammarText: string,
  openResult: { readonly text: string; readonly confidence: number },
  vocabulary: ReadonlySet<string>,
  pronounce: (word: string) => readonly string[],
): GrammarCheck {
  const open = openResult.text.split(' ').filter(Boolean);
  // No phrase of the grammar fits (even when each word the open model heard is one of its words).
  if (!grammarText) return { inGrammar: open.length === 0, agreement: open.length === 0 ? 1 : 0 };
  if (open.length > 0 && open.every((word) => vocabulary.has(word))) return { inGrammar: true, agreement: 1 };
  // The open model misses short words the grammar expects (a bare "No."): nothing to disagree with.
  if (open.length === 0) return { inGrammar: true, agreement: MIN_AGREEMENT };
  const a = grammarText.split(' ').flatMap(pronounce);
  const b = open.flatMap(pronounce);
  const agreement = 1 - editDistance(a, b) / Math.max(1, a.length, b.length);
  const disagree = agreement < MIN_LIKENESS || (agreement < MIN_AGREEMENT && openResult.confidence >= SURE);
  return { inGrammar: !disagree, agreement };
}

/** The words a JSGF grammar can produce: its rule bodies without comments, rule names, operators or weights. */
export function grammarVocabulary(jsgf: string): Set<string> {
  const words = new Set<string>();
  const code = jsgf.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, ' ');
  for (const statement of code.split(';')) {
    const body = statement.split('=')[1];
    if (body === undefined) continue;
    for (const word of body.replace(/<[^>]*>|\/[^/]*\/|[()[\]|*+]/g, ' ').split(/\s+/))
      if (word) words.add(word.toLowerCase());
  }
  return words;
}

/** A CMU pronouncing dictionary (pocketsphinx's): each word's first pronunciation, as phones. */
export interface Pronunciations {
  /** A word's phones; a word the dictionary lacks is spelled out (still comparable, letter by letter). */
  readonly pronounce: (word: string) => readonly string[];
  /** Whether the dictionary has the word (the recognizer can hear it). */
  readonly knows: (word: string) => boolean;
}

export function loadPronunciations(path: string): Pronunciations {
  const phones = new Map<string, readonly string[]>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const [word, ...rest] = line.split(/\s+/);
    if (word && rest.length > 0 && !word.includes('(')) phones.set(word, rest.filter(Boolean));
  }
  return { pronounce: (word) => phones.get(word) ?? [...word], knows: (word) => phones.has(word) };
}
