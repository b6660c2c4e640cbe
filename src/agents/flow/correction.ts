import { extractSlot, type Extraction, type SlotSpec } from './extractors/index.ts';

/** How a caller starts correcting an answer: "no, it was Tuesday", "actually, six oh six oh one". */
const MARKER =
  /^(?:no|nope|nah|actually|sorry|oops|wait|i meant|i mean|not|it wasn't|that's wrong|that is wrong|that's not right|correction)\b[\s,.]*/i;

/** Answers that can be corrected by value: ones that cannot be mistaken for another kind of answer. */
const CORRECTABLE = new Set<SlotSpec['type']>(['date', 'digits', 'number']);

export interface AnsweredSlot {
  readonly slot: string;
  readonly spec: SlotSpec;
  readonly value: unknown;
}

/**
 * The earlier answer an utterance corrects: it starts like a correction ("no, it was Tuesday"), or, when
 * not `marked`, it merely holds one ("it was on Tuesday", where the open question got no answer), and
 * the rest is a new, different value for one of the answered slots (the most recent first).
 */
export function correctionOf(
  text: string,
  answered: readonly AnsweredSlot[],
  { marked }: { readonly marked: boolean },
): { readonly slot: string; readonly extraction: Extraction & { ok: true } } | undefined {
  let rest = text.trim();
  if (marked && !MARKER.test(rest)) return undefined;
  while (MARKER.test(rest)) rest = rest.replace(MARKER, '');
  if (!rest) return undefined;
  for (const { slot, spec, value } of answered.toReversed()) {
    if (!CORRECTABLE.has(spec.type)) continue;
    const extraction = extractSlot(rest, spec);
    if (extraction.ok && extraction.value !== value) return { slot, extraction };
  }
  return undefined;
}
