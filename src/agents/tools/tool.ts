import type { z } from 'zod';
import type { MemoManager } from '../../state/memo-manager.ts';

/** Why a call ends on the agent's side. */
export type EndReason = 'human_handoff' | 'emergency' | 'completed';

/** What a tool may do besides returning a result: report progress, hand over, end the call. */
export interface ToolContext {
  readonly memo: MemoManager;
  readonly agent: string;
  /** Aborted when the caller barges in or hangs up; long tools should stop. */
  readonly signal: AbortSignal;
  readonly progress: (message: string, fraction?: number) => void;
  /** Makes another agent active once this tool returns; it must be among the agent's handoffs. */
  readonly handoff: (to: string, reason?: string) => void;
  /** Ends the call once this tool returns (the agent may still say a last sentence). */
  readonly endCall: (reason: EndReason, message?: string) => void;
}

export interface Tool<Args = unknown> {
  readonly name: string;
  /** Shown to the LLM; say when to call it. */
  readonly description: string;
  /** Validates the arguments; its JSON schema is what the LLM sees. */
  readonly parameters: z.ZodType<Args>;
  run(args: Args, context: ToolContext): unknown;
}

/**
 * Declares a tool with its argument types inferred from the zod schema. The registry holds tools of any
 * arguments, so the result is widened: the schema validates before `run` ever sees them.
 */
export function defineTool<S extends z.ZodType>(tool: {
  name: string;
  description: string;
  parameters: S;
  run(args: z.output<S>, context: ToolContext): unknown;
}): Tool {
  return tool;
}
