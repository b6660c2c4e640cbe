import type { MemoManager } from '../../state/memo-manager.ts';
import { extractSlot, type Extraction, type SlotSpec } from './extractors/index.ts';
import { tokenize } from './extractors/tokens.ts';
import { metaIntentOf } from './meta-intents.ts';

/** A caller's utterance, kept so that later questions can find their answers in it. */
export interface Utterance {
  readonly text: string;
  readonly filled: readonly Fill[];
}

/** A slot an utterance filled: as the answer to its question (`asked`), or carried over. */
export interface Fill {
  readonly slot: string;
  readonly type: SlotSpec['type'];
  readonly asked: boolean;
}

/** Utterances kept per session: an answer given early is rarely more than a few turns ahead. */
const KEPT = 8;
const KEY = 'caller_utterances';

export function rememberUtterance(memo: MemoManager, text: string): void {
  const kept = memo.getContext<Utterance[]>(KEY) ?? [];
  memo.setContext(KEY, [...kept, { text, filled: [] }].slice(-KEPT));
}

/** Marks the latest utterance (or the one saying `text`) as having filled a slot. */
export function markFilled(memo: MemoManager, fill: Fill, text?: string): void {
  const kept = memo.getContext<Utterance[]>(KEY) ?? [];
  const index = text === undefined ? kept.length - 1 : kept.findLastIndex((u) => u.text === text);
  if (index < 0) return;
  const updated = { ...kept[index]!, filled: [...kept[index]!.filled, fill] };
  memo.setContext(KEY, kept.with(index, updated));
}

/**
 * An answer to `slot` the caller already gave: "someone hit my car yesterday", said to pick claims, tells
 * the claims flow when it happened and what happened. A choice is taken from any utterance that answered
 * no other question ("I want to file a claim" at the name prompt); other answers only from the utterance
 * that made a choice (it routes the call, and what else was said comes along). Never from a question; the
 * newest that reads as an answer wins.
 */
export function carriedAnswer(
  memo: MemoManager,
  slot: string,
  spec: SlotSpec,
): { readonly utterance: string; readonly extraction: Extraction & { ok: true } } | undefined {
  const kept = memo.getContext<Utterance[]>(KEY) ?? [];
  for (const utterance of kept.toReversed()) {
    if (utterance.filled.some((f) => f.slot === slot || (f.asked && f.type !== 'choice'))) continue;
    // Dates and descriptions come only from what routed the call: a failed answer to another question
    // ("the last four are one two…") is no description, and a misheard one holds stray dates.
    if (spec.type !== 'choice' && !utterance.filled.some((f) => f.type === 'choice')) continue;
    if (metaIntentOf(utterance.text) !== undefined) continue;
    if (spec.type === 'text' && !describesSomething(utterance.text)) continue;
    const extraction = extractSlot(utterance.text, spec);
    if (extraction.ok) return { utterance: utterance.text, extraction };
  }
  return undefined;
}

/** Words of a request ("I want to file a claim") rather than a description of what happened. */
const REQUEST_WORDS = new Set(
  `i i'm i'd i've we want would like need to a an the my me it is was be file report make open start claim
  about have has question questions policy please and so um uh yes yeah hi hello calling call help with for
  of on in this that some new`.split(/\s+/),
);

/** Whether an utterance says what happened (three words or more besides a request's): usable as free text. */
function describesSomething(text: string): boolean {
  return tokenize(text).filter((word) => !REQUEST_WORDS.has(word)).length >= 3;
}
