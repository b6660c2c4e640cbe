/**
 * Shared tokenisation: recognizer output ("six oh six oh one") and typed chat ("60601#", "$1,200.") must
 * reach the extractors as the same kind of tokens.
 */

// Numerals with an ordinal suffix first ("3rd"), then numbers ("1200", "1.5"), then words ("o'brien").
const TOKEN = /\d+(?:st|nd|rd|th)\b|\d+(?:\.\d+)?|[\p{L}\p{M}]+(?:'[\p{L}\p{M}]+)*/gu;

/** Lower-case words and numerals; punctuation and DTMF `#`/`*` dropped, "1,200" joined, "twenty-three" split. */
export function tokenize(input: string): string[] {
  const text = normalizeApostrophes(input.toLowerCase()).replace(/(\d),(?=\d{3}\b)/g, '$1');
  return text.match(TOKEN) ?? [];
}

/** Typographic apostrophes ("it’s") written as the ASCII one, so phrase tables need only one spelling. */
export function normalizeApostrophes(text: string): string {
  return text.replace(/[\u2018\u2019\u02bc`\u00b4]/g, "'");
}

/** A plain numeral token ("60601", "1.5"). */
export function isNumeral(token: string): boolean {
  return /^\d+(?:\.\d+)?$/.test(token);
}

/** Hesitation sounds: never content, dropped wherever they occur. */
export const DISFLUENCIES: ReadonlySet<string> = new Set([
  'um',
  'umm',
  'uh',
  'uhh',
  'uhm',
  'er',
  'erm',
  'ah',
  'ahh',
  'eh',
  'hmm',
  'hm',
  'mm',
  'mmm',
]);

/** Does `tokens` hold `phrase` (already tokenised) starting at `at`? */
export function startsWith(tokens: readonly string[], at: number, phrase: readonly string[]): boolean {
  if (at + phrase.length > tokens.length) return false;
  return phrase.every((word, k) => tokens[at + k] === word);
}
