import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket, WebSocketServer } from 'ws';
import { pcm16ToBase64 } from '../../../src/audio/pcm.ts';

/**
 * A local realtime speech-to-speech service (PROTOCOLS.md §5, either dialect): `session.created` on
 * connect, `session.updated` for each `session.update`, and what a test scripts: the service's VAD events,
 * input transcriptions, responses with audio (a 440 Hz tone, so a caller hears speech), transcripts and
 * function calls, at a chosen pace. It records every client event and honours `response.cancel`
 * (optionally still sending a few deltas after it, as a real service may) and `conversation.item.truncate`
 * (refused past the item's audio, as the services do). Authentication: `api-key` or a bearer token.
 */

type Json = Record<string, unknown>;
export type Dialect = 'ga' | 'preview';

const RATE = 24000;
const id = (prefix: string) => `${prefix}_${randomBytes(8).toString('hex')}`;

/** One answer the service gives. */
export interface ScriptedResponse {
  /** The spoken words: the audio transcript. */
  readonly text?: string;
  /** Milliseconds of audio; 0 for none. */
  readonly audioMs?: number;
  /** Audio per delta, and the pause between deltas (0 sends everything at once). */
  readonly chunkMs?: number;
  readonly paceMs?: number;
  /** A function call instead of (or before) speech. */
  readonly functionCall?: { readonly name: string; readonly arguments: Json };
  /** Deltas still sent after a `response.cancel` arrives (the cancel race). */
  readonly deltasAfterCancel?: number;
}

/** One session of the service, as a test drives it. */
export class RealtimeSession {
  readonly received: Json[] = [];
  /** Milliseconds of caller audio appended. */
  appendedMs = 0;
  readonly truncates: Json[] = [];
  private readonly socket: WebSocket;
  private readonly dialect: Dialect;
  private responding: { id: string; cancelled: boolean } | undefined;
  private readonly items = new Map<string, number>();

  constructor(socket: WebSocket, dialect: Dialect) {
    this.socket = socket;
    this.dialect = dialect;
    socket.on('message', (data: Buffer) => this.receive(JSON.parse(data.toString('utf8')) as Json));
    this.send({
      type: 'session.created',
      session: { id: id('sess'), object: 'realtime.session', model: 'sim' },
    });
  }

  /** Client events of one type, in order. */
  eventsOf(type: string): Json[] {
    return this.received.filter((event) => event['type'] === type);
  }

  async waitFor(type: string, count = 1, timeoutMs = 10_000): Promise<Json[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.eventsOf(type).length < count && Date.now() < deadline) await sleep(10);
    return this.eventsOf(type);
  }

  /** The service's VAD hears the caller start (interrupting whatever it says). */
  speechStarted(audioStartMs = this.appendedMs): string {
    const item = id('item');
    this.send({
      type: 'input_audio_buffer.speech_started',
      audio_start_ms: Math.round(audioStartMs),
      item_id: item,
    });
    return item;
  }

  /** The caller stopped; the turn is committed and transcribed. */
  speechStopped(item: string, transcript: string, audioEndMs = this.appendedMs): void {
    this.send({
      type: 'input_audio_buffer.speech_stopped',
      audio_end_ms: Math.round(audioEndMs),
      item_id: item,
    });
    this.send({ type: 'input_audio_buffer.committed', previous_item_id: null, item_id: item });
    this.send({
      type: 'conversation.item.input_audio_transcription.completed',
      item_id: item,
      content_index: 0,
      transcript,
    });
  }

  /** Answers: the whole response lifecycle; resolves when it is done (or cancelled). */
  async respond(script: ScriptedResponse): Promise<'completed' | 'cancelled'> {
    const responseId = id('resp');
    const state = { id: responseId, cancelled: false };
    this.responding = state;
    const output: Json[] = [];
    this.send({
      type: 'response.created',
      response: { id: responseId, object: 'realtime.response', status: 'in_progress', output: [] },
    });
    if (script.functionCall) {
      const item = {
        id: id('item'),
        type: 'function_call',
        call_id: id('call'),
        name: script.functionCall.name,
        arguments: JSON.stringify(script.functionCall.arguments),
      };
      this.send({
        type: 'response.output_item.added',
        response_id: responseId,
        output_index: 0,
        item: { ...item, arguments: '' },
      });
      this.send({
        type: 'response.function_call_arguments.done',
        response_id: responseId,
        item_id: item.id,
        output_index: 0,
        call_id: item.call_id,
        arguments: item.arguments,
      });
      this.send({ type: 'response.output_item.done', response_id: responseId, output_index: 0, item });
      output.push(item);
    }
    const audioMs = script.audioMs ?? 0;
    if (audioMs > 0 || script.text) {
      const itemId = id('item');
      this.items.set(itemId, audioMs);
      const at = { response_id: responseId, item_id: itemId, output_index: output.length, content_index: 0 };
      const item = {
        id: itemId,
        object: 'realtime.item',
        type: 'message',
        role: 'assistant',
        status: 'in_progress',
        content: [],
      };
      this.send({
        type: 'response.output_item.added',
        response_id: responseId,
        output_index: output.length,
        item,
      });
      this.send({
        type: 'response.content_part.added',
        ...at,
        part: { type: this.dialect === 'ga' ? 'output_audio' : 'audio', transcript: '' },
      });
      if (script.text)
        this.send({ type: this.name('response.output_audio_transcript.delta'), ...at, delta: script.text });
      const chunkMs = script.chunkMs ?? 100;
      let after = 0;
      for (let sent = 0, phase = 0; sent < audioMs; sent += chunkMs) {
        if (state.cancelled && after++ >= (script.deltasAfterCancel ?? 0)) break;
        const samples = new Int16Array(Math.round((Math.min(chunkMs, audioMs - sent) * RATE) / 1000));
        for (let i = 0; i < samples.length; i += 1, phase += 1)
          samples[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * phase) / RATE));
        this.send({ type: this.name('response.output_audio.delta'), ...at, delta: pcm16ToBase64(samples) });
        if (script.paceMs) await sleep(script.paceMs);
      }
      if (!state.cancelled) {
        this.send({ type: this.name('response.output_audio.done'), ...at });
        this.send({
          type: this.name('response.output_audio_transcript.done'),
          ...at,
          transcript: script.text ?? '',
        });
      }
      output.push({ ...item, status: state.cancelled ? 'incomplete' : 'completed' });
    }
    const status = state.cancelled ? 'cancelled' : 'completed';
    this.send({
      type: 'response.done',
      response: {
        id: responseId,
        object: 'realtime.response',
        status,
        status_details: state.cancelled ? { type: 'cancelled', reason: 'client_cancelled' } : null,
        output,
      },
    });
    if (this.responding === state) this.responding = undefined;
    return status;
  }

  /** The service ends the session (a fault). */
  close(code = 1011, reason = 'server error'): void {
    this.socket.close(code, reason);
  }

  /** The session reached the service's time limit: the error the services send, then the close. */
  expire(): void {
    this.send({
      type: 'error',
      error: {
        type: 'invalid_request_error',
        code: 'session_expired',
        message: 'Your session hit the maximum duration of 30 minutes.',
        param: null,
        event_id: null,
      },
    });
    this.socket.close(1000, 'session expired');
  }

  /** Whether the client closed the session (or the service did). */
  get closed(): boolean {
    return this.socket.readyState === WebSocket.CLOSED || this.socket.readyState === WebSocket.CLOSING;
  }

  private receive(event: Json): void {
    this.received.push(event);
    switch (event['type']) {
      case 'session.update':
        return this.send({ type: 'session.updated', session: event['session'] ?? {} });
      case 'input_audio_buffer.append':
        this.appendedMs += (Buffer.from(String(event['audio']), 'base64').length / 2 / RATE) * 1000;
        return;
      case 'response.cancel':
        if (this.responding) this.responding.cancelled = true;
        return;
      case 'conversation.item.truncate': {
        const audioMs = this.items.get(String(event['item_id']));
        if (audioMs === undefined || Number(event['audio_end_ms']) > audioMs)
          return this.send({
            type: 'error',
            error: {
              type: 'invalid_request_error',
              code: 'invalid_value',
              message: 'audio_end_ms is past the item',
              param: 'audio_end_ms',
              event_id: null,
            },
          });
        this.truncates.push(event);
        return this.send({
          type: 'conversation.item.truncated',
          item_id: event['item_id'],
          content_index: 0,
          audio_end_ms: event['audio_end_ms'],
        });
      }
      default:
        return;
    }
  }

  /** GA event names as this dialect spells them. */
  private name(ga: string): string {
    if (this.dialect === 'ga') return ga;
    return ga
      .replace('response.output_audio_transcript', 'response.audio_transcript')
      .replace('response.output_audio', 'response.audio');
  }

  private send(event: Json): void {
    if (this.socket.readyState === WebSocket.OPEN)
      this.socket.send(JSON.stringify({ event_id: id('event'), ...event }));
  }
}

export class RealtimeServiceSimulator {
  readonly sessions: RealtimeSession[] = [];
  /** The credentials each connection came with. */
  readonly credentials: (string | undefined)[] = [];
  private readonly server: WebSocketServer;

  private constructor(server: WebSocketServer, dialect: Dialect) {
    this.server = server;
    server.on('connection', (socket, request) => {
      this.credentials.push(
        (request.headers['api-key'] as string | undefined) ??
          request.headers.authorization?.replace(/^Bearer /, ''),
      );
      this.sessions.push(new RealtimeSession(socket, dialect));
    });
  }

  static async start(dialect: Dialect = 'ga'): Promise<RealtimeServiceSimulator> {
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await once(server, 'listening');
    return new RealtimeServiceSimulator(server, dialect);
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1/realtime?model=sim`;
  }

  async session(index: number, timeoutMs = 10_000): Promise<RealtimeSession> {
    const deadline = Date.now() + timeoutMs;
    while (!this.sessions[index] && Date.now() < deadline) await sleep(10);
    const session = this.sessions[index];
    if (!session) throw new Error(`no realtime session ${index}`);
    return session;
  }

  async close(): Promise<void> {
    for (const client of this.server.clients) client.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
