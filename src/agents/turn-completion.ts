import type { AgentEvent } from './events.ts';
import { extractSlot } from './flow/extractors/index.ts';
import { digitsFromTokens } from './flow/extractors/spoken-numbers.ts';
import { DISFLUENCIES, tokenize } from './flow/extractors/tokens.ts';
import { metaIntentOf } from './flow/meta-intents.ts';

/** What the agent's open question takes (a flow's `expect` event), as far as end of turn cares. */
export type Expectation = Pick<Extract<AgentEvent, { type: 'expect' }>, 'answer' | 'lengths'>;

/** Words a finished sentence does not end on: "my zip code is", "it was me and", "the car hit the". */
const DANGLING = new Set([
  'and',
  'but',
  'or',
  'so',
  'because',
  'then',
  'if',
  'that',
  'the',
  'a',
  'an',
  'my',
  'our',
  'your',
  'is',
  'was',
  'are',
  'were',
  "it's",
  "name's",
  'to',
  'of',
  'in',
  'on',
  'at',
  'for',
  'with',
  'from',
  'like',
  'about',
  'into',
  // A question or a date cut short: "how much", "when does", "last".
  'how',
  'much',
  'many',
  'what',
  'when',
  'where',
  'which',
  'does',
  'last',
  'next',
]);

/** A free-text answer (what happened, a question) this short is more often a first breath than all of it. */
const SHORTEST_TEXT_ANSWER = 5;

/**
 * Whether what the caller said so far sounds unfinished, so that a pause is more likely a breath than the
 * end of the turn: it ends on a word a sentence does not end on or a hesitation ("my zip code is", "and,
 * um"); the caller asked for time ("let me think"); or the answer the agent asked for is not whole yet:
 * fewer digits than the shortest answer ("six zero six"), a first name alone for a full name, a few words
 * of a description or a question ("a tree fell").
 */
export function soundsUnfinished(text: string, expected?: Expectation): boolean {
  const tokens = tokenize(text);
  const last = tokens.at(-1);
  if (last === undefined) return false;
  if (DANGLING.has(last) || DISFLUENCIES.has(last)) return true;
  const meta = metaIntentOf(text);
  if (meta === 'wait') return true;
  switch (expected?.answer) {
    case 'digits': {
      if (!expected.lengths?.length) return false;
      const digits = digitsFromTokens(tokens).length;
      return digits > 0 && digits < Math.min(...expected.lengths);
    }
    case 'name': {
      const name = extractSlot(text, { type: 'name' });
      return name.ok && String(name.value).split(' ').length === 1;
    }
    case 'text':
      return (
        tokens.length < SHORTEST_TEXT_ANSWER &&
        (meta === undefined || meta === 'question') &&
        !extractSlot(text, { type: 'yes_no' }).ok
      );
    default:
      return false;
  }
}
