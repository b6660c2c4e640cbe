import type { AgentEvent } from '../../agents/events.ts';
import type { Orchestrator } from '../../agents/orchestrator.ts';
import type { EndReason } from '../../agents/tools/tool.ts';
import type { MemoManager } from '../../state/memo-manager.ts';
import type { ServiceClientEvent } from './session-config.ts';

/** What running a realtime service's function calls needs of the call. */
export interface ServiceCallDeps {
  readonly orchestrator: Orchestrator;
  readonly memo: MemoManager;
  readonly signal: AbortSignal;
  /** The tools' frames (start, progress, end), for envelopes. */
  readonly publish: (event: AgentEvent) => void;
  readonly send: (event: ServiceClientEvent) => void;
  readonly onHandoff: (from: string, to: string, reason: string | undefined) => void;
  readonly onEndCall: (reason: EndReason) => void;
}

/**
 * Runs the function calls a realtime service made, one after another, with rtvoice's tool registry (the
 * active agent's own tools only: any other is an error the service reads), and gives each output back as a
 * `function_call_output` item. A handoff takes effect before the next call runs.
 */
export async function runServiceCalls(
  calls: ReadonlyMap<string, { name: string; args: string }>,
  deps: ServiceCallDeps,
): Promise<void> {
  const { orchestrator, memo } = deps;
  for (const [callId, call] of calls) {
    const agent = orchestrator.activeAgent(memo);
    const run = orchestrator.runToolFor(
      memo,
      agent,
      { id: callId, name: call.name, args: call.args },
      deps.signal,
    );
    let next = await run.next();
    while (!next.done) {
      deps.publish(next.value);
      next = await run.next();
    }
    if (deps.signal.aborted) return;
    const { outcome, control } = next.value;
    deps.send({
      type: 'conversation.item.create',
      item: {
        type: 'function_call_output',
        call_id: callId,
        output: JSON.stringify(outcome.ok ? outcome.result : { error: outcome.error }),
      },
    });
    if (control.handoff) deps.onHandoff(agent.name, control.handoff.to, control.handoff.reason);
    if (control.endCall) deps.onEndCall(control.endCall.reason);
  }
}
