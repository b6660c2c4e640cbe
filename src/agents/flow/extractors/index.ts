/**
 * Slot extractors for the offline flow agent: pure, synchronous functions that turn what the recognizer heard
 * ("my zip code is six oh six oh one") or the caller typed ("60601#") into a slot value and how to read it back.
 */
import { extractChoice } from './choice.ts';
import { extractDate } from './date.ts';
import { extractDigits } from './digits.ts';
import { extractName } from './name.ts';
import { extractNumber } from './number.ts';
import { extractText } from './text.ts';
import { fail, type Extraction, type SlotSpec } from './types.ts';
import { extractYesNo } from './yes-no.ts';

export type { Extraction, SlotSpec, SlotType } from './types.ts';
export { extractChoice, extractDate, extractDigits, extractName, extractNumber, extractText, extractYesNo };
export {
  speakDigits,
  speakNumber,
  wordsToDigits,
  wordsToNumber,
  wordsToOrdinal,
  wordsToYear,
} from './spoken-numbers.ts';

/** Extracts one slot; never throws (a spec that cannot match anything fails with a reason too). */
export function extractSlot(input: string, spec: SlotSpec, now?: Date): Extraction {
  switch (spec.type) {
    case 'name':
      return extractName(input);
    case 'digits':
      return extractDigits(input, spec);
    case 'number':
      return extractNumber(input, spec);
    case 'date':
      return extractDate(input, now);
    case 'yes_no':
      return extractYesNo(input);
    case 'choice':
      return extractChoice(input, spec);
    case 'text':
      return extractText(input);
    default:
      // Specs may come from YAML: a misspelt type reaches here at run time despite the types.
      return fail(`unknown slot type ${JSON.stringify((spec as { type: unknown }).type)}`);
  }
}
