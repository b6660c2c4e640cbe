/**
 * What a caller says about the conversation rather than in answer to the question: "wait", "say that
 * again", "that's wrong", "I have a question". A flow hears these in every state, before it tries to fill
 * a slot, so they are never stored as answers.
 */
export type MetaIntent = 'wait' | 'repeat' | 'correction' | 'question';

const PHRASES: Readonly<Record<MetaIntent, readonly string[]>> = {
  wait: [
    'wait',
    'hold on',
    'hang on',
    'one moment',
    'one second',
    'just a second',
    'just a moment',
    'give me a second',
    'give me a moment',
    'let me check',
    'let me see',
    'let me look',
    'let me think',
    'stop',
  ],
  repeat: [
    'repeat that',
    'repeat the question',
    'say that again',
    'say it again',
    'come again',
    'what did you say',
    'what was that',
    'pardon',
    'one more time',
    'can you repeat',
    'could you repeat',
  ],
  correction: [
    "that's wrong",
    'that is wrong',
    "that's not right",
    'that is not right',
    "that's not what i said",
    'that is not what i said',
    'not what i said',
    'go back',
    'i made a mistake',
    'wrong answer',
  ],
  question: [
    'i have a question',
    'i got a question',
    'can i ask',
    'could i ask',
    'quick question',
    'a question',
  ],
};

/** Every phrase a caller says about the conversation, for a recognizer to favour. */
export const META_PHRASES: readonly string[] = Object.values(PHRASES).flat();

/** Words before the meta phrase that do not change it: "um, wait", "sorry, say that again". */
const LEAD_INS = new Set([
  'um',
  'uh',
  'oh',
  'sorry',
  'no',
  'hey',
  'okay',
  'ok',
  'well',
  'excuse',
  'me',
  'actually',
]);
/** An utterance this short is about the conversation when it holds a meta phrase of two words or more anywhere. */
const SHORT = 6;
/** Questions to the agent: "what are your hours", "how do I…", "do you cover…", "is my car covered". */
const QUESTION_START = new RegExp(
  String.raw`^((what|when|where|why|how|who|which) (is|are|was|were|do|does|did|can|could|will|would|should)` +
    String.raw`|(do|does|can|could|will|would|is|are|should) (you|your|i|my|it|this|that|we))\b`,
);

/**
 * The meta intent of an utterance: one that starts with a meta phrase (after lead-ins such as "um" or
 * "sorry"), or a short one that holds a phrase of several words; `question` also for an utterance that
 * asks something of the agent ("what are your office hours", "do you cover floods"). Undefined for an
 * answer ("when I was driving home", "the car did not stop").
 */
export function metaIntentOf(text: string): MetaIntent | undefined {
  const words = text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}' ]+/gu, ' ')
    .split(/\s+/)
    .filter(Boolean);
  let start = 0;
  while (start < words.length - 1 && LEAD_INS.has(words[start]!)) start += 1;
  const spoken = ` ${words.slice(start).join(' ')} `;
  const whole = ` ${words.join(' ')} `;
  for (const [intent, phrases] of Object.entries(PHRASES) as [MetaIntent, readonly string[]][]) {
    for (const phrase of phrases) {
      if (spoken.startsWith(` ${phrase} `)) return intent;
      if (words.length <= SHORT && phrase.includes(' ') && whole.includes(` ${phrase} `)) return intent;
    }
  }
  return QUESTION_START.test(spoken.trim()) ? 'question' : undefined;
}
