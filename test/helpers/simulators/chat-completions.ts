import { setTimeout as sleep } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';

/**
 * A local OpenAI-compatible Chat Completions server (PROTOCOLS.md §7, LLM checklist in §8). Each request is
 * answered by the next scripted response: an SSE stream (`data: <json>\n\n` … `data: [DONE]\n\n`) of text
 * and/or tool calls, optionally with Azure's prompt-filter chunk and content-filter results, a usage chunk,
 * Ollama's tool-call quirks, a stall or a cut connection; or an HTTP error with Retry-After. It serves
 * `POST /v1/chat/completions` (Bearer) and Azure's `POST /openai/v1/chat/completions` (`api-key` or an
 * Entra ID Bearer token) and records every request.
 */

export interface ScriptedToolCall {
  name: string;
  /** A string is sent as is (it may even be invalid JSON); an object is JSON-encoded. */
  arguments: string | Record<string, unknown>;
  /** `call_sim_<n>` by default. */
  id?: string;
}

/** Deviations of Ollama and other compatible servers (PROTOCOLS.md §7.4). */
export interface OllamaQuirks {
  /** Tool-call fragments carry no `index` (Ollama before v0.4.7). */
  noIndex?: boolean;
  /** Every parallel call has `index: 0` (ollama/ollama#15457). */
  indexZero?: boolean;
  /** Each call comes whole in one fragment, all calls in one chunk. */
  wholeArguments?: boolean;
  /** Tool calls carry no `id` (nor `type`). */
  noId?: boolean;
}

export interface StreamReply {
  type: 'stream';
  /** A string is split into word deltas; an array gives the deltas exactly. */
  text?: string | readonly string[];
  /** Streamed after the text, in parallel (index 0, 1, …), arguments split in fragments. */
  toolCalls?: readonly ScriptedToolCall[];
  /** Characters per arguments fragment; 7 by default. */
  argumentFragmentSize?: number;
  /** Azure: a first chunk with `choices: []`, `prompt_filter_results`, `id: ""`, `created: 0`; per-choice `content_filter_results`. */
  azure?: boolean;
  /** The usage chunk (`choices: []`). By default sent when the request asked for it (`stream_options.include_usage`). */
  usage?: boolean | { promptTokens: number; completionTokens: number };
  /** Defaults to 'tool_calls' or 'stop'; `null` sends no finishing chunk at all. */
  finishReason?: string | null;
  /** `false` ends the response without `data: [DONE]`. */
  done?: boolean;
  ollama?: OllamaQuirks;
  /** Send this many SSE events, then nothing, keeping the connection open. */
  stallAfter?: number;
  /** Send this many SSE events, then destroy the socket. */
  dropAfter?: number;
  /** Send this many SSE events, then an in-stream `{"error": {...}}` event, and end the response. */
  errorAfter?: number;
  /** Pause between SSE events. */
  chunkDelayMs?: number;
  /** Pause before the response headers. */
  headerDelayMs?: number;
  /** The `model` of the chunks; the request's model by default. */
  model?: string;
}

export interface ErrorReply {
  type: 'error';
  status: number;
  /** The `Retry-After` header (seconds, or an HTTP date). */
  retryAfter?: string | number;
  /** The `retry-after-ms` header. */
  retryAfterMs?: number;
  /** The JSON body; an OpenAI-style `{error: {message, type, param, code}}` by default. */
  body?: unknown;
  headers?: Record<string, string>;
}

export type ScriptedResponse = StreamReply | ErrorReply;

export interface SimulatedMessage {
  role: string;
  content?: string | null;
  tool_calls?: { id: string; type: string; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
}

/** The JSON body of a Chat Completions request, as far as the simulator looks into it. */
export interface ChatRequestBody {
  model: string;
  messages: SimulatedMessage[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  tools?: { type: string; function: { name: string; description?: string; parameters?: unknown } }[];
  tool_choice?: unknown;
  [key: string]: unknown;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Undefined when the body was not JSON. */
  body: ChatRequestBody | undefined;
  receivedAt: number;
  /** The client closed the connection before the response was complete (abort, timeout). */
  clientClosedEarly: boolean;
}

/** Answers a request from its body; for tool loops whose next answer depends on the messages. */
export type Responder = (body: ChatRequestBody, request: RecordedRequest) => ScriptedResponse;

export interface ChatCompletionsSimulatorOptions {
  /** Required as `Authorization: Bearer <apiKey>` on `/v1` when set. */
  apiKey?: string;
  /** Required as `api-key` on the Azure path when set (or `azureBearerToken`). */
  azureApiKey?: string;
  /** Accepted as `Authorization: Bearer <token>` on the Azure path when set. */
  azureBearerToken?: string;
}

export interface ChatCompletionsSimulator {
  /** `http://127.0.0.1:<port>/v1`, for OpenAI-compatible clients. */
  readonly baseUrl: string;
  /** `http://127.0.0.1:<port>`, the Azure resource endpoint (the client adds `/openai/v1/`). */
  readonly origin: string;
  readonly requests: readonly RecordedRequest[];
  /** Queues responses (or responders) for the next requests, in order. */
  script(...responses: (ScriptedResponse | Responder)[]): void;
  /** Answers requests once the queue is empty; without one an unscripted request gets a 400. */
  respondWith(responder: Responder | undefined): void;
  /** Scripted responses not used yet. */
  readonly pending: number;
  close(): Promise<void>;
}

export function textReply(
  text: string | readonly string[],
  options: Omit<StreamReply, 'type' | 'text'> = {},
): StreamReply {
  return { type: 'stream', text, ...options };
}

export function toolCallReply(
  calls: readonly ScriptedToolCall[],
  options: Omit<StreamReply, 'type' | 'toolCalls'> = {},
): StreamReply {
  return { type: 'stream', toolCalls: calls, ...options };
}

export function errorReply(status: number, options: Omit<ErrorReply, 'type' | 'status'> = {}): ErrorReply {
  return { type: 'error', status, ...options };
}

const OPENAI_PATH = '/v1/chat/completions';
const AZURE_PATH = '/openai/v1/chat/completions';

export async function startChatCompletionsSimulator(
  options: ChatCompletionsSimulatorOptions = {},
): Promise<ChatCompletionsSimulator> {
  const queue: (ScriptedResponse | Responder)[] = [];
  const requests: RecordedRequest[] = [];
  let fallback: Responder | undefined;

  const server: Server = createServer((request, response) => {
    void handle(request, response).catch((err: unknown) => {
      if (!response.headersSent) sendJson(response, 500, errorBody(`simulator failure: ${String(err)}`));
      else response.destroy();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const raw = await readBody(request);
    let body: ChatRequestBody | undefined;
    try {
      body = JSON.parse(raw) as ChatRequestBody;
    } catch {
      body = undefined;
    }
    const path = (request.url ?? '').split('?')[0]!;
    const recorded: RecordedRequest = {
      method: request.method ?? '',
      path,
      headers: request.headers,
      body,
      receivedAt: Date.now(),
      clientClosedEarly: false,
    };
    requests.push(recorded);
    response.once('close', () => {
      if (!response.writableFinished) recorded.clientClosedEarly = true;
    });

    if (request.method !== 'POST' || (path !== OPENAI_PATH && path !== AZURE_PATH))
      return sendJson(response, 404, errorBody(`no route for ${request.method} ${path}`));
    const authFailure =
      path === AZURE_PATH ? checkAzureAuth(request.headers) : checkOpenAiAuth(request.headers);
    if (authFailure) return sendJson(response, 401, authFailure);
    if (!body || typeof body.model !== 'string' || !Array.isArray(body.messages))
      return sendJson(
        response,
        400,
        errorBody("'model' and 'messages' are required", 'invalid_request_error'),
      );
    if (body.stream !== true)
      return sendJson(
        response,
        400,
        errorBody('this simulator only streams (stream: true)', 'invalid_request_error'),
      );

    const next = queue.shift() ?? fallback;
    if (!next)
      return sendJson(
        response,
        400,
        errorBody(
          'chat-completions simulator: no scripted response for this request',
          'invalid_request_error',
        ),
      );
    const reply = typeof next === 'function' ? next(body, recorded) : next;
    if (reply.type === 'error') return sendError(response, reply);
    await sendStream(response, reply, body);
  }

  function checkOpenAiAuth(headers: IncomingHttpHeaders): unknown {
    if (options.apiKey === undefined || headers.authorization === `Bearer ${options.apiKey}`)
      return undefined;
    return errorBody('Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key');
  }

  function checkAzureAuth(headers: IncomingHttpHeaders): unknown {
    const key = headers['api-key'];
    const bearer = headers.authorization?.startsWith('Bearer ') ? headers.authorization.slice(7) : undefined;
    const configured = options.azureApiKey !== undefined || options.azureBearerToken !== undefined;
    const ok = configured
      ? (options.azureApiKey !== undefined && key === options.azureApiKey) ||
        (options.azureBearerToken !== undefined && bearer === options.azureBearerToken)
      : key !== undefined || bearer !== undefined;
    if (ok) return undefined;
    return {
      error: {
        code: '401',
        message:
          'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.',
      },
    };
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const origin = `http://127.0.0.1:${port}`;

  return {
    baseUrl: `${origin}/v1`,
    origin,
    requests,
    script: (...responses) => void queue.push(...responses),
    respondWith: (responder) => {
      fallback = responder;
    },
    get pending() {
      return queue.length;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function errorBody(message: string, type = 'server_error', code: string | null = null): unknown {
  return { error: { message, type, param: null, code } };
}

function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

function sendError(response: ServerResponse, reply: ErrorReply): void {
  const headers: Record<string, string> = { 'x-request-id': randomUUID(), ...reply.headers };
  if (reply.retryAfter !== undefined) headers['Retry-After'] = String(reply.retryAfter);
  if (reply.retryAfterMs !== undefined) headers['retry-after-ms'] = String(reply.retryAfterMs);
  const fallbackType =
    reply.status === 429
      ? 'rate_limit_exceeded'
      : reply.status >= 500
        ? 'server_error'
        : 'invalid_request_error';
  sendJson(
    response,
    reply.status,
    reply.body ?? errorBody(`simulated HTTP ${reply.status}`, fallbackType),
    headers,
  );
}

async function sendStream(
  response: ServerResponse,
  reply: StreamReply,
  body: ChatRequestBody,
): Promise<void> {
  if (reply.headerDelayMs) await sleep(reply.headerDelayMs);
  if (response.destroyed) return;
  response.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache',
    Connection: 'keep-alive',
    'x-request-id': randomUUID(),
  });
  response.flushHeaders();
  const events = streamEvents(reply, body);
  for (const [i, event] of events.entries()) {
    if (reply.stallAfter !== undefined && i >= reply.stallAfter) return; // silent, connection left open
    if (reply.dropAfter !== undefined && i >= reply.dropAfter) {
      response.socket?.destroy();
      return;
    }
    if (reply.errorAfter !== undefined && i >= reply.errorAfter) {
      const error = {
        error: { message: 'The server had an error while processing your request.', type: 'server_error' },
      };
      response.end(`data: ${JSON.stringify(error)}\n\n`);
      return;
    }
    if (i > 0 && reply.chunkDelayMs) await sleep(reply.chunkDelayMs);
    if (response.destroyed) return;
    // Waiting for each write to reach the socket makes a later stall or cut happen after what was sent.
    const data = `data: ${typeof event === 'string' ? event : JSON.stringify(event)}\n\n`;
    await new Promise<void>((resolve) => response.write(data, () => resolve()));
  }
  response.end();
}

/** The SSE payloads of a stream reply, in order: chunk objects, then '[DONE]'. */
export function streamEvents(reply: StreamReply, body: ChatRequestBody): (object | '[DONE]')[] {
  const azure = reply.azure ?? false;
  const quirks = reply.ollama ?? {};
  const wantsUsage = body.stream_options?.include_usage === true;
  const sendUsage = reply.usage === undefined ? wantsUsage : reply.usage !== false;
  const base = {
    id: `chatcmpl-sim${randomUUID().replaceAll('-', '').slice(0, 20)}`,
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model: reply.model ?? body.model,
    system_fingerprint:
      quirks.noIndex || quirks.indexZero || quirks.wholeArguments || quirks.noId ? 'fp_ollama' : 'fp_sim',
    // With include_usage OpenAI puts `usage: null` on every chunk but the last.
    ...(wantsUsage ? { usage: null } : {}),
  };
  const filterResults = {
    hate: { filtered: false, severity: 'safe' },
    self_harm: { filtered: false, severity: 'safe' },
    sexual: { filtered: false, severity: 'safe' },
    violence: { filtered: false, severity: 'safe' },
  };
  const chunk = (delta: object, finishReason: string | null = null, filtered = true): object => ({
    ...base,
    choices: [
      {
        index: 0,
        delta,
        logprobs: null,
        finish_reason: finishReason,
        ...(azure ? { content_filter_results: filtered ? filterResults : {} } : {}),
      },
    ],
  });

  const events: (object | '[DONE]')[] = [];
  if (azure)
    events.push({
      choices: [],
      created: 0,
      id: '',
      model: '',
      object: '',
      prompt_filter_results: [{ prompt_index: 0, content_filter_results: filterResults }],
    });

  const deltas =
    typeof reply.text === 'string' ? (reply.text.match(/\s*\S+/g) ?? []) : [...(reply.text ?? [])];
  const calls = (reply.toolCalls ?? []).map((call, i) => ({
    id: call.id ?? `call_sim_${i}`,
    name: call.name,
    arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
  }));
  let completionTokens = 0;

  if (deltas.length > 0 || calls.length === 0) {
    events.push(chunk({ role: 'assistant', content: '', refusal: null }, null, false));
    for (const text of deltas) {
      events.push(chunk({ content: text }));
      completionTokens += 1;
    }
  }

  const fragment = (i: number, call: (typeof calls)[number], args: string, first: boolean): object => ({
    ...(quirks.noIndex ? {} : { index: quirks.indexZero ? 0 : i }),
    ...(first && !quirks.noId ? { id: call.id, type: 'function' } : {}),
    function: first ? { name: call.name, arguments: args } : { arguments: args },
  });
  // The first tool-call chunk opens the assistant message when no text did.
  const opening = deltas.length === 0 ? { role: 'assistant', content: null } : { content: null };
  if (quirks.wholeArguments && calls.length > 0) {
    events.push(
      chunk({ ...opening, tool_calls: calls.map((call, i) => fragment(i, call, call.arguments, true)) }),
    );
    completionTokens += calls.length;
  } else {
    const size = reply.argumentFragmentSize ?? 7;
    calls.forEach((call, i) => {
      events.push(
        chunk({ ...(i === 0 ? opening : { content: null }), tool_calls: [fragment(i, call, '', true)] }),
      );
      for (let at = 0; at < call.arguments.length; at += size) {
        events.push(
          chunk({
            content: null,
            tool_calls: [fragment(i, call, call.arguments.slice(at, at + size), false)],
          }),
        );
        completionTokens += 1;
      }
    });
  }

  const finishReason =
    reply.finishReason === undefined ? (calls.length > 0 ? 'tool_calls' : 'stop') : reply.finishReason;
  if (finishReason !== null) events.push(chunk({}, finishReason, false));
  if (sendUsage) {
    const usage =
      typeof reply.usage === 'object'
        ? reply.usage
        : { promptTokens: promptTokenEstimate(body), completionTokens: Math.max(1, completionTokens) };
    events.push({
      ...base,
      choices: [],
      usage: {
        prompt_tokens: usage.promptTokens,
        completion_tokens: usage.completionTokens,
        total_tokens: usage.promptTokens + usage.completionTokens,
      },
    });
  }
  if (reply.done !== false) events.push('[DONE]');
  return events;
}

function promptTokenEstimate(body: ChatRequestBody): number {
  return body.messages.reduce((sum, message) => sum + 4 + (message.content?.split(/\s+/).length ?? 0), 0);
}
