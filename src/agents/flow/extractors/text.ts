import { DISFLUENCIES } from './tokens.ts';
import { fail, ok, type Extraction } from './types.ts';

/** Free text (a description of what happened): the input without hesitations, otherwise as typed or heard. */
export function extractText(input: string): Extraction {
  const words = input
    .split(/\s+/)
    .filter((word) => !DISFLUENCIES.has(word.toLowerCase().replace(/[^\p{L}]/gu, '')));
  // A hesitation removed from "Um, the car…" leaves nothing dangling, but a lone leading "," or "-" may remain.
  const text = words
    .join(' ')
    .replace(/^[\s,;:.\-\u2013\u2014]+/, '')
    // Nor a final stop: a description is read back inside a sentence ("…in a parking lot, and no one…").
    .replace(/[\s,;:.!]+$/, '')
    .trim();
  if (text.replace(/[\s\p{P}\p{S}]/gu, '').length < 2) return fail('no text heard (at least 2 characters)');
  return ok(text, text);
}
