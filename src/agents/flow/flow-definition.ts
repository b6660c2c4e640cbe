import { z } from 'zod';

const STATE_NAME = /^[a-z][a-z0-9_]*$/;
const stateName = z.string().regex(STATE_NAME, 'state names are snake_case');

/** Where a flow goes next: another state, another agent, or the end of the call. */
const Action = z.strictObject({
  /** A Liquid condition over `slots`, `result`, `caller`, e.g. `result.attempts >= 2`. Absent: always. */
  if: z.string().min(1).optional(),
  say: z.string().min(1).optional(),
  goto: stateName.optional(),
  /** Asks that state's question again to fix its answer, then goes to `return_to` (a confirmation). */
  revisit: stateName.optional(),
  return_to: stateName.optional(),
  handoff: z.string().min(1).optional(),
});
export type FlowAction = z.output<typeof Action>;

const Next = z.union([stateName.transform((goto): FlowAction[] => [{ goto }]), z.array(Action).min(1)]);

const SLOT_TYPES = ['name', 'digits', 'number', 'date', 'yes_no', 'choice', 'text'] as const;

/** A question whose answer fills a slot. */
const Ask = z.strictObject({
  slot: z.string().regex(/^[a-z][a-z0-9_]*$/, 'slot names are snake_case'),
  type: z.enum(SLOT_TYPES),
  prompt: z.string().min(1),
  /** Said when the answer could not be understood; the prompt again when unset. */
  reprompt: z.string().min(1).optional(),
  /** Failed answers after which `on_fail` is taken. */
  max_attempts: z.number().int().min(1).max(10).default(3),
  on_fail: stateName.optional(),
  lengths: z.array(z.number().int().min(1).max(32)).optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  options: z.record(z.string(), z.array(z.string().min(1)).min(1)).optional(),
  /**
   * A JSGF grammar for the recognizer while this question is open: a built-in one (`digits`, `yes_no`) or
   * a `.jsgf` file relative to the agent's YAML file (the names in a directory, say).
   */
  grammar: z.string().min(1).optional(),
  /**
   * Phrases of the kind of answer expected, favoured by the recognizer without ruling anything else out
   * (pocketsphinx interpolates a small language model of them with its general one). Each entry is a
   * phrase, or a `.txt` file of phrases (one per line, `#` comments) relative to the agent's YAML file.
   */
  phrases: z
    .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
    .transform((entries) => (typeof entries === 'string' ? [entries] : entries))
    .optional(),
  /** Keypad digits answer this question (DTMF). */
  dtmf: z.boolean().default(false),
  /**
   * An answer the caller gave before the question came ("someone hit my car yesterday", said to pick
   * claims) fills it without asking. Default: on for dates and choices, off for the rest.
   */
  carry_over: z.boolean().optional(),
});
export type FlowAsk = z.output<typeof Ask>;

const State = z
  .strictObject({
    say: z.string().min(1).optional(),
    tool: z.string().min(1).optional(),
    /** The tool's arguments: Liquid templates rendered with the flow's variables. */
    args: z.record(z.string(), z.unknown()).default({}),
    ask: Ask.optional(),
    next: Next.optional(),
  })
  .refine((s) => s.say ?? s.tool ?? s.ask ?? s.next, 'a state needs say, tool, ask or next');
export type FlowState = z.output<typeof State>;

/** Words that, said at any point, take the flow somewhere (an operator, an emergency, goodbye). */
const Intent = Action.extend({ when_said: z.array(z.string().min(1)).min(1) });
export type FlowIntent = z.output<typeof Intent>;

export const FlowDefinition = z.strictObject({
  start: stateName,
  states: z.record(stateName, State),
  intents: z.array(Intent).default([]),
});
export type FlowDefinition = z.output<typeof FlowDefinition>;
