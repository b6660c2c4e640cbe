import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concatPcm16, pcm16ToBase64 } from '../../../src/audio/pcm.ts';
import { createResampler } from '../../../src/audio/resampler.ts';
import type { RunningServer } from '../../../src/server/server.ts';
import { callerSpeech, startMediaServer } from '../../helpers/media.ts';
import { tlsFront } from '../../helpers/tls-front.ts';
import { until } from '../../helpers/wait.ts';

const KEY = 'sk-rtvoice-test';
let server: RunningServer;
let front: Awaited<ReturnType<typeof tlsFront>>;
beforeAll(async () => {
  server = await startMediaServer({ AUTH_MODE: 'apikey', API_KEYS: KEY });
  front = await tlsFront(Number(new URL(server.url).port));
});
afterAll(async () => {
  await server.close();
  await front.close();
});

type ServerEvent = { type: string } & Record<string, unknown>;

/** The official SDK's realtime client, connected to rtvoice's /v1/realtime, with every event it received. */
async function connect(apiKey = KEY) {
  const client = new OpenAI({ apiKey, baseURL: `${front.url}/v1` });
  const rt = new OpenAIRealtimeWS({ model: 'rtvoice', options: { ca: front.ca } }, client);
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
