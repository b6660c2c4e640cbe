import { RtvoiceError } from '../errors.ts';

/** A function the model may call; `parameters` is a JSON schema object. */
export interface ToolSpec {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

/** One tool call of a response, assembled from its streamed fragments. */
export interface ToolCall {
  id: string;
  name: string;
  /** The raw JSON text as streamed; the caller parses (and may have to repair) it. */
  arguments: string;
}

export type LlmMessage =
  | { role: 'system' | 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: ToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

export interface ChatRequest {
  /** Model name; on Azure, the deployment name. */
  model: string;
  messages: readonly LlmMessage[];
  tools?: readonly ToolSpec[];
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  /** Cancels the HTTP request at once; the stream then throws `LlmError` `LLM_ABORTED`. */
  signal?: AbortSignal;
}

export interface LlmUsage {
  promptTokens: number;
  completionTokens: number;
}

export type LlmEvent =
  /** A content delta, as it arrives. */
  | { type: 'text'; text: string }
  /** All calls of the response, assembled, once, at the end (before `done`). */
  | { type: 'tool_calls'; calls: ToolCall[] }
  /** Always the last event. `finishReason` is inferred ('tool_calls' or 'stop') when the server sent none. */
  | { type: 'done'; finishReason: string; usage?: LlmUsage };

export interface LlmClient {
  /** For logs and pool stats, e.g. `azure:eastus`. */
  readonly name: string;
  /**
   * Streams one completion. Transient failures are retried only while nothing has been yielded yet;
   * after that a failure is thrown, so the consumer never sees text twice. Every failure is an `LlmError`.
   */
  stream(request: ChatRequest): AsyncIterable<LlmEvent>;
}

export type LlmErrorCode =
  /** No first chunk within the connect timeout, or the overall deadline passed. */
  | 'LLM_TIMEOUT'
  /** The stream started but no chunk arrived within the idle timeout. */
  | 'LLM_STALLED'
  /** The caller's signal fired. */
  | 'LLM_ABORTED'
  /** Connection refused, reset or cut mid-stream. */
  | 'LLM_CONNECTION'
  /** The server answered with a status outside 2xx. */
  | `LLM_HTTP_${number}`
  /** An `error` object inside the event stream. */
  | 'LLM_STREAM_ERROR'
  /** The stream was not valid Chat Completions SSE. */
  | 'LLM_BAD_RESPONSE'
  /** No credential could be obtained (e.g. Entra ID token). */
  | 'LLM_AUTH'
  | 'LLM_ERROR';

export interface LlmErrorOptions extends ErrorOptions {
  /** Whether trying again (before any event was yielded) may succeed. */
  retryable?: boolean;
  status?: number;
  /** The server's Retry-After / retry-after-ms hint, in milliseconds. */
  retryAfterMs?: number;
}

export class LlmError extends RtvoiceError {
  declare readonly code: LlmErrorCode;
  readonly retryable: boolean;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(code: LlmErrorCode, message: string, options: LlmErrorOptions = {}) {
    const { retryable = false, status, retryAfterMs, ...errorOptions } = options;
    super(code, message, errorOptions);
    this.retryable = retryable;
    this.status = status;
    this.retryAfterMs = retryAfterMs;
  }
}
