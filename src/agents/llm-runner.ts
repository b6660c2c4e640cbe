import type { LlmClientPool } from '../llm/client-pool.ts';
import type { LlmMessage, ToolCall } from '../llm/types.ts';
import type { ChatMessage } from '../state/session.ts';
import type { UserInput } from './events.ts';
import { templateScope, toolScope, type AgentRunner, type RunnerEvent, type RunScope } from './runner.ts';
import { renderTemplate } from './templates.ts';
import { isClientTool, runClientTool } from './tools/client-tools.ts';
import { runTool, type ToolControl } from './tools/run-tool.ts';

export interface LlmRunnerOptions {
  readonly clients: LlmClientPool;
  /** The model (Azure: deployment) for agents that do not name one. */
  readonly defaultModel: string;
  /** Completions per turn at most (each tool round is one); stops a model that calls tools forever. */
  readonly maxRounds?: number;
}

const INTERRUPTED = 'cancelled: the caller interrupted before the tool finished';

/**
 * The LLM engine: each turn renders the agent's system prompt, streams a completion with the agent's
 * tools, runs the tools the model calls (in parallel calls' order) and streams the follow-up, until the
 * model answers without tools, hands over, or ends the call. Every tool call gets its tool message, even
 * when the caller interrupts, so the history never holds an orphaned call.
 */
export class LlmRunner implements AgentRunner {
  private readonly options: LlmRunnerOptions;

  constructor(options: LlmRunnerOptions) {
    this.options = options;
  }

  // The greeting is a template, said by the orchestrator: the model speaks when the caller does.
  async *enter(): AsyncGenerator<RunnerEvent> {}

  async *turn(_input: UserInput, scope: RunScope): AsyncGenerator<RunnerEvent> {
    const { agent, memo } = scope;
    const vars = {
      ...templateScope(memo, agent),
      handoff: memo.getContext('handoff') ?? {},
      handoffs: agent.handoffs.map((name) => ({ name })),
    };
    memo.ensureSystemPrompt(agent.name, renderTemplate(agent.promptTemplate ?? '', vars));
    const client = this.options.clients.clientFor(memo.sessionId);
    const declared = (scope.clientTools?.specs() ?? []).filter((spec) => !agent.tools.includes(spec.name));
    const tools = [...agent.tools.map((name) => scope.tools.spec(name)), ...declared];
    const maxRounds = this.options.maxRounds ?? 6;
    for (let round = 1; round <= maxRounds; round += 1) {
      let text = '';
      let spokenFrom = 0;
      let calls: ToolCall[] = [];
      try {
        for await (const event of client.stream({
          model: agent.model.name ?? this.options.defaultModel,
          messages: toLlmMessages(memo.history(agent.name)),
          ...(tools.length > 0 ? { tools } : {}),
          ...(agent.model.temperature !== undefined ? { temperature: agent.model.temperature } : {}),
          ...(agent.model.top_p !== undefined ? { topP: agent.model.top_p } : {}),
          ...(agent.model.max_tokens !== undefined ? { maxTokens: agent.model.max_tokens } : {}),
          signal: scope.signal,
        })) {
          if (event.type === 'text' && event.text) {
            if (!text) spokenFrom = scope.beginSpoken();
            text += event.text;
            yield { type: 'text', agent: agent.name, text: event.text };
          } else if (event.type === 'tool_calls') {
            calls = event.calls;
          }
        }
      } finally {
        // Also on barge-in: what was streamed is recorded, then cut to what the caller heard.
        if (text || calls.length > 0) {
          memo.appendMessage(agent.name, {
            role: 'assistant',
            content: text,
            ...(calls.length > 0 ? { tool_calls: calls } : {}),
            meta: { turn: scope.turn, ...(text ? { spoken_from: spokenFrom } : {}) },
          });
        }
      }
      if (calls.length === 0) return;
      const control = yield* this.runCalls(calls, scope);
      if (control.endCall) {
        yield { type: 'end_request', ...control.endCall };
        return;
      }
      if (control.handoff) {
        yield { type: 'handoff_request', ...control.handoff };
        return;
      }
    }
    scope.log.warn(
      { session_id: memo.sessionId, agent: agent.name, rounds: maxRounds },
      'tool rounds exhausted',
    );
  }

  /** Runs the response's tool calls in order; each leaves its tool message, finished or not. */
  private async *runCalls(
    calls: readonly ToolCall[],
    scope: RunScope,
  ): AsyncGenerator<RunnerEvent, ToolControl> {
    const control: ToolControl = {};
    let done = 0;
    try {
      for (const call of calls) {
        const request = { id: call.id, name: call.name, args: call.arguments };
        const run = isClientTool(scope.clientTools, scope.agent.tools, call.name)
          ? yield* runClientTool(scope.clientTools, request, scope.agent.name, scope.signal)
          : yield* runTool(scope.tools, request, toolScope(scope));
        this.recordResult(
          scope,
          call,
          JSON.stringify(run.outcome.ok ? run.outcome.result : { error: run.outcome.error }),
        );
        done += 1;
        control.handoff ??= run.control.handoff;
        control.endCall ??= run.control.endCall;
      }
    } finally {
      for (const call of calls.slice(done))
        this.recordResult(scope, call, JSON.stringify({ error: INTERRUPTED }));
    }
    return control;
  }

  private recordResult(scope: RunScope, call: ToolCall, content: string): void {
    scope.memo.appendMessage(scope.agent.name, {
      role: 'tool',
      name: call.name,
      tool_call_id: call.id,
      content,
      meta: { turn: scope.turn },
    });
  }

  release(sessionId: string): void {
    this.options.clients.release(sessionId);
  }
}

/**
 * The history as the API accepts it. Trimming can cut a tool message from the call that asked for it,
 * and the API rejects both halves alone: a tool message must follow its call, and a call needs all its
 * results. Those halves are left out.
 */
export function toLlmMessages(history: readonly ChatMessage[]): LlmMessage[] {
  const out: LlmMessage[] = [];
  for (let i = 0; i < history.length; i += 1) {
    const message = history[i]!;
    if (message.role === 'tool') continue; // only kept right after its call, below
    if (message.role !== 'assistant') {
      out.push({ role: message.role, content: message.content });
      continue;
    }
    const calls = message.tool_calls ?? [];
    // A call's results are the tool messages right after it; ids may repeat across responses.
    let end = i + 1;
    while (history[end]?.role === 'tool') end += 1;
    const results = history.slice(i + 1, end);
    const answered = calls.length > 0 && calls.every((c) => results.some((r) => r.tool_call_id === c.id));
    if (answered) {
      out.push({
        role: 'assistant',
        content: message.content || null,
        tool_calls: calls.map((c) => ({ ...c })),
      });
      for (const call of calls) {
        const result = results.find((r) => r.tool_call_id === call.id)!;
        out.push({ role: 'tool', tool_call_id: call.id, content: result.content });
      }
      i = end - 1;
    } else if (message.content) {
      out.push({ role: 'assistant', content: message.content });
    }
  }
  return out;
}
