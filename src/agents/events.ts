import type { VoiceSelection } from './voices.ts';
import type { EndReason } from './tools/tool.ts';

/** What the caller gave in one turn: recognised or typed words, or keypad digits. */
export type UserInput =
  | { readonly kind: 'speech'; readonly text: string; readonly recognition?: Recognition }
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'dtmf'; readonly digits: string };

/** How sure the recognizer is of what it heard. */
export interface Recognition {
  /** 0 to 1. */
  readonly confidence: number;
  /**
   * Set when the question's grammar constrained recognition: false when the caller said something the
   * grammar does not hold, and the text is then what the open language model heard.
   */
  readonly inGrammar?: boolean;
  /** Other readings, best first (the grammar's forced reading of out-of-grammar speech). */
  readonly alternatives: readonly string[];
}

/**
 * The stream one turn produces. The media pipeline speaks `sentence`s as they come (the `text` deltas are
 * for captions), shows tool frames, switches voice on `handoff` and hangs up after `end_call`.
 */
export type AgentEvent =
  | { readonly type: 'text'; readonly agent: string; readonly text: string }
  /** A sentence ready to speak; `start`/`end` locate it in the turn's spoken text (all `text` deltas joined). */
  | {
      readonly type: 'sentence';
      readonly agent: string;
      readonly text: string;
      readonly start: number;
      readonly end: number;
    }
  | {
      readonly type: 'tool_start';
      readonly agent: string;
      readonly callId: string;
      readonly tool: string;
      readonly args: unknown;
    }
  | {
      readonly type: 'tool_progress';
      readonly agent: string;
      readonly callId: string;
      readonly tool: string;
      readonly message: string;
      readonly fraction?: number | undefined;
    }
  | {
      readonly type: 'tool_end';
      readonly agent: string;
      readonly callId: string;
      readonly tool: string;
      readonly ok: boolean;
      readonly result: unknown;
      readonly error?: string | undefined;
      readonly durationMs: number;
    }
  | {
      readonly type: 'handoff';
      readonly from: string;
      readonly to: string;
      readonly reason: string | undefined;
      readonly voice: VoiceSelection;
    }
  /** What the agent expects next: the recognizer may load a grammar or favour phrases for it. */
  | {
      readonly type: 'expect';
      readonly agent: string;
      readonly slot: string;
      /** The slot's type (`digits`, `name`, `yes_no`…) and, for digits, the lengths an answer has. */
      readonly answer: string;
      readonly lengths?: readonly number[] | undefined;
      /** The JSGF grammar that constrains recognition of the answer. */
      readonly grammar?: string | undefined;
      /** Phrases of the kind of answer expected, for the recognizer to favour. */
      readonly phrases?: readonly string[] | undefined;
    }
  | {
      readonly type: 'end_call';
      readonly agent: string;
      readonly reason: EndReason;
      readonly message?: string | undefined;
    };
