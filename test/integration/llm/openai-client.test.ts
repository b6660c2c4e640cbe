import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createOpenAiClient, type OpenAiClientOptions } from '../../../src/llm/openai-client.ts';
import {
  LlmError,
  type ChatRequest,
  type LlmClient,
  type LlmEvent,
  type ToolSpec,
} from '../../../src/llm/types.ts';
import {
  errorReply,
  startChatCompletionsSimulator,
  textReply,
  toolCallReply,
  type ChatCompletionsSimulator,
  type OllamaQuirks,
} from '../../helpers/simulators/chat-completions.ts';
import { until } from '../../helpers/wait.ts';

const AZURE_KEY = 'azure-test-key';
const AZURE_TOKEN = 'entra-test-token';

let sim: ChatCompletionsSimulator;
let requestsBefore = 0;

beforeAll(async () => {
  sim = await startChatCompletionsSimulator({ azureApiKey: AZURE_KEY, azureBearerToken: AZURE_TOKEN });
});
afterAll(() => sim.close());
beforeEach(() => {
  sim.respondWith(undefined);
  expect(sim.pending).toBe(0);
  requestsBefore = sim.requests.length;
});

/** Requests made by the current test. */
const requests = () => sim.requests.slice(requestsBefore);

const fastRetry = { baseDelayMs: 10, maxDelayMs: 40, jitterMs: 0 };

function client(overrides: Partial<OpenAiClientOptions> = {}): LlmClient {
  return createOpenAiClient({
    provider: 'openai',
    baseUrl: sim.baseUrl,
    retry: fastRetry,
    timeouts: { firstChunkMs: 2000, idleMs: 1000, totalMs: 10_000 },
    ...overrides,
  } as OpenAiClientOptions);
}

function azureClient(overrides: Partial<OpenAiClientOptions> = {}): LlmClient {
  return createOpenAiClient({
    provider: 'azure',
    endpoint: sim.origin,
    apiKey: AZURE_KEY,
    retry: fastRetry,
    ...overrides,
  });
}

const request = (overrides: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'gpt-4o',
  messages: [
    { role: 'system', content: 'You are a helpful agent.' },
    { role: 'user', content: 'Where is order 42?' },
  ],
  ...overrides,
});

const lookupOrder: ToolSpec = {
  name: 'lookup_order',
  description: 'Finds an order by id',
  parameters: { type: 'object', properties: { order_id: { type: 'string' } }, required: ['order_id'] },
};

async function collect(events: AsyncIterable<LlmEvent>): Promise<LlmEvent[]> {
  const out: LlmEvent[] = [];
  for await (const event of events) out.push(event);
  return out;
}

const textOf = (events: LlmEvent[]) => events.map((e) => (e.type === 'text' ? e.text : '')).join('');

async function failure(events: AsyncIterable<LlmEvent>, seen: LlmEvent[] = []): Promise<LlmError> {
  try {
    for await (const event of events) seen.push(event);
  } catch (err) {
    expect(err).toBeInstanceOf(LlmError);
    return err as LlmError;
  }
  throw new Error('the stream did not fail');
}

describe('createOpenAiClient against the Chat Completions simulator', () => {
  it('streams text deltas as they come, then done with usage; the body is a proper streaming request', async () => {
    sim.script(
      textReply('Your order ships tomorrow morning.', { usage: { promptTokens: 21, completionTokens: 6 } }),
    );
    const events = await collect(client().stream(request({ temperature: 0.6, topP: 0.9, maxTokens: 200 })));
    expect(events.filter((e) => e.type === 'text').map((e) => e.text)).toEqual([
      'Your',
      ' order',
      ' ships',
      ' tomorrow',
      ' morning.',
    ]);
    expect(events.at(-1)).toEqual({
      type: 'done',
      finishReason: 'stop',
      usage: { promptTokens: 21, completionTokens: 6 },
    });
    const [sent] = requests();
    expect(sent?.path).toBe('/v1/chat/completions');
    expect(sent?.headers.authorization).toBe('Bearer no-key');
    expect(sent?.body).toEqual({
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'You are a helpful agent.' },
        { role: 'user', content: 'Where is order 42?' },
      ],
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0.6,
      top_p: 0.9,
      // A custom base URL is a compatible server: the classic field.
      max_tokens: 200,
    });
  });

  it('sends tools nested under function with tool_choice auto, and assembles parallel calls once, at the end', async () => {
    sim.script(
      toolCallReply([
        { name: 'lookup_order', arguments: { order_id: '42' }, id: 'call_a' },
        { name: 'lookup_order', arguments: { order_id: '43', verbose: true }, id: 'call_b' },
      ]),
    );
    const events = await collect(client().stream(request({ tools: [lookupOrder] })));
    expect(events).toEqual([
      {
        type: 'tool_calls',
        calls: [
          { id: 'call_a', name: 'lookup_order', arguments: '{"order_id":"42"}' },
          { id: 'call_b', name: 'lookup_order', arguments: '{"order_id":"43","verbose":true}' },
        ],
      },
      {
        type: 'done',
        finishReason: 'tool_calls',
        usage: expect.objectContaining({ promptTokens: expect.any(Number) }),
      },
    ]);
    expect(requests()[0]?.body).toMatchObject({
      tools: [
        {
          type: 'function',
          function: {
            name: 'lookup_order',
            description: 'Finds an order by id',
            parameters: lookupOrder.parameters,
          },
        },
      ],
      tool_choice: 'auto',
    });
  });

  it('uses max_completion_tokens for OpenAI and Azure', async () => {
    sim.script(textReply('ok'));
    await collect(azureClient().stream(request({ model: 'my-gpt4o-deployment', maxTokens: 50 })));
    expect(requests()[0]?.body).toMatchObject({ max_completion_tokens: 50 });
    expect(requests()[0]?.body).not.toHaveProperty('max_tokens');
  });

  it('talks to Azure on /openai/v1 with the api-key header, tolerating the prompt-filter chunk', async () => {
    sim.script(
      textReply('Hello from Azure.', { azure: true }),
      toolCallReply([{ name: 'lookup_order', arguments: '{"order_id":"7"}' }], { azure: true }),
    );
    const llm = azureClient();
    expect(llm.name).toBe(`azure:${new URL(sim.origin).host}`);
    const text = await collect(llm.stream(request({ model: 'my-gpt4o-deployment' })));
    expect(textOf(text)).toBe('Hello from Azure.');
    const tools = await collect(llm.stream(request({ model: 'my-gpt4o-deployment', tools: [lookupOrder] })));
    expect(tools[0]).toEqual({
      type: 'tool_calls',
      calls: [{ id: 'call_sim_0', name: 'lookup_order', arguments: '{"order_id":"7"}' }],
    });
    for (const sent of requests()) {
      expect(sent.path).toBe('/openai/v1/chat/completions');
      expect(sent.headers['api-key']).toBe(AZURE_KEY);
      expect(sent.headers.authorization).toBeUndefined();
      expect(sent.body?.model).toBe('my-gpt4o-deployment');
    }
  });

  it('uses an Entra ID bearer token on Azure when there is no key', async () => {
    sim.script(textReply('Token accepted.'));
    let asked = 0;
    const llm = azureClient({
      apiKey: undefined,
      tokenProvider: async () => {
        asked += 1;
        return AZURE_TOKEN;
      },
    });
    expect(textOf(await collect(llm.stream(request())))).toBe('Token accepted.');
    expect(asked).toBe(1);
    expect(requests()[0]?.headers.authorization).toBe(`Bearer ${AZURE_TOKEN}`);
    expect(requests()[0]?.headers['api-key']).toBeUndefined();
  });

  it('fails with LLM_AUTH, without a request or a retry, when no token can be had', async () => {
    const llm = azureClient({
      apiKey: undefined,
      tokenProvider: () => Promise.reject(new Error('no managed identity here')),
    });
    const error = await failure(llm.stream(request()));
    expect(error.code).toBe('LLM_AUTH');
    expect(error.message).toContain('no managed identity here');
    expect(requests()).toHaveLength(0);
  });

  it('reports a wrong Azure key as LLM_HTTP_401, not retried', async () => {
    const error = await failure(azureClient({ apiKey: 'wrong' }).stream(request()));
    expect(error).toMatchObject({ code: 'LLM_HTTP_401', status: 401, retryable: false });
    expect(requests()).toHaveLength(1);
  });

  const quirks: [string, OllamaQuirks][] = [
    ['index 0 for every call, whole arguments', { indexZero: true, wholeArguments: true }],
    ['no index', { noIndex: true }],
    ['no index, whole arguments', { noIndex: true, wholeArguments: true }],
    ['no id', { noId: true }],
    ['no id, no index, whole arguments', { noId: true, noIndex: true, wholeArguments: true }],
    ['no id, index 0 for every call, whole arguments', { noId: true, indexZero: true, wholeArguments: true }],
  ];
  it.each(quirks)('assembles Ollama-style tool calls: %s', async (_label, ollama) => {
    sim.script(
      toolCallReply(
        [
          { name: 'lookup_order', arguments: { order_id: '1' }, id: 'call_x' },
          { name: 'get_weather', arguments: { city: 'Paris' }, id: 'call_y' },
        ],
        { ollama },
      ),
    );
    const events = await collect(client().stream(request({ tools: [lookupOrder] })));
    const calls = events.find((e) => e.type === 'tool_calls')?.calls;
    expect(calls?.map((c) => [c.name, JSON.parse(c.arguments) as unknown])).toEqual([
      ['lookup_order', { order_id: '1' }],
      ['get_weather', { city: 'Paris' }],
    ]);
    expect(calls?.map((c) => c.id)).toEqual(ollama.noId ? ['call_0', 'call_1'] : ['call_x', 'call_y']);
  });

  it('infers the finish reason of a stream that ends without finish_reason and without [DONE]', async () => {
    sim.script(
      textReply('Cut short', { finishReason: null, done: false, usage: false }),
      toolCallReply([{ name: 'lookup_order', arguments: '{}' }], { finishReason: null, done: false }),
    );
    const text = await collect(client().stream(request()));
    expect(textOf(text)).toBe('Cut short');
    expect(text.at(-1)).toEqual({ type: 'done', finishReason: 'stop' });
    const tools = await collect(client().stream(request()));
    expect(tools.at(-1)).toMatchObject({ type: 'done', finishReason: 'tool_calls' });
  });

  it('keeps text that precedes tool calls and reports a server finish reason as sent', async () => {
    sim.script({
      type: 'stream',
      text: 'Let me check.',
      toolCalls: [{ name: 'lookup_order', arguments: '{"order_id":"42"}' }],
      finishReason: 'stop',
    });
    const events = await collect(client().stream(request()));
    expect(textOf(events)).toBe('Let me check.');
    expect(events.slice(-2).map((e) => e.type)).toEqual(['tool_calls', 'done']);
    expect(events.at(-1)).toMatchObject({ finishReason: 'stop' });
  });

  it('retries a 429 after its Retry-After (1 s) and then streams', async () => {
    const warnings: { obj: object; msg: string }[] = [];
    // A pino logger fits the option too.
    client({ logger: pino({ enabled: false }) });
    sim.script(errorReply(429, { retryAfter: 1 }), textReply('After the wait.'));
    const started = Date.now();
    const events = await collect(
      client({ logger: { warn: (obj, msg) => warnings.push({ obj, msg }) } }).stream(request()),
    );
    const elapsed = Date.now() - started;
    expect(textOf(events)).toBe('After the wait.');
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(2500);
    const [first, second] = requests();
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(950);
    expect(warnings).toEqual([
      {
        obj: expect.objectContaining({ attempt: 1, delayMs: 1000, code: 'LLM_HTTP_429', status: 429 }),
        msg: expect.stringContaining('retrying'),
      },
    ]);
  });

  it('retries a 500 and then streams', async () => {
    sim.script(errorReply(500), textReply('Second time lucky.'));
    expect(textOf(await collect(client().stream(request())))).toBe('Second time lucky.');
    expect(requests()).toHaveLength(2);
  });

  it('honours retry-after-ms', async () => {
    sim.script(errorReply(503, { retryAfterMs: 200 }), textReply('ok'));
    await collect(client().stream(request()));
    const [first, second] = requests();
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(190);
  });

  it('does not retry a 400 and carries the server message', async () => {
    sim.script(
      errorReply(400, {
        body: {
          error: { message: "Invalid schema for function 'lookup_order'", type: 'invalid_request_error' },
        },
      }),
    );
    const error = await failure(client().stream(request()));
    expect(error).toMatchObject({ code: 'LLM_HTTP_400', status: 400, retryable: false });
    expect(error.message).toContain("Invalid schema for function 'lookup_order'");
    expect(requests()).toHaveLength(1);
  });

  it('does not wait for a Retry-After that ends past the overall deadline', async () => {
    sim.script(errorReply(429, { retryAfter: 30 }));
    const started = Date.now();
    const error = await failure(client({ timeouts: { totalMs: 5000 } }).stream(request()));
    expect(error).toMatchObject({ code: 'LLM_HTTP_429', retryAfterMs: 30_000 });
    expect(Date.now() - started).toBeLessThan(5000); // not the 30 s it was told to wait
  });

  it('retries an error event inside the stream when nothing was yielded yet', async () => {
    sim.script(textReply('Broken', { errorAfter: 1 }), textReply('Fixed'));
    expect(textOf(await collect(client().stream(request())))).toBe('Fixed');
    sim.script(textReply('Half said', { errorAfter: 2 }));
    const error = await failure(client().stream(request()));
    expect(error.code).toBe('LLM_STREAM_ERROR');
    expect(error.message).toContain('The server had an error');
    expect(requests()).toHaveLength(3);
  });

  it('gives up after maxAttempts', async () => {
    sim.script(errorReply(503), errorReply(503), errorReply(503));
    const error = await failure(client({ retry: { ...fastRetry, maxAttempts: 3 } }).stream(request()));
    expect(error.code).toBe('LLM_HTTP_503');
    expect(requests()).toHaveLength(3);
  });

  it('throws LLM_STALLED within the idle timeout when the stream goes quiet after text, without a retry', async () => {
    sim.script(textReply('One two three four five', { stallAfter: 3 }));
    const seen: LlmEvent[] = [];
    const started = Date.now();
    const error = await failure(client({ timeouts: { idleMs: 300 } }).stream(request()), seen);
    expect(error.code).toBe('LLM_STALLED');
    expect(Date.now() - started).toBeLessThan(3000); // the stream would never end
    expect(textOf(seen)).toBe('One two');
    expect(requests()).toHaveLength(1);
    await until(() => requests()[0]!.clientClosedEarly);
    expect(requests()[0]?.clientClosedEarly).toBe(true);
  });

  it('retries a stall that happened before anything was yielded, so no text is duplicated', async () => {
    sim.script(textReply('Hello there', { stallAfter: 1 }), textReply('Hello there'));
    const events = await collect(client({ timeouts: { idleMs: 200 } }).stream(request()));
    expect(textOf(events)).toBe('Hello there');
    expect(requests()).toHaveLength(2);
  });

  it('times out a server that sends no first chunk (LLM_TIMEOUT), retrying it', async () => {
    sim.script(textReply('late', { headerDelayMs: 10_000 }), textReply('on time'));
    const started = Date.now();
    const events = await collect(client({ timeouts: { firstChunkMs: 200 } }).stream(request()));
    expect(textOf(events)).toBe('on time');
    expect(Date.now() - started).toBeLessThan(5000); // not the 10 s the first server takes
    const error = await (async () => {
      sim.script(textReply('late', { headerDelayMs: 10_000 }));
      return failure(
        client({ timeouts: { firstChunkMs: 200 }, retry: { maxAttempts: 1 } }).stream(request()),
      );
    })();
    expect(error.code).toBe('LLM_TIMEOUT');
  });

  it('retries a connection cut before any text, but not one after', async () => {
    sim.script(textReply('Alpha beta', { dropAfter: 1 }), textReply('Alpha beta'));
    expect(textOf(await collect(client().stream(request())))).toBe('Alpha beta');
    expect(requests()).toHaveLength(2);

    sim.script(textReply('Gamma delta epsilon', { dropAfter: 2 }));
    const seen: LlmEvent[] = [];
    const error = await failure(client().stream(request()), seen);
    expect(error.code).toBe('LLM_CONNECTION');
    expect(textOf(seen)).toBe('Gamma');
    expect(requests()).toHaveLength(3);
  });

  it('ends the whole call at the overall timeout, without retrying', async () => {
    sim.script(textReply('a b c d e f g h i j k l m n o p', { chunkDelayMs: 250 }));
    const started = Date.now();
    const error = await failure(client({ timeouts: { totalMs: 400, idleMs: 1000 } }).stream(request()));
    expect(error).toMatchObject({ code: 'LLM_TIMEOUT', retryable: false });
    expect(Date.now() - started).toBeLessThan(2000); // the whole stream takes 4 s
    expect(requests()).toHaveLength(1);
  });

  it('stops promptly when the caller aborts mid-stream, cancelling the HTTP request', async () => {
    sim.script(textReply('one two three four five six seven eight nine ten', { chunkDelayMs: 2000 }));
    const controller = new AbortController();
    const events = client({ timeouts: { idleMs: 10_000 } }).stream(request({ signal: controller.signal }));
    const iterator = events[Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({ done: false, value: { type: 'text', text: 'one' } });
    controller.abort();
    const started = Date.now();
    const error = await iterator.next().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(Date.now() - started).toBeLessThan(1000); // not waiting for the next chunk, 2 s away
    expect(error).toMatchObject({ code: 'LLM_ABORTED' });
    expect((error as LlmError).cause).toBeInstanceOf(DOMException);
    await until(() => requests()[0]!.clientClosedEarly);
    expect(requests()[0]?.clientClosedEarly).toBe(true);
  });

  it('aborts while waiting on a stalled server, and during a backoff wait', async () => {
    sim.script(textReply('waiting forever', { stallAfter: 2 }));
    const stalled = new AbortController();
    setTimeout(() => stalled.abort(new Error('caller hung up')), 100);
    const first = await failure(client().stream(request({ signal: stalled.signal })));
    expect(first.code).toBe('LLM_ABORTED');
    expect((first.cause as Error).message).toBe('caller hung up');

    sim.script(errorReply(429, { retryAfter: 5 }));
    const backoff = new AbortController();
    setTimeout(() => backoff.abort(), 100);
    const started = Date.now();
    const second = await failure(client().stream(request({ signal: backoff.signal })));
    expect(second.code).toBe('LLM_ABORTED');
    expect(Date.now() - started).toBeLessThan(2500); // not the 5 s backoff
  });

  it('sends nothing when the signal is already aborted', async () => {
    const error = await failure(client().stream(request({ signal: AbortSignal.abort() })));
    expect(error.code).toBe('LLM_ABORTED');
    expect(requests()).toHaveLength(0);
  });

  it('cancels the request when the consumer stops reading', async () => {
    sim.script(textReply('one two three four five six', { chunkDelayMs: 50 }));
    for await (const event of client().stream(request())) if (event.type === 'text') break;
    await until(() => requests()[0]!.clientClosedEarly);
    expect(requests()[0]?.clientClosedEarly).toBe(true);
  });

  it('does not mistake a slow consumer for a stalled server', async () => {
    sim.script(textReply('slow reader here'));
    const events: LlmEvent[] = [];
    for await (const event of client({ timeouts: { idleMs: 100 } }).stream(request())) {
      events.push(event);
      if (event.type === 'text') await sleep(150);
    }
    expect(textOf(events)).toBe('slow reader here');
    expect(events.at(-1)?.type).toBe('done');
  });

  it('runs a tool loop against a responder that answers from the messages', async () => {
    sim.respondWith((body) => {
      const last = body.messages.at(-1);
      if (last?.role === 'tool') {
        const result = JSON.parse(last.content ?? '{}') as { status: string };
        return textReply(`Order 42 is ${result.status}.`);
      }
      return toolCallReply([{ name: 'lookup_order', arguments: { order_id: '42' }, id: 'call_42' }], {
        azure: true,
      });
    });
    const llm = client();
    const messages: ChatRequest['messages'][number][] = [...request().messages];
    const first = await collect(llm.stream(request({ messages, tools: [lookupOrder] })));
    const calls = first.find((e) => e.type === 'tool_calls')?.calls ?? [];
    messages.push({ role: 'assistant', content: null, tool_calls: calls });
    for (const call of calls)
      messages.push({ role: 'tool', tool_call_id: call.id, content: '{"status":"shipped"}' });
    const second = await collect(llm.stream(request({ messages, tools: [lookupOrder] })));
    expect(textOf(second)).toBe('Order 42 is shipped.');
    expect(requests()[1]?.body?.messages.slice(-2)).toEqual([
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'call_42',
            type: 'function',
            function: { name: 'lookup_order', arguments: '{"order_id":"42"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'call_42', content: '{"status":"shipped"}' },
    ]);
  });
});
