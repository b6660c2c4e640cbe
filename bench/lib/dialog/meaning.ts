import { answerPolicyQuestion, type Policy } from '../../../src/agents/demo/policies.ts';

/** What happened, in the caller's words, and the words a claim's description must keep to be right. */
export interface Description {
  readonly text: string;
  /** Split where a caller might pause ("A tree fell | on my car."). */
  readonly paused: string;
  /** Each group needs one of its words in the description filed. */
  readonly keywords: readonly (readonly string[])[];
}

/** A policy question and the answer the demo gives to it, asked clearly. */
export interface PolicyQuestion {
  readonly said: readonly string[];
  readonly paused: string;
  readonly clean: string;
  readonly answer: string;
}

export type ReadBackPart = 'date' | 'description' | 'injuries';

/** What an utterance means, slot by slot: a value committed from it must match. */
export interface Meaning {
  readonly full_name?: string;
  readonly verifier?: string;
  readonly intent?: 'claim' | 'policy';
  readonly loss_date?: string;
  readonly description?: Description;
  readonly injuries?: boolean;
  readonly confirmed?: boolean;
  /** Which part of a wrong read-back to change. */
  readonly fix?: ReadBackPart;
  readonly more?: boolean;
  readonly question?: PolicyQuestion;
}

const words = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9' ]+/g, ' ')
    .split(/\s+/)
    .filter(Boolean);

export function describes(text: string, description: Description): boolean {
  const heard = new Set(words(text));
  return description.keywords.every((group) => group.some((word) => heard.has(word)));
}

/** The demo's slots that `slotRight` judges. */
export const JUDGED_SLOTS: ReadonlySet<string> = new Set([
  'full_name',
  'verifier',
  'intent',
  'loss_date',
  'description',
  'injuries',
  'confirmed',
  'fix',
  'more',
  'question',
]);

/** Whether `value`, committed to `slot`, is what `meaning` says; undefined when it says nothing of it. */
export function slotRight(
  slot: string,
  value: unknown,
  meaning: Meaning,
  policy: Policy,
): boolean | undefined {
  switch (slot) {
    case 'full_name':
      return meaning.full_name === undefined
        ? undefined
        : words(String(value)).join(' ') === words(meaning.full_name).join(' ');
    case 'verifier':
      return meaning.verifier === undefined ? undefined : String(value) === meaning.verifier;
    case 'intent':
      return meaning.intent === undefined ? undefined : value === meaning.intent;
    case 'loss_date':
      return meaning.loss_date === undefined ? undefined : value === meaning.loss_date;
    case 'description':
      return meaning.description === undefined ? undefined : describes(String(value), meaning.description);
    case 'injuries':
      return meaning.injuries === undefined ? undefined : value === meaning.injuries;
    case 'confirmed':
      return meaning.confirmed === undefined ? undefined : value === meaning.confirmed;
    case 'fix':
      return meaning.fix === undefined ? undefined : value === meaning.fix;
    case 'more':
      return meaning.more === undefined ? undefined : value === meaning.more;
    case 'question':
      return meaning.question === undefined
        ? undefined
        : answerPolicyQuestion(policy, String(value)) === meaning.question.answer;
    default:
      return undefined;
  }
}
