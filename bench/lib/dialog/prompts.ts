/** What the agent is asking, recognised the way a caller does: by the words of its last question. */
export type Step =
  | 'name'
  | 'verifier'
  | 'intent'
  | 'date'
  | 'description'
  | 'injuries'
  | 'confirm'
  /** "What should I change, the date, what happened, or whether anyone was injured?" */
  | 'fix'
  /** "I heard Carol Nguyen. Is that right?": a name read back to check. */
  | 'heard'
  | 'done'
  | 'policy_question'
  | 'policy_more';

const CUES: readonly (readonly [Step, RegExp])[] = [
  ['name', /full name|your name|first and last name/g],
  ['verifier', /zip code|social security/g],
  ['intent', /report a claim,? or|claim,? or (do you have )?a question/g],
  ['date', /when did (it|this) happen|tell me the (date|day)\b/g],
  ['description', /what happened/g],
  ['injuries', /(was|were) anyone (hurt|injured)|anyone (hurt|injured)\?/g],
  ['confirm', /shall i file|let me confirm/g],
  ['fix', /what should i (change|fix|correct)/g],
  ['heard', /i heard .+?\. is that right/g],
  ['done', /anything else i can help/g],
  ['policy_question', /what would you like to know/g],
  ['policy_more', /anything else about your policy/g],
];

/** The step of the cue said last in `text` (a turn may say several things before its question). */
export function stepOf(text: string): Step | undefined {
  const lower = text.toLowerCase();
  let best: { step: Step; end: number } | undefined;
  for (const [step, cue] of CUES) {
    for (const match of lower.matchAll(cue)) {
      const end = match.index + match[0].length;
      if (!best || end > best.end) best = { step, end };
    }
  }
  return best?.step;
}

/** Flow states of the demo agents, for a prompt whose words the cues do not know (it was reworded). */
const STATES: Readonly<Record<string, Step>> = {
  ask_name: 'name',
  ask_verifier: 'verifier',
  ask_intent: 'intent',
  ask_date: 'date',
  ask_description: 'description',
  ask_injuries: 'injuries',
  confirm: 'confirm',
  what_to_fix: 'fix',
  anything_else: 'done',
  ask_question: 'policy_question',
  more: 'policy_more',
};

export function stepOfState(state: string | undefined): Step | undefined {
  return state === undefined ? undefined : STATES[state];
}
