import type { ToolSpec } from '../../llm/types.ts';
import { parseOrRaw, type ToolEvent, type ToolRun } from './run-tool.ts';

/**
 * Tools the far end declares and runs itself (a realtime client's `session.update` tools). An LLM agent
 * may call them beside its own: the call goes out to the client, and the output it sends back is the
 * result. The offline flow agent does not call them.
 */
export interface ClientTools {
  /** The declared tools, as the LLM gets them. */
  specs(): readonly ToolSpec[];
  /** Sends the call to the client; resolves with the output it returns, rejects when `signal` aborts. */
  call(call: { id: string; name: string; args: string }, signal: AbortSignal): Promise<string>;
}

/** Whether `name` is the client's to run: declared by it and not one of the agent's own tools. */
export function isClientTool(
  tools: ClientTools | undefined,
  ownTools: readonly string[],
  name: string,
): tools is ClientTools {
  return !ownTools.includes(name) && (tools?.specs().some((spec) => spec.name === name) ?? false);
}

/** Runs one client tool call with the frames a registry tool has: start, then end with the output. */
export async function* runClientTool(
  tools: ClientTools,
  call: { id: string; name: string; args: string },
  agent: string,
  signal: AbortSignal,
): AsyncGenerator<ToolEvent, ToolRun> {
  const base = { agent, callId: call.id, tool: call.name };
  yield { type: 'tool_start', ...base, args: parseOrRaw(call.args) };
  const started = performance.now();
  const result = parseOrRaw(await tools.call(call, signal));
  yield {
    type: 'tool_end',
    ...base,
    ok: true,
    result,
    error: undefined,
    durationMs: Math.round(performance.now() - started),
  };
  return { outcome: { ok: true, result }, control: {} };
}
