/**
 * A small trigram language model, in ARPA text, estimated from the phrases a question expects. Interpolated
 * with the general model, it lifts those phrases' words and word orders without closing the vocabulary
 * (a grammar does that). Absolute discounting with back-off: enough for a few hundred phrases.
 */

/** How much of each seen n-gram's count is given to unseen ones. */
const DISCOUNT = 0.5;
const ORDER = 3;
/** ARPA's log10 of zero, for the sentence start, which is never predicted. */
const LOG_ZERO = -99;

/** A phrase's words as the recognizer's dictionary spells them: lower case, apostrophes kept. */
export function phraseWords(phrase: string): string[] {
  return phrase
    .toLowerCase()
    .replace(/[^\p{L}\p{N}' ]+/gu, ' ')
    .split(/\s+/)
    .map((word) => word.replace(/^'+|'+$/g, ''))
    .filter(Boolean);
}

/**
 * The ARPA text of a trigram model of `phrases`. `known` filters words the recognizer cannot say (a phrase
 * with such a word keeps its other words, split where the word was). Throws when no word is left.
 */
export function phraseLanguageModel(phrases: readonly string[], known: (word: string) => boolean): string {
  const counts = Array.from({ length: ORDER }, () => new Map<string, number>());
  for (const phrase of phrases) {
    for (const run of knownRuns(phraseWords(phrase), known)) {
      const tokens = ['<s>', ...run, '</s>'];
      for (let n = 1; n <= ORDER; n++) {
        for (let end = n; end <= tokens.length; end++) {
          const gram = tokens.slice(end - n, end).join(' ');
          if (gram !== '<s>') counts[n - 1]!.set(gram, (counts[n - 1]!.get(gram) ?? 0) + 1);
        }
      }
    }
  }
  if (counts[0]!.size === 0) throw new Error('none of the phrases has a word the recognizer knows');

  // log10 probabilities by n-gram, then back-off weights by context.
  const logProb = new Map<string, number>();
  const total = [...counts[0]!.values()].reduce((a, b) => a + b, 0);
  for (const [word, count] of counts[0]!) logProb.set(word, Math.log10(count / total));
  const histories = (n: number) => {
    // How often each history of order n-1 was followed by a word, and by how many different words.
    const seen = new Map<string, { count: number; types: number; words: string[] }>();
    for (const [gram, count] of counts[n - 1]!) {
      const history = gram.slice(0, gram.lastIndexOf(' '));
      const entry = seen.get(history) ?? { count: 0, types: 0, words: [] };
      entry.count += count;
      entry.types += 1;
      entry.words.push(gram.slice(history.length + 1));
      seen.set(history, entry);
    }
    return seen;
  };
  const backOff = new Map<string, number>();
  for (let n = 2; n <= ORDER; n++) {
    for (const [history, { count, words }] of histories(n)) {
      let kept = 0;
      let lowerKept = 0;
      for (const word of words) {
        const probability = (counts[n - 1]!.get(`${history} ${word}`)! - DISCOUNT) / count;
        logProb.set(`${history} ${word}`, Math.log10(probability));
        kept += probability;
        lowerKept += 10 ** backedOffLog(history.split(' ').slice(1), word, logProb, backOff);
      }
      // The mass taken from seen words goes to the others, in proportion to the shorter history's model.
      backOff.set(history, Math.log10((1 - kept) / Math.max(1e-6, 1 - lowerKept)));
    }
  }

  const lines = ['\\data\\'];
  for (let n = 1; n <= ORDER; n++) lines.push(`ngram ${n}=${counts[n - 1]!.size + (n === 1 ? 1 : 0)}`);
  for (let n = 1; n <= ORDER; n++) {
    lines.push('', `\\${n}-grams:`);
    if (n === 1) lines.push(`${LOG_ZERO} <s> ${fixed(backOff.get('<s>') ?? 0)}`);
    for (const gram of counts[n - 1]!.keys()) {
      const bow = n < ORDER ? backOff.get(gram) : undefined;
      lines.push(`${fixed(logProb.get(gram)!)} ${gram}${bow === undefined ? '' : ` ${fixed(bow)}`}`);
    }
  }
  lines.push('', '\\end\\', '');
  return lines.join('\n');
}

/** log10 P(word | history) under the back-off model built so far (shorter histories first). */
function backedOffLog(
  history: readonly string[],
  word: string,
  logProb: ReadonlyMap<string, number>,
  backOff: ReadonlyMap<string, number>,
): number {
  const gram = [...history, word].join(' ');
  const direct = logProb.get(gram);
  if (direct !== undefined) return direct;
  if (history.length === 0) return LOG_ZERO;
  return (backOff.get(history.join(' ')) ?? 0) + backedOffLog(history.slice(1), word, logProb, backOff);
}

/** The runs of known words in a phrase, split at unknown ones. */
function knownRuns(words: readonly string[], known: (word: string) => boolean): string[][] {
  const runs: string[][] = [[]];
  for (const word of words) {
    if (known(word)) runs.at(-1)!.push(word);
    else if (runs.at(-1)!.length) runs.push([]);
  }
  return runs.filter((run) => run.length > 0);
}

const fixed = (x: number) => x.toFixed(4);
