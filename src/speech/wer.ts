const ONES = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

/** Lower-case words without punctuation, digits spelled out one by one: the usual WER normalisation. */
export function normalizeWords(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/\d/g, (digit) => ` ${ONES[Number(digit)]} `)
    .replace(/[^a-z' ]+/g, ' ')
    .split(/\s+/)
    .filter(Boolean);
}

/** Levenshtein distance between two sequences (words, phones, letters). */
export function editDistance<T>(a: ArrayLike<T>, b: ArrayLike<T>): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(substitution, previous[j]! + 1, current[j - 1]! + 1);
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** Word edit distance between a reference and a hypothesis, and the reference length. */
export function wordErrors(reference: string, hypothesis: string): { errors: number; words: number } {
  const ref = normalizeWords(reference);
  return { errors: editDistance(ref, normalizeWords(hypothesis)), words: ref.length };
}

/** Word error rate over a set of (reference, hypothesis) pairs: total edits over total reference words. */
export function wordErrorRate(pairs: readonly (readonly [reference: string, hypothesis: string])[]): number {
  let errors = 0;
  let words = 0;
  for (const [reference, hypothesis] of pairs) {
    const counted = wordErrors(reference, hypothesis);
    errors += counted.errors;
    words += counted.words;
  }
  return words === 0 ? 0 : errors / words;
}
