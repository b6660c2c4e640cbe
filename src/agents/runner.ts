import type { Context } from '@opentelemetry/api';
import type { MemoManager } from '../state/memo-manager.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { AgentDefinition } from './agent-definition.ts';
import type { AgentEvent, UserInput } from './events.ts';
import type { runTool } from './tools/run-tool.ts';
import type { EndReason } from './tools/tool.ts';
import type { ClientTools } from './tools/client-tools.ts';
import type { ToolRegistry } from './tools/tool-registry.ts';

/** What an engine yields: agent events, minus those only the orchestrator makes, plus its requests. */
export type RunnerEvent =
  | Extract<AgentEvent, { type: 'text' | 'tool_start' | 'tool_progress' | 'tool_end' | 'expect' }>
  | { readonly type: 'handoff_request'; readonly to: string; readonly reason: string | undefined }
  | { readonly type: 'end_request'; readonly reason: EndReason; readonly message: string | undefined };

/** Everything an engine needs for one step of one agent. */
export interface RunScope {
  readonly memo: MemoManager;
  readonly agent: AgentDefinition;
  readonly tools: ToolRegistry;
  /** Tools the far end runs (a realtime client's), which an LLM agent may call beside its own. */
  readonly clientTools?: ClientTools | undefined;
  readonly signal: AbortSignal;
  readonly log: Logger;
  /** The turn number, recorded on every message so barge-in can find the turn's spoken text. */
  readonly turn: number;
  /**
   * Starts a spoken message: returns where it begins in the turn's spoken text, which the message
   * records as `meta.spoken_from` so barge-in can cut it to what was heard.
   */
  beginSpoken(): number;
  /** The trace context tool spans belong to. */
  readonly traceContext: Context;
}

/** An engine that runs agents: the LLM with prompts and tools, or the offline flow. */
export interface AgentRunner {
  /** The agent has just become active and its greeting was said: it may go on (a flow asks its first question). */
  enter(scope: RunScope): AsyncIterable<RunnerEvent>;
  /** One caller turn; the caller's words are already in the agent's history. */
  turn(input: UserInput, scope: RunScope): AsyncIterable<RunnerEvent>;
  /** The call is over: free what the engine holds for it (a pinned LLM client). */
  release?(sessionId: string): void;
}

/** The variables prompts, greetings and flow texts see. */
export function templateScope(memo: MemoManager, agent: AgentDefinition): Record<string, unknown> {
  return {
    agent: { name: agent.name, description: agent.description },
    caller: memo.getContext('caller') ?? {},
    slots: memo.getContext('slots') ?? {},
    context: memo.context(),
    session_id: memo.sessionId,
  };
}

/** Records spoken text in the agent's thread, located for barge-in truncation. */
export function appendSpoken(scope: RunScope, text: string, spokenFrom: number): void {
  scope.memo.appendMessage(scope.agent.name, {
    role: 'assistant',
    content: text,
    meta: { turn: scope.turn, spoken_from: spokenFrom },
  });
}

/** What a tool call of the scope's agent may do: its own tools and handoffs, in its trace. */
export function toolScope(scope: RunScope): Parameters<typeof runTool>[2] {
  return {
    memo: scope.memo,
    agent: scope.agent.name,
    signal: scope.signal,
    allowedTools: scope.agent.tools,
    allowedHandoffs: scope.agent.handoffs,
    traceContext: scope.traceContext,
  };
}
