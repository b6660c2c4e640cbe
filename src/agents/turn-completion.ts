import type { AgentEvent } from './events.ts';
import { digitsFromTokens } from './flow/extractors/spoken-numbers.ts';
import { DISFLUENCIES, tokenize } from './flow/extractors/tokens.ts';

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
]);

/**
 * Whether what the caller said so far sounds unfinished, so that a pause is more likely a breath than the
 * end of the turn: it ends on a word a sentence does not end on or a hesitation ("my zip code is", "and,
 * um"), or the agent asked for digits and fewer than the shortest answer came ("six zero six").
 */
export function soundsUnfinished(text: string, expected?: Expectation): boolean {
  const tokens = tokenize(text);
  const last = tokens.at(-1);
  if (last === undefined) return false;
  if (DANGLING.has(last) || DISFLUENCIES.has(last)) return true;
  if (expected?.answer !== 'digits' || !expected.lengths?.length) return false;
  const digits = digitsFromTokens(tokens).length;
  return digits > 0 && digits < Math.min(...expected.lengths);
}
