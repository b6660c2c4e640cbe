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

/** Word edit distance between a reference and a hypothesis, and the reference length. */
export function wordErrors(reference: string, hypothesis: string): { errors: number; words: number } {
  const ref = normalizeWords(reference);
  const hyp = normalizeWords(hypothesis);
  let previous = Array.from({ length: hyp.length + 1 }, (_, j) => j);
  for (let i = 1; i <= ref.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= hyp.length; j += 1) {
      const substitution = previous[j - 1]! + (ref[i - 1] === hyp[j - 1] ? 0 : 1);
      current[j] = Math.min(substitution, previous[j]! + 1, current[j - 1]! + 1);
    }
    previous = current;
  }
  return { errors: previous[hyp.length]!, words: ref.length };
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
