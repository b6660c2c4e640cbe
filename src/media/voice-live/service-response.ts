import type { LatencyTool } from '../cascade/latency-tool.ts';
import type { ServiceEvent } from './realtime-service.ts';

/** The realtime service's answer in progress. */
export interface ServiceResponse {
  readonly id: string;
  readonly turn: number;
  readonly latency: LatencyTool;
  itemId: string | undefined;
  transcript: string;
  /** Where its audio starts in the output stream, and how much of it came (ms). */
  outStart: number | undefined;
  audioMs: number;
  done: boolean;
  cancelled: boolean;
  firstFrameSent: boolean;
  /** Function calls the service made in this response, run by rtvoice once it is done. */
  readonly calls: Map<string, { name: string; args: string }>;
}

export function newResponse(id: string, turn: number, latency: LatencyTool): ServiceResponse {
  return {
    id,
    turn,
    latency,
    itemId: undefined,
    transcript: '',
    outStart: undefined,
    audioMs: 0,
    done: false,
    cancelled: false,
    firstFrameSent: false,
    calls: new Map(),
  };
}

/**
 * Keeps a function call of the response: from `response.output_item.done` (the whole item) or
 * `response.function_call_arguments.done` (its arguments); both may come, and it is kept once.
 */
export function recordFunctionCall(response: ServiceResponse, event: ServiceEvent): void {
  const item = event['item'] as
    { type?: unknown; call_id?: unknown; name?: unknown; arguments?: unknown } | undefined;
  const call =
    event.type === 'response.output_item.done'
      ? item
      : { ...event, name: event['name'] ?? item?.name, type: 'function_call' };
  if (call?.type !== 'function_call' || typeof call.call_id !== 'string') return;
  const known = response.calls.get(call.call_id);
  response.calls.set(call.call_id, {
    name: textOf(call.name) || known?.name || '',
    args: textOf(call.arguments) || known?.args || '',
  });
}

export const textOf = (value: unknown): string => (typeof value === 'string' ? value : '');
