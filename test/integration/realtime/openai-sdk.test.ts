import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concatPcm16, pcm16ToBase64 } from '../../../src/audio/pcm.ts';
import { createResampler } from '../../../src/audio/resampler.ts';
import type { RunningServer } from '../../../src/server/server.ts';
import { callerSpeech, startMediaServer } from '../../helpers/media.ts';
import {
  startChatCompletionsSimulator,
  textReply,
  toolCallReply,
  type ChatCompletionsSimulator,
} from '../../helpers/simulators/chat-completions.ts';
import { tlsFront } from '../../helpers/tls-front.ts';
import { thread } from '../../helpers/media.ts';
import { until } from '../../helpers/wait.ts';

const KEY = 'sk-rtvoice-test';
let server: RunningServer;
let front: Awaited<ReturnType<typeof tlsFront>>;
// A second rtvoice whose agents are LLM agents (an OpenAI-compatible simulator answers): they can call
// the tools a realtime client declares.
let llm: ChatCompletionsSimulator;
let llmServer: RunningServer;
let llmFront: Awaited<ReturnType<typeof tlsFront>>;
beforeAll(async () => {
  llm = await startChatCompletionsSimulator();
  [server, llmServer] = await Promise.all([
    startMediaServer({ AUTH_MODE: 'apikey', API_KEYS: KEY }),
    startMediaServer({
      AUTH_MODE: 'apikey',
      API_KEYS: KEY,
      AGENT_ENGINE: 'llm',
      OPENAI_BASE_URL: llm.baseUrl,
      LLM_MODEL: 'sim-model',
    }),
  ]);
  [front, llmFront] = await Promise.all([
    tlsFront(Number(new URL(server.url).port)),
    tlsFront(Number(new URL(llmServer.url).port)),
  ]);
});
afterAll(async () => {
  await Promise.all([server.close(), llmServer.close()]);
  await Promise.all([front.close(), llmFront.close(), llm.close()]);
});

type ServerEvent = { type: string } & Record<string, unknown>;

/** The official SDK's realtime client, connected to rtvoice's /v1/realtime, with every event it received. */
async function connect(apiKey = KEY, to = front) {
  const client = new OpenAI({ apiKey, baseURL: `${to.url}/v1` });
  const rt = new OpenAIRealtimeWS({ model: 'rtvoice', options: { ca: to.ca } }, client);
  const events: ServerEvent[] = [];
  const errors: unknown[] = [];
  rt.on('event', (event) => events.push(event as unknown as ServerEvent));
  rt.on('error', (err) => errors.push(err));
  await new Promise<void>((resolve, reject) => {
    rt.socket.once('open', () => resolve());
    rt.socket.once('close', (code) => reject(new Error(`closed with ${code}`)));
    rt.socket.once('unexpected-response', (_req, response) =>
      reject(new Error(`HTTP ${response.statusCode}`)),
    );
  });
  const count = (type: string) => events.filter((e) => e.type === type).length;
  const waitFor = async (type: string, after: number, timeoutMs = 15_000) => {
    await until(() => count(type) > after, timeoutMs);
    return events.filter((e) => e.type === type)[after];
  };
  return { rt, events, errors, count, waitFor };
}

/** Caller speech at 24 kHz, streamed as the protocol's appends at real-time pace, then silence. */
async function speak(rt: OpenAIRealtimeWS, text: string, silenceMs = 900): Promise<void> {
  const speech16 = await callerSpeech(text);
  const resampler = await createResampler(16000, 24000);
  const audio = concatPcm16([resampler.process(speech16), resampler.flush(), new Int16Array(24 * silenceMs)]);
  const frame = 480; // 20 ms
  const started = performance.now();
  for (let at = 0, n = 0; at < audio.length; at += frame, n += 1) {
    rt.send({
      type: 'input_audio_buffer.append',
      audio: pcm16ToBase64(audio.subarray(at, at + frame)),
    });
    const due = started + (n + 1) * 20 - performance.now();
    if (due > 0) await sleep(due);
  }
}

const completed = (events: ServerEvent[]) =>
  events.filter((e) => e.type === 'response.done').map((e) => (e['response'] as { status: string }).status);

describe("rtvoice's /v1/realtime with the official openai SDK realtime client", () => {
  it('holds a spoken conversation: session update, greeting, speech in, transcription, an answer in audio', async () => {
    const { rt, events, errors, count, waitFor } = await connect();
    expect((await waitFor('session.created', 0))?.['session']).toMatchObject({ type: 'realtime' });
    rt.send({ type: 'session.update', session: { type: 'realtime', instructions: 'Be brief.' } });
    expect((await waitFor('session.updated', 0))?.['session']).toMatchObject({ instructions: 'Be brief.' });

    // The agent greets first, as on a phone call: a whole response with audio and its transcript.
    await until(() => completed(events).length === 1, 15_000);
    expect(completed(events)).toEqual(['completed']);
    const greeting = events.filter((e) => e.type === 'response.output_audio_transcript.done')[0];
    expect(greeting?.['transcript']).toMatch(/XYZ Insurance/);
    const audio = events.filter((e) => e.type === 'response.output_audio.delta');
    expect(audio.length).toBeGreaterThan(25); // over half a second of 24 kHz audio, 20 ms a delta
    expect(Buffer.from(String(audio[0]?.['delta']), 'base64').length).toBe(960);

    await speak(rt, 'My name is Alice Brown.');
    await waitFor('input_audio_buffer.speech_started', 0);
    await waitFor('input_audio_buffer.speech_stopped', 0);
    const heard = await waitFor('conversation.item.input_audio_transcription.completed', 0);
    expect(String(heard?.['transcript'])).toMatch(/alice/i);
    await until(() => completed(events).length === 2, 15_000);
    const answer = events.filter((e) => e.type === 'response.output_audio_transcript.done')[1];
    expect(answer?.['transcript']).toMatch(/ZIP code/);
    // The caller's item comes before the answer's.
    const order = events.map((e) => e.type);
    expect(order.indexOf('input_audio_buffer.committed')).toBeLessThan(order.lastIndexOf('response.created'));

    // Typed text is a turn too, answered on response.create.
    rt.send({
      type: 'conversation.item.create',
      item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: '60601' }] },
    });
    rt.send({ type: 'response.create' });
    await until(() => completed(events).length === 3, 15_000);
    expect(
      events.filter((e) => e.type === 'response.output_audio_transcript.done')[2]?.['transcript'],
    ).toMatch(/verified/);
    expect(errors).toEqual([]);
    expect(count('error')).toBe(0);
    rt.close();
  }, 60_000);

  it('is interrupted by speech, answers truncate within the item, and stops on response.cancel', async () => {
    const { rt, events, waitFor } = await connect();
    // Speak over the greeting: the response ends cancelled (turn detected), and a truncate is taken.
    await waitFor('response.output_audio.delta', 5);
    const talking = speak(rt, 'Hold on, my name is Bob Martinez.');
    const cancelled = await until(() => completed(events).includes('cancelled'), 15_000).then(() =>
      events.find(
        (e) => e.type === 'response.done' && (e['response'] as { status: string }).status === 'cancelled',
      ),
    );
    expect((cancelled?.['response'] as { status_details: unknown }).status_details).toEqual({
      type: 'cancelled',
      reason: 'turn_detected',
    });
    const itemId = String((cancelled?.['response'] as { output: { id: string }[] }).output[0]?.id);
    rt.send({ type: 'conversation.item.truncate', item_id: itemId, content_index: 0, audio_end_ms: 200 });
    expect(await waitFor('conversation.item.truncated', 0)).toMatchObject({
      item_id: itemId,
      audio_end_ms: 200,
    });
    rt.send({ type: 'conversation.item.truncate', item_id: itemId, content_index: 0, audio_end_ms: 600_000 });
    expect((await waitFor('error', 0))?.['error']).toMatchObject({
      type: 'invalid_request_error',
      param: 'audio_end_ms',
    });
    await talking;

    // The answer to the interruption: cancelled by the client mid-way.
    const before = completed(events).length;
    await until(
      () =>
        events.filter((e) => e.type === 'response.output_audio.delta').length > 0 &&
        completed(events).length === before &&
        events.at(-1)?.type === 'response.output_audio.delta',
      15_000,
    );
    rt.send({ type: 'response.cancel' });
    await until(() => completed(events).length > before, 5000);
    const done = events.filter((e) => e.type === 'response.done').at(-1);
    expect(done?.['response'] as { status: string; status_details: unknown }).toMatchObject({
      status: 'cancelled',
      status_details: { type: 'cancelled', reason: 'client_cancelled' },
    });
    rt.close();
  }, 60_000);

  it("lets an LLM agent call the client's function, answers with its output, and cuts the history at a truncate", async () => {
    const { rt, events, errors, waitFor } = await connect(KEY, llmFront);
    const sessionId = String(
      (await waitFor('session.created', 0))?.['session'] && (events[0]!['session'] as { id: string }).id,
    );
    const weather = {
      type: 'function' as const,
      name: 'get_weather',
      description: 'The weather in a city now.',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    };
    rt.send({ type: 'session.update', session: { type: 'realtime', tools: [weather] } });
    expect((await waitFor('session.updated', 0))?.['session']).toMatchObject({ tools: [weather] });
    await until(() => completed(events).length === 1, 15_000); // the greeting (a template: no LLM)

    const answer = 'It is sunny in Paris, twenty degrees, with a light breeze from the west all afternoon.';
    llm.script(toolCallReply([{ name: 'get_weather', arguments: { city: 'Paris' } }]), textReply(answer));
    await speak(rt, 'What is the weather in Paris?');
    const call = await waitFor('response.function_call_arguments.done', 0);
    expect(call).toMatchObject({ name: 'get_weather', call_id: expect.any(String) });
    expect(JSON.parse(String(call?.['arguments']))).toEqual({ city: 'Paris' });
    // The model saw the client's tool beside the agent's own.
    const offered = llm.requests[0]?.body?.tools?.map((t) => t.function.name) ?? [];
    expect(offered).toContain('get_weather');
    expect(offered).toContain('authenticate_caller');
    // The response ends with the call (the client runs it); the answer waits for the output.
    await until(() => completed(events).length === 2, 5000);
    const done = events.filter((e) => e.type === 'response.done')[1]?.['response'] as {
      output: { type: string; call_id?: string }[];
    };
    expect(done.output.map((o) => o.type)).toContain('function_call');
    expect(llm.requests).toHaveLength(1);

    rt.send({
      type: 'conversation.item.create',
      item: {
        type: 'function_call_output',
        call_id: String(call?.['call_id']),
        output: JSON.stringify({ sky: 'sunny', celsius: 20 }),
      },
    });
    rt.send({ type: 'response.create' });
    const deltas = (type: string) => events.filter((e) => e.type === type);
    const transcriptOf = (item: unknown) =>
      deltas('response.output_audio_transcript.delta')
        .filter((e) => e['item_id'] === item)
        .map((e) => e['delta'])
        .join('');
    let itemId: unknown;
    await until(() => {
      itemId = deltas('response.output_audio_transcript.delta')
        .map((e) => e['item_id'])
        .find((item) => transcriptOf(item).startsWith('It is sunny'));
      return itemId !== undefined;
    }, 15_000);
    const toolMessage = llm.requests[1]?.body?.messages.find((m) => m.role === 'tool');
    expect(toolMessage).toMatchObject({
      tool_call_id: call?.['call_id'],
      content: JSON.stringify({ sky: 'sunny', celsius: 20 }),
    });

    // The client cancels after 1.6 s of the answer arrived: rtvoice keeps what its playback clock says
    // was heard. Then the client says it played only 1 s of it: the history keeps that much.
    await until(
      () => deltas('response.output_audio.delta').filter((e) => e['item_id'] === itemId).length >= 80,
      15_000,
    );
    rt.send({ type: 'response.cancel' });
    await until(() => completed(events).length === 3, 5000);
    const answerIn = async () =>
      (await thread(llmServer, sessionId, 'AuthAgent')).find((m) => m.content.startsWith('It is'))?.content;
    await until(async () => ((await answerIn())?.length ?? 99) < answer.length, 5000);
    const afterCancel = (await answerIn())!;
    expect(afterCancel.length).toBeLessThan(answer.length);
    expect(answer.startsWith(afterCancel)).toBe(true);
    rt.send({
      type: 'conversation.item.truncate',
      item_id: String(itemId),
      content_index: 0,
      audio_end_ms: 1000,
    });
    await waitFor('conversation.item.truncated', 0);
    await until(async () => ((await answerIn())?.length ?? 0) < afterCancel.length, 5000);
    const afterTruncate = (await answerIn())!;
    expect(afterTruncate.length).toBeLessThan(afterCancel.length);
    expect(afterTruncate).toMatch(/^It is/);
    expect(errors).toEqual([]);
    rt.close();
  }, 60_000);

  it('answers malformed events with the protocol error event, and the session goes on', async () => {
    const { rt, events, waitFor } = await connect();
    await waitFor('session.created', 0);
    rt.socket.send('{"type":"nope","event_id":"e1"}');
    rt.socket.send('not json');
    rt.socket.send(
      JSON.stringify({ type: 'input_audio_buffer.append', event_id: 'e3', audio: 'not*base64' }),
    );
    await until(() => events.filter((e) => e.type === 'error').length === 3, 5000);
    expect(events.filter((e) => e.type === 'error').map((e) => e['error'])).toEqual([
      expect.objectContaining({
        type: 'invalid_request_error',
        code: 'unknown_event',
        event_id: 'e1',
        param: 'type',
      }),
      expect.objectContaining({ type: 'invalid_request_error', code: 'invalid_json', event_id: null }),
      expect.objectContaining({ code: 'invalid_audio', event_id: 'e3', param: 'audio' }),
    ]);
    rt.send({ type: 'session.update', session: { type: 'realtime' } });
    await waitFor('session.updated', 0);
    rt.close();
  });

  it('is authenticated like the other call sockets', async () => {
    const { rt, events } = await connect('sk-wrong');
    const [code, reason] = (await once(rt.socket, 'close')) as [number, Buffer];
    expect(code).toBe(4001);
    expect(reason.toString()).toMatch(/unknown API key|credentials/i);
    expect(events).toEqual([]); // no session.created: nothing of the session was served
  });
});
