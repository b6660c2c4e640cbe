import { digitsFromTokens, speakDigits } from './spoken-numbers.ts';
import { tokenize } from './tokens.ts';
import { fail, ok, type Extraction, type SlotSpec } from './types.ts';

/**
 * A digit string (ZIP, last four of an SSN, a policy number): every digit in the utterance, said, typed or
 * keyed ("60601#"). Kept as a string so leading zeros survive.
 */
export function extractDigits(input: string, spec: Pick<SlotSpec, 'lengths'> = {}): Extraction {
  const digits = digitsFromTokens(withoutCountedNames(tokenize(input)));
  if (digits === '') return fail('no digits heard');
  const lengths = spec.lengths;
  if (lengths && lengths.length > 0 && !lengths.includes(digits.length)) {
    return fail(`heard ${digits.length} digits (${digits}), expected ${lengths.join(' or ')}`);
  }
  return ok(digits, speakDigits(digits));
}

/** "The last four (digits) are …", "first three": a count that names the digits is not one of them. */
function withoutCountedNames(tokens: readonly string[]): string[] {
  return tokens.filter((token, i) => !(['last', 'first'].includes(tokens[i - 1] ?? '') && isCount(token)));
}

const isCount = (token: string) => /^(two|three|four|five|six|[2-6])$/.test(token);
