import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  OpenAI,
  OpenAIError,
} from 'openai';
import type {
  ChatCompletionChunk,
  ChatCompletionCreateParamsStreaming,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import { errorMessage } from '../errors.ts';
import { urlUnder } from '../url.ts';
import { CallScope, ChunkWatchdog } from './deadlines.ts';
import {
  DEFAULT_RETRY_POLICY,
  isRetryableStatus,
  parseRetryAfter,
  retryStream,
  type RetryPolicy,
} from './retry.ts';
import { ToolCallAssembler } from './tool-call-assembler.ts';
import {
  LlmError,
  type ChatRequest,
  type LlmClient,
  type LlmEvent,
  type LlmMessage,
  type LlmUsage,
} from './types.ts';

/** OpenAI itself, or any server speaking its Chat Completions API (Ollama, vLLM, llama.cpp server, …). */
export interface OpenAiCompatibleTarget {
  provider: 'openai';
  /** E.g. `http://localhost:11434/v1`; the SDK's default (api.openai.com) when absent. */
  baseUrl?: string;
  /** Local servers need none; a placeholder is sent then, since the SDK insists on one. */
  apiKey?: string;
}

/** Azure OpenAI through its v1 route, `{endpoint}/openai/v1/`, where the request's model is the deployment. */
export interface AzureOpenAiTarget {
  provider: 'azure';
  /** The resource, e.g. `https://my-resource.openai.azure.com`. */
  endpoint: string;
  /** Sent as the `api-key` header. Without it an Entra ID bearer token is used. */
  apiKey?: string;
  /** Where Entra ID tokens come from; `DefaultAzureCredential` (loaded on first use) when absent. */
  tokenProvider?: () => Promise<string>;
}

export interface LlmTimeouts {
  /** From sending the request to the first chunk (connect, headers, first event). */
  firstChunkMs: number;
  /** Between two chunks once the stream has started; a quiet server is a stalled one. */
  idleMs: number;
  /** The whole call, retries and backoff waits included. */
  totalMs: number;
}

export const DEFAULT_LLM_TIMEOUTS: Readonly<LlmTimeouts> = {
  firstChunkMs: 10_000,
  idleMs: 5_000,
  totalMs: 60_000,
};

/** The part of a pino logger this layer uses. */
export interface LlmLogger {
  warn(obj: object, msg: string): void;
}

export interface LlmClientCommonOptions {
  /** For logs and pool stats; `<provider>:<host>` by default. */
  name?: string;
  timeouts?: Partial<LlmTimeouts>;
  retry?: Partial<RetryPolicy>;
  logger?: LlmLogger;
  /**
   * Where `maxTokens` goes. OpenAI and Azure deprecate `max_tokens` (and reasoning models reject it), while
   * some compatible servers know only `max_tokens`. Default: `max_completion_tokens` for OpenAI (no base
   * URL) and Azure, `max_tokens` for a custom base URL.
   */
  maxTokensField?: 'max_tokens' | 'max_completion_tokens';
  /** Ask for the usage chunk (`stream_options.include_usage`); on by default. */
  includeUsage?: boolean;
  /** Extra headers on every request, e.g. for a gateway. */
  headers?: Record<string, string>;
}

export type OpenAiClientOptions = (OpenAiCompatibleTarget | AzureOpenAiTarget) & LlmClientCommonOptions;

const COGNITIVE_SERVICES_SCOPE = 'https://cognitiveservices.azure.com/.default';

/** An `LlmClient` on the official `openai` SDK, with this layer's own retries and timeouts. */
export function createOpenAiClient(options: OpenAiClientOptions): LlmClient {
  const sdk = createSdk(options);
  const name = options.name ?? defaultName(options);
  const timeouts: LlmTimeouts = { ...DEFAULT_LLM_TIMEOUTS, ...options.timeouts };
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const maxTokensField =
    options.maxTokensField ??
    (options.provider === 'openai' && options.baseUrl ? 'max_tokens' : 'max_completion_tokens');
  const includeUsage = options.includeUsage ?? true;

  async function* stream(request: ChatRequest): AsyncGenerator<LlmEvent, void, undefined> {
    const body = requestBody(request, maxTokensField, includeUsage);
    const scope = new CallScope(request.signal, timeouts.totalMs);
    try {
      if (scope.signal.aborted) throw scope.signal.reason as LlmError;
      yield* retryStream(() => attempt(sdk, body, scope, timeouts), {
        policy,
        signal: scope.signal,
        deadline: scope.deadline,
        onRetry: ({ attempt: failed, delayMs, error }) =>
          options.logger?.warn(
            {
              llm: name,
              attempt: failed,
              delayMs: Math.round(delayMs),
              code: error.code,
              status: error.status,
            },
            `LLM call failed (${error.message}), retrying`,
          ),
      });
    } catch (err) {
      throw toLlmError(err);
    } finally {
      scope.dispose();
    }
  }

  return { name, stream };
}

/** One HTTP request and its stream; every failure leaves as an `LlmError`. */
async function* attempt(
  sdk: OpenAI,
  body: ChatCompletionCreateParamsStreaming,
  scope: CallScope,
  timeouts: LlmTimeouts,
): AsyncGenerator<LlmEvent, void, undefined> {
  const controller = new AbortController();
  const signal = AbortSignal.any([scope.signal, controller.signal]);
  // Whoever aborted left an LlmError as the reason; the SDK's own error then only says "aborted".
  const failure = (err: unknown): LlmError =>
    signal.aborted ? (signal.reason as LlmError) : toLlmError(err);
  const watchdog = new ChunkWatchdog(controller, timeouts.firstChunkMs, timeouts.idleMs);
  watchdog.arm();
  try {
    let chunks: AsyncIterable<ChatCompletionChunk>;
    try {
      chunks = await sdk.chat.completions.create(body, { signal, maxRetries: 0, timeout: timeouts.totalMs });
    } catch (err) {
      throw failure(err);
    }
    const assembler = new ToolCallAssembler();
    let finishReason: string | undefined;
    let usage: LlmUsage | undefined;
    try {
      for await (const chunk of chunks) {
        // Chunks the SDK had buffered still come out after an abort.
        if (signal.aborted) break;
        watchdog.chunk();
        if (chunk.usage)
          usage = {
            promptTokens: chunk.usage.prompt_tokens,
            completionTokens: chunk.usage.completion_tokens,
          };
        // Empty `choices`: Azure's prompt-filter chunk, the usage chunk. Only the first choice is used.
        const choice = (chunk.choices ?? []).find((c) => (c.index ?? 0) === 0);
        if (!choice) continue;
        if (choice.delta?.tool_calls) assembler.addAll(choice.delta.tool_calls);
        if (choice.finish_reason) finishReason = choice.finish_reason;
        const text = choice.delta?.content;
        if (text) {
          // The consumer's time is not the server's silence.
          watchdog.disarm();
          yield { type: 'text', text };
          watchdog.arm();
        }
      }
    } catch (err) {
      throw failure(err);
    }
    // The SDK ends the iteration quietly when its request is aborted.
    if (signal.aborted) throw signal.reason as LlmError;
    watchdog.disarm();
    const calls = assembler.result();
    if (calls.length > 0) yield { type: 'tool_calls', calls };
    // A stream may end without `[DONE]` or a finish reason (Ollama, proxies); what it carried tells.
    yield {
      type: 'done',
      finishReason: finishReason ?? (calls.length > 0 ? 'tool_calls' : 'stop'),
      ...(usage ? { usage } : {}),
    };
  } finally {
    watchdog.disarm();
  }
}

function requestBody(
  request: ChatRequest,
  maxTokensField: 'max_tokens' | 'max_completion_tokens',
  includeUsage: boolean,
): ChatCompletionCreateParamsStreaming {
  const body: ChatCompletionCreateParamsStreaming = {
    model: request.model,
    messages: request.messages.map(toSdkMessage),
    stream: true,
  };
  if (includeUsage) body.stream_options = { include_usage: true };
  if (request.tools && request.tools.length > 0) {
    body.tools = request.tools.map((tool) => ({
      type: 'function',
      function: { name: tool.name, description: tool.description, parameters: tool.parameters },
    }));
    body.tool_choice = 'auto';
  }
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.maxTokens !== undefined) body[maxTokensField] = request.maxTokens;
  return body;
}

function toSdkMessage(message: LlmMessage): ChatCompletionMessageParam {
  switch (message.role) {
    case 'system':
      return { role: 'system', content: message.content };
    case 'user':
      return { role: 'user', content: message.content };
    case 'tool':
      return { role: 'tool', tool_call_id: message.tool_call_id, content: message.content };
    case 'assistant':
      return {
        role: 'assistant',
        content: message.content,
        ...(message.tool_calls && message.tool_calls.length > 0
          ? {
              tool_calls: message.tool_calls.map((call) => ({
                id: call.id,
                type: 'function' as const,
                function: { name: call.name, arguments: call.arguments },
              })),
            }
          : {}),
      };
  }
}

/** Maps whatever the SDK or the network threw onto an `LlmError` that says whether to retry. */
export function toLlmError(err: unknown): LlmError {
  if (err instanceof LlmError) return err;
  // A failing token provider: our own LlmError, wrapped by the SDK.
  if (err instanceof OpenAIError && err.cause instanceof LlmError) return err.cause;
  if (err instanceof APIUserAbortError)
    return new LlmError('LLM_ABORTED', 'The LLM call was aborted', { cause: err });
  if (err instanceof APIConnectionTimeoutError)
    return new LlmError('LLM_TIMEOUT', 'The LLM request timed out', { retryable: true, cause: err });
  if (err instanceof APIConnectionError)
    return new LlmError('LLM_CONNECTION', `Could not reach the LLM: ${connectionDetail(err)}`, {
      retryable: true,
      cause: err,
    });
  if (err instanceof APIError) {
    // `instanceof` leaves the generic parameters as `any`.
    const { status, headers } = err as APIError<number | undefined, Headers | undefined>;
    if (status === undefined)
      // An `error` object inside the SSE stream (Azure's mid-stream server_error, for instance).
      return new LlmError('LLM_STREAM_ERROR', `The LLM stream reported an error: ${err.message}`, {
        retryable: true,
        cause: err,
      });
    return new LlmError(`LLM_HTTP_${status}`, `The LLM answered HTTP ${err.message}`, {
      status,
      retryable: isRetryableStatus(status),
      retryAfterMs: parseRetryAfter(headers),
      cause: err,
    });
  }
  if (err instanceof SyntaxError)
    return new LlmError('LLM_BAD_RESPONSE', `The LLM stream was not valid: ${err.message}`, { cause: err });
  // undici's "terminated" / "fetch failed": the connection broke while reading the body.
  if (err instanceof TypeError)
    return new LlmError('LLM_CONNECTION', `The LLM connection broke: ${connectionDetail(err)}`, {
      retryable: true,
      cause: err,
    });
  return new LlmError('LLM_ERROR', `The LLM call failed: ${errorMessage(err)}`, { cause: err });
}

function connectionDetail(err: Error): string {
  return err.cause instanceof Error ? `${err.message} (${err.cause.message})` : err.message;
}

function createSdk(options: OpenAiClientOptions): OpenAI {
  // The SDK's own retries are off: this layer retries, and only while nothing reached the consumer.
  const common = { maxRetries: 0, logLevel: 'off' as const };
  if (options.provider === 'azure') {
    const baseURL = azureV1BaseUrl(options.endpoint);
    if (options.apiKey)
      // Azure wants the key as `api-key`; the SDK's `Authorization: Bearer <key>` is removed.
      return new OpenAI({
        ...common,
        baseURL,
        apiKey: options.apiKey,
        defaultHeaders: { ...options.headers, 'api-key': options.apiKey, Authorization: null },
      });
    return new OpenAI({
      ...common,
      baseURL,
      apiKey: guardTokenProvider(options.tokenProvider ?? entraIdTokenProvider()),
      defaultHeaders: options.headers,
    });
  }
  return new OpenAI({
    ...common,
    baseURL: options.baseUrl,
    apiKey: options.apiKey || 'no-key',
    defaultHeaders: options.headers,
  });
}

function azureV1BaseUrl(endpoint: string): string {
  const trimmed = endpoint.replace(/\/+$/, '');
  return trimmed.endsWith('/openai/v1') ? `${trimmed}/` : urlUnder(trimmed, 'openai/v1/').toString();
}

/** `DefaultAzureCredential`, imported on first use so a deployment without Azure never loads it. */
function entraIdTokenProvider(): () => Promise<string> {
  let provider: Promise<() => Promise<string>> | undefined;
  return async () => {
    provider ??= import('@azure/identity').then(({ DefaultAzureCredential, getBearerTokenProvider }) =>
      getBearerTokenProvider(new DefaultAzureCredential(), COGNITIVE_SERVICES_SCOPE),
    );
    return (await provider)();
  };
}

function guardTokenProvider(get: () => Promise<string>): () => Promise<string> {
  return async () => {
    try {
      return await get();
    } catch (err) {
      throw new LlmError(
        'LLM_AUTH',
        `Could not get an Entra ID token for Azure OpenAI: ${errorMessage(err)}`,
        {
          cause: err,
        },
      );
    }
  };
}

function defaultName(options: OpenAiClientOptions): string {
  const url = options.provider === 'azure' ? options.endpoint : (options.baseUrl ?? 'https://api.openai.com');
  try {
    return `${options.provider}:${new URL(url).host}`;
  } catch {
    return options.provider;
  }
}
