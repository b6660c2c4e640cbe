import { findCardinals, speakNumber } from './spoken-numbers.ts';
import { startsWith, tokenize } from './tokens.ts';
import { fail, ok, type Extraction, type SlotSpec } from './types.ts';

/** "How many people were hurt?" — "no one". */
const NONE_WORDS: readonly (readonly string[])[] = [['no', 'one'], ['none'], ['nobody'], ['nothing']];
const MINUS_WORDS: ReadonlySet<string> = new Set(['minus', 'negative']);

/** Tokens with "no one"/"none" as "zero" and a typed sign ("-5") as "minus". */
function quantityTokens(input: string): string[] {
  const tokens = tokenize(input.replace(/(^|[^\w])-(?=\d)/g, '$1 minus '));
  const out: string[] = [];
  for (let i = 0; i < tokens.length;) {
    const none = NONE_WORDS.find((phrase) => startsWith(tokens, i, phrase));
    out.push(none ? 'zero' : tokens[i]!);
    i += none?.length ?? 1;
  }
  return out;
}

/**
 * A quantity ("about twenty five hundred dollars", "$1,200"). Two different numbers in one answer ("two or
 * three thousand") fail rather than guess; saying the same amount twice is fine.
 */
export function extractNumber(input: string, spec: Pick<SlotSpec, 'min' | 'max'> = {}): Extraction {
  const tokens = quantityTokens(input);
  const signed = findCardinals(tokens).map((match) =>
    MINUS_WORDS.has(tokens[match.start - 1] ?? '') ? -match.value : match.value,
  );
  const values = [...new Set(signed)];
  if (values.length === 0) return fail('no number heard');
  if (values.length > 1) return fail(`several numbers heard: ${values.join(', ')}`);
  const value = values[0]!;
  if (spec.min !== undefined && value < spec.min) return fail(`${value} is below the minimum ${spec.min}`);
  if (spec.max !== undefined && value > spec.max) return fail(`${value} is above the maximum ${spec.max}`);
  return ok(value, speakNumber(value));
}
