import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startChatCompletionsSimulator,
  textReply,
  toolCallReply,
  type ChatCompletionsSimulator,
} from '../../helpers/simulators/chat-completions.ts';

let sim: ChatCompletionsSimulator;
beforeAll(async () => {
  sim = await startChatCompletionsSimulator({ apiKey: 'sk-test', azureApiKey: 'az-key' });
});
afterAll(() => sim.close());

const body = { model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'hi' }] };

async function post(path: string, headers: Record<string, string>, payload: object = body) {
  const response = await fetch(`${sim.origin}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(payload),
  });
  return { response, text: await response.text() };
}

/** The JSON payloads of an SSE body, `[DONE]` kept as a string. */
function events(text: string): unknown[] {
  expect(text.endsWith('\n\n')).toBe(true);
  return text
    .split('\n\n')
    .filter(Boolean)
    .map((event) => {
      expect(event.startsWith('data: ')).toBe(true);
      const data = event.slice('data: '.length);
      return data === '[DONE]' ? data : (JSON.parse(data) as unknown);
    });
}

describe('Chat Completions simulator', () => {
  it('streams SSE chunks: role chunk, content deltas, finish, usage (with usage:null before), [DONE]', async () => {
    sim.script(textReply('Hi there'));
    const { response, text } = await post(
      '/v1/chat/completions',
      { authorization: 'Bearer sk-test' },
      {
        ...body,
        stream_options: { include_usage: true },
      },
    );
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const chunks = events(text);
    expect(chunks.at(-1)).toBe('[DONE]');
    expect(chunks[0]).toMatchObject({
      object: 'chat.completion.chunk',
      model: 'gpt-4o',
      usage: null,
      choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
    });
    expect(chunks.slice(1, 3)).toMatchObject([
      { choices: [{ delta: { content: 'Hi' } }] },
      { choices: [{ delta: { content: ' there' } }] },
    ]);
    expect(chunks[3]).toMatchObject({ choices: [{ delta: {}, finish_reason: 'stop' }] });
    expect(chunks[4]).toMatchObject({ choices: [], usage: { completion_tokens: 2 } });
  });

  it('sends the Azure prompt-filter chunk first and content_filter_results per choice', async () => {
    sim.script(
      toolCallReply([{ name: 'f', arguments: '{"a":1}' }], { azure: true, argumentFragmentSize: 3 }),
    );
    const { text } = await post('/openai/v1/chat/completions', { 'api-key': 'az-key' });
    const chunks = events(text);
    expect(chunks[0]).toMatchObject({
      choices: [],
      id: '',
      created: 0,
      prompt_filter_results: [{ prompt_index: 0 }],
    });
    expect(chunks[1]).toMatchObject({
      choices: [
        {
          delta: {
            role: 'assistant',
            content: null,
            tool_calls: [
              { index: 0, id: 'call_sim_0', type: 'function', function: { name: 'f', arguments: '' } },
            ],
          },
          content_filter_results: { hate: { filtered: false } },
        },
      ],
    });
    expect(chunks.slice(2, 5)).toMatchObject(
      ['{"a', '":1', '}'].map((piece) => ({
        choices: [{ delta: { tool_calls: [{ index: 0, function: { arguments: piece } }] } }],
      })),
    );
    expect(chunks.at(-2)).toMatchObject({ choices: [{ finish_reason: 'tool_calls' }] });
  });

  it('checks credentials, routes and the request shape', async () => {
    expect((await post('/v1/chat/completions', { authorization: 'Bearer wrong' })).response.status).toBe(401);
    expect((await post('/openai/v1/chat/completions', { 'api-key': 'wrong' })).response.status).toBe(401);
    expect((await post('/v1/completions', { authorization: 'Bearer sk-test' })).response.status).toBe(404);
    const unscripted = await post('/v1/chat/completions', { authorization: 'Bearer sk-test' });
    expect(unscripted.response.status).toBe(400);
    expect(unscripted.text).toContain('no scripted response');
    expect(sim.requests.at(-1)?.body?.model).toBe('gpt-4o');
  });
});
