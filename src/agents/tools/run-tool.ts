import { SpanStatusCode, type Context } from '@opentelemetry/api';
import { errorMessage } from '../../errors.ts';
import { tracer } from '../../telemetry/tracing.ts';
import type { AgentEvent } from '../events.ts';
import type { MemoManager } from '../../state/memo-manager.ts';
import type { EndReason, ToolContext } from './tool.ts';
import type { ToolOutcome, ToolRegistry } from './tool-registry.ts';

/** What a tool asked for besides its result. */
export interface ToolControl {
  handoff?: { to: string; reason: string | undefined };
  endCall?: { reason: EndReason; message: string | undefined };
}

export interface ToolRun {
  readonly outcome: ToolOutcome;
  readonly control: ToolControl;
}

export type ToolEvent = Extract<AgentEvent, { type: 'tool_start' | 'tool_progress' | 'tool_end' }>;

/**
 * Runs one tool call and streams its frames: start, any progress it reports while it runs, end. The
 * generator's return value is the outcome plus any handoff or end of call the tool asked for.
 */
export async function* runTool(
  tools: ToolRegistry,
  call: { id: string; name: string; args: string | Record<string, unknown> },
  scope: {
    memo: MemoManager;
    agent: string;
    signal: AbortSignal;
    /** The agent's tools: a model calling another registered tool gets an error, and nothing runs. */
    allowedTools: readonly string[];
    allowedHandoffs: readonly string[];
    /** Where the tool's span goes (the agent turn's). */
    traceContext?: Context | undefined;
  },
): AsyncGenerator<ToolEvent, ToolRun> {
  const { agent } = scope;
  const base = { agent, callId: call.id, tool: call.name };
  const control: ToolControl = {};
  const progress: ToolEvent[] = [];
  let wake: (() => void) | undefined;
  const context: ToolContext = {
    memo: scope.memo,
    agent,
    signal: scope.signal,
    progress(message, fraction) {
      progress.push({ type: 'tool_progress', ...base, message, fraction });
      wake?.();
    },
    handoff(to, reason) {
      if (!scope.allowedHandoffs.includes(to)) {
        throw new Error(`cannot hand off to "${to}"; allowed: ${scope.allowedHandoffs.join(', ') || 'none'}`);
      }
      control.handoff = { to, reason };
    },
    endCall(reason, message) {
      control.endCall = { reason, message };
    },
  };

  yield {
    type: 'tool_start',
    ...base,
    args: typeof call.args === 'string' ? parseOrRaw(call.args) : call.args,
  };
  const span = tracer().startSpan(
    'tool',
    { attributes: { 'tool.name': call.name, 'agent.name': agent } },
    scope.traceContext,
  );
  const started = performance.now();
  let settled: ToolOutcome | undefined;
  let failure: Error | undefined;
  const invocation = scope.allowedTools.includes(call.name)
    ? tools.invoke(call.name, call.args, context)
    : Promise.resolve<ToolOutcome>({
        ok: false,
        error: tools.has(call.name)
          ? `tool "${call.name}" is not available to ${agent}`
          : `unknown tool "${call.name}"`,
      });
  const running = invocation.then(
    (outcome) => (settled = outcome),
    (err: unknown) => (failure = err instanceof Error ? err : new Error(String(err))),
  );
  void running.finally(() => wake?.());
  while (settled === undefined && failure === undefined) {
    if (progress.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    wake = undefined;
    yield* progress.splice(0);
  }
  yield* progress.splice(0);
  const failed = failure ?? (settled?.ok === false ? settled.error : undefined);
  span.setAttribute('tool.ok', failed === undefined);
  if (failed !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(failed) });
  span.end();
  if (failure !== undefined) throw failure;
  const outcome = settled!;
  // A tool that failed asked for nothing: its handoff or hang-up would act on a half-done job.
  const granted = outcome.ok ? control : {};
  yield {
    type: 'tool_end',
    ...base,
    ok: outcome.ok,
    result: outcome.ok ? outcome.result : null,
    error: outcome.ok ? undefined : outcome.error,
    durationMs: Math.round(performance.now() - started),
  };
  return { outcome, control: granted };
}

/** JSON text as its value; other text as it is. */
export function parseOrRaw(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
