import type { WebSocket } from 'ws';
import { durationMs, pcm16ToBase64, type Pcm16 } from '../../audio/pcm.ts';
import type { ClientTools } from '../../agents/tools/client-tools.ts';
import type { Envelope } from '../../connections/envelope.ts';
import type { ToolSpec } from '../../llm/types.ts';
import { CALL_ROUTES } from '../routes.ts';
import { single } from '../single.ts';
import type { CallHandler, Transport, TransportKind, TransportOutlet } from '../transport.ts';
import {
  parseRealtimeClientEvent,
  REALTIME_SAMPLE_RATE,
  RealtimeParseError,
  realtimeError,
  realtimeId,
  type RealtimeClientItem,
  type RealtimeServerEvent,
  type RealtimeSessionUpdate,
} from './realtime-codec.ts';

/** An assistant audio item: where it starts in the output stream, what was sent of it, and its turn. */
interface AudioItem {
  readonly id: string;
  readonly outputIndex: number;
  streamStart: number | undefined;
  turn: number | undefined;
  transcript: string;
  audioMs: number;
}

/** The assistant's answer in progress: one response, with an audio item and any client tool calls. */
interface OpenResponse {
  readonly id: string;
  audio: AudioItem | undefined;
  readonly output: Record<string, unknown>[];
}

/** A client tool call waiting for the client's `function_call_output`. */
interface PendingCall {
  readonly resolve: (output: string) => void;
  readonly reject: (reason: unknown) => void;
}

/**
 * The OpenAI Realtime protocol (GA dialect) over rtvoice's own cascade: a realtime client's socket as a
 * call. In: `input_audio_buffer.append` (24 kHz PCM16) to the caller's audio, user text items answered on
 * `response.create`, other items as context, `function_call_output` for the client's tools,
 * `response.cancel`, `conversation.item.truncate` (the history keeps what the client played),
 * `session.update` (instructions, tools). Out: the handler's audio, captions and turn events translated
 * into the protocol's server events. Turn detection is rtvoice's: the agent answers when its end-of-turn
 * detector decides, and greets first, as on a phone call.
 */
export class RealtimeTransport implements Transport, ClientTools {
  readonly name = 'realtime';
  readonly capabilities = { confirmsPlayback: false };
  readonly outputRate = REALTIME_SAMPLE_RATE;
  readonly clientTools: ClientTools = this;
  private readonly socket: WebSocket;
  private readonly outlet: TransportOutlet;
  private readonly session: Record<string, unknown> & { tools: ToolSpec[] };
  /** The call's handler, once the first event started it. */
  private handler: CallHandler | undefined;
  private response: OpenResponse | undefined;
  /** The assistant's audio items, for truncation requests. */
  private readonly audioItems = new Map<string, AudioItem>();
  private readonly pendingCalls = new Map<string, PendingCall>();
  /** Typed user items not answered yet: `response.create` answers the last; the others are context. */
  private held: string[] = [];
  private userItem: string | undefined;
  private lastItem: string | null = null;
  private cancelRequested = false;
  /** Milliseconds of agent audio sent: the output-stream position. */
  private streamMs = 0;
  /** Server event ids: the session's id and a count (50 audio events a second need no random bytes each). */
  private readonly eventPrefix = `${realtimeId('event')}_`;
  private events = 0;

  /** `sessionId`: rtvoice's session, the realtime session's id (its history is readable by that id). */
  constructor(socket: WebSocket, outlet: TransportOutlet, sessionId: string) {
    this.socket = socket;
    this.outlet = outlet;
    this.session = {
      id: sessionId,
      object: 'realtime.session',
      type: 'realtime',
      model: 'rtvoice',
      output_modalities: ['audio'],
      instructions: '',
      audio: {
        input: {
          format: { type: 'audio/pcm', rate: REALTIME_SAMPLE_RATE },
          transcription: { model: 'rtvoice' },
          turn_detection: { type: 'server_vad', create_response: true, interrupt_response: true },
        },
        output: { format: { type: 'audio/pcm', rate: REALTIME_SAMPLE_RATE }, voice: 'rtvoice' },
      },
      tools: [],
    };
    this.send({ type: 'session.created', session: this.sessionView() });
  }

  receive(handler: CallHandler, data: Buffer, isBinary: boolean): void {
    const { outlet } = this;
    if (isBinary) {
      this.send(realtimeError({ code: 'invalid_json', message: 'Events are JSON text frames.' }));
      return outlet.bad('binary_frame', 'realtime events are JSON text frames');
    }
    const parsed = parseRealtimeClientEvent(data.toString('utf8'));
    if (parsed instanceof RealtimeParseError) {
      this.send(realtimeError(parsed));
      return outlet.bad(parsed.reason, parsed.message);
    }
    outlet.good();
    if (!this.handler) {
      this.handler = handler;
      void handler.start(REALTIME_SAMPLE_RATE);
    }
    const { event } = parsed;
    switch (event.type) {
      case 'session.update':
        return this.update(event.session, event.event_id);
      case 'input_audio_buffer.append':
        return handler.audio(parsed.samples!);
      case 'input_audio_buffer.commit':
        // Turns are rtvoice's to detect: a commit only acknowledges what was sent.
        return this.send({
          type: 'input_audio_buffer.committed',
          previous_item_id: this.lastItem,
          item_id: this.newUserItem(),
        });
      case 'input_audio_buffer.clear':
        return this.send({ type: 'input_audio_buffer.cleared' });
      case 'conversation.item.create':
        return this.createItem(event.item, event.event_id);
      case 'conversation.item.truncate':
        return this.truncate(event.item_id, event.audio_end_ms, event.content_index, event.event_id);
      case 'response.create': {
        // The agent answers each spoken turn on its own (server VAD with create_response); a typed one
        // waits for this, and a tool output needs nothing: the agent goes on once it has it.
        const text = this.held.pop();
        this.noteHeld();
        if (text !== undefined) handler.text(text);
        return;
      }
      case 'response.cancel':
        if (!this.response) return;
        this.cancelRequested = true;
        return handler.cancel();
    }
  }

  sendAudio(frame: Pcm16): void {
    const audio = this.openAudio();
    const ms = durationMs(frame.length, REALTIME_SAMPLE_RATE);
    audio.streamStart ??= this.streamMs;
    audio.audioMs += ms;
    this.streamMs += ms;
    this.send({
      type: 'response.output_audio.delta',
      response_id: this.response!.id,
      item_id: audio.id,
      output_index: audio.outputIndex,
      content_index: 0,
      delta: pcm16ToBase64(frame),
    });
  }

  /** The client plays what it received; a cancelled response is reported through `response.done`. */
  stopAudio(): void {}

  publish(message: Envelope): void {
    this.outlet.publish(message);
    const payload = message.payload;
    const text = typeof payload['text'] === 'string' ? payload['text'] : '';
    switch (message.type) {
      case 'assistant_streaming': {
        const audio = this.openAudio();
        audio.transcript += text;
        if (typeof payload['turn'] === 'number') audio.turn ??= payload['turn'];
        this.send({
          type: 'response.output_audio_transcript.delta',
          response_id: this.response!.id,
          item_id: audio.id,
          output_index: audio.outputIndex,
          content_index: 0,
          delta: text,
        });
        return;
      }
      case 'user_transcript':
        if (payload['typed'] === true) return;
        return this.send(
          payload['final'] === true
            ? {
                type: 'conversation.item.input_audio_transcription.completed',
                item_id: this.userItem ?? this.newUserItem(),
                content_index: 0,
                transcript: text,
              }
            : {
                type: 'conversation.item.input_audio_transcription.delta',
                item_id: this.userItem ?? this.newUserItem(),
                content_index: 0,
                delta: text,
              },
        );
      case 'metrics':
        // A reply's figures go out once its audio has played: the response is complete.
        if (payload['interrupted'] !== true) this.finish('completed');
        return;
      case 'event':
        return this.turnEvent(payload);
      default:
        return;
    }
  }

  confirmedPlayedMs(): undefined {
    return undefined;
  }

  close(code: number, reason: string): void {
    for (const call of this.pendingCalls.values()) call.reject(new Error('the realtime client left'));
    this.socket.close(code, reason);
  }

  specs(): readonly ToolSpec[] {
    return this.session.tools;
  }

  /**
   * A client tool call: a `function_call` item in the response, which then ends (the client runs the
   * tool); the output the client sends back with `function_call_output` is the result.
   */
  call(call: { id: string; name: string; args: string }, signal: AbortSignal): Promise<string> {
    const response = this.open();
    const outputIndex = response.output.length + (response.audio ? 1 : 0);
    const item = {
      id: realtimeId('item'),
      object: 'realtime.item',
      type: 'function_call',
      status: 'in_progress',
      name: call.name,
      call_id: call.id,
      arguments: '',
    };
    const at = { response_id: response.id, item_id: item.id, output_index: outputIndex, call_id: call.id };
    this.send({
      type: 'response.output_item.added',
      response_id: response.id,
      output_index: outputIndex,
      item,
    });
    this.send({ type: 'conversation.item.added', previous_item_id: this.lastItem, item });
    this.lastItem = item.id;
    this.send({ type: 'response.function_call_arguments.delta', ...at, delta: call.args });
    this.send({
      type: 'response.function_call_arguments.done',
      ...at,
      name: call.name,
      arguments: call.args,
    });
    const done = { ...item, status: 'completed', arguments: call.args };
    this.send({
      type: 'response.output_item.done',
      response_id: response.id,
      output_index: outputIndex,
      item: done,
    });
    this.send({ type: 'conversation.item.done', previous_item_id: null, item: done });
    response.output.push(done);
    this.finish('completed');
    return new Promise<string>((resolve, reject) => {
      const stop = () => {
        this.pendingCalls.delete(call.id);
        reject(signal.reason instanceof Error ? signal.reason : new Error('the tool call was cancelled'));
      };
      if (signal.aborted) return stop();
      signal.addEventListener('abort', stop, { once: true });
      this.pendingCalls.set(call.id, {
        resolve: (output) => {
          signal.removeEventListener('abort', stop);
          resolve(output);
        },
        reject,
      });
    });
  }

  private createItem(item: RealtimeClientItem, eventId: string | undefined): void {
    const id = item.id ?? realtimeId('item');
    if (item.type === 'function_call_output') {
      const pending = this.pendingCalls.get(item.call_id);
      if (!pending)
        return this.send(
          realtimeError({
            code: 'invalid_value',
            message: `No function call '${item.call_id}' is waiting for its output.`,
            param: 'item.call_id',
            ...(eventId ? { eventId } : {}),
          }),
        );
      this.pendingCalls.delete(item.call_id);
      this.added({ id, type: 'function_call_output', call_id: item.call_id, output: item.output });
      return pending.resolve(item.output);
    }
    this.added({ id, type: 'message', role: item.role, content: item.content });
    const text = item.content.map((part) => part.text).join(' ');
    if (item.role === 'user') this.held.push(text);
    else this.handler?.note?.(item.role, text);
  }

  /** Typed items no response was asked for (before another, or before the caller spoke) are context. */
  private noteHeld(): void {
    for (const text of this.held.splice(0)) this.handler?.note?.('user', text);
  }

  private added(item: Record<string, unknown> & { id: string }): void {
    this.send({
      type: 'conversation.item.added',
      previous_item_id: this.lastItem,
      item: { object: 'realtime.item', status: 'completed', ...item },
    });
    this.lastItem = item.id;
  }

  private turnEvent(payload: Record<string, unknown>): void {
    if (payload['event'] === 'speech_started') {
      this.noteHeld();
      const itemId = this.newUserItem();
      this.send({
        type: 'input_audio_buffer.speech_started',
        audio_start_ms: payload['audio_ms'],
        item_id: itemId,
      });
    } else if (payload['event'] === 'speech_stopped') {
      const itemId = this.userItem ?? this.newUserItem();
      this.send({
        type: 'input_audio_buffer.speech_stopped',
        audio_end_ms: payload['audio_ms'],
        item_id: itemId,
      });
      this.send({ type: 'input_audio_buffer.committed', previous_item_id: this.lastItem, item_id: itemId });
      this.added({
        id: itemId,
        type: 'message',
        role: 'user',
        content: [{ type: 'input_audio', transcript: null }],
      });
    } else if (payload['event'] === 'barge_in') {
      this.finish('cancelled', this.cancelRequested ? 'client_cancelled' : 'turn_detected');
    }
  }

  /** The response in progress, opened if there was none. */
  private open(): OpenResponse {
    if (this.response) return this.response;
    const response: OpenResponse = { id: realtimeId('resp'), audio: undefined, output: [] };
    this.response = response;
    this.send({
      type: 'response.created',
      response: { id: response.id, object: 'realtime.response', status: 'in_progress', output: [] },
    });
    return response;
  }

  /** The response's audio item, opened (with its content part) if there was none. */
  private openAudio(): AudioItem {
    const response = this.open();
    if (response.audio) return response.audio;
    const audio: AudioItem = {
      id: realtimeId('item'),
      outputIndex: response.output.length,
      streamStart: undefined,
      turn: undefined,
      transcript: '',
      audioMs: 0,
    };
    response.audio = audio;
    const item = {
      id: audio.id,
      object: 'realtime.item',
      type: 'message',
      status: 'in_progress',
      role: 'assistant',
      content: [],
    };
    this.send({
      type: 'response.output_item.added',
      response_id: response.id,
      output_index: audio.outputIndex,
      item,
    });
    this.send({ type: 'conversation.item.added', previous_item_id: this.lastItem, item });
    this.send({
      type: 'response.content_part.added',
      response_id: response.id,
      item_id: audio.id,
      output_index: audio.outputIndex,
      content_index: 0,
      part: { type: 'output_audio', transcript: '' },
    });
    this.lastItem = audio.id;
    return audio;
  }

  /** Ends the response in progress: its audio item (transcript, part, item), then `response.done`. */
  private finish(status: 'completed' | 'cancelled', reason?: 'turn_detected' | 'client_cancelled'): void {
    const response = this.response;
    if (!response) return;
    this.response = undefined;
    this.cancelRequested = false;
    const output = [...response.output];
    const audio = response.audio;
    if (audio) {
      this.audioItems.set(audio.id, audio);
      const at = {
        response_id: response.id,
        item_id: audio.id,
        output_index: audio.outputIndex,
        content_index: 0,
      };
      const part = { type: 'output_audio', transcript: audio.transcript };
      const item = {
        id: audio.id,
        object: 'realtime.item',
        type: 'message',
        status: status === 'completed' ? 'completed' : 'incomplete',
        role: 'assistant',
        content: [part],
      };
      this.send({ type: 'response.output_audio.done', ...at });
      this.send({ type: 'response.output_audio_transcript.done', ...at, transcript: audio.transcript });
      this.send({ type: 'response.content_part.done', ...at, part });
      this.send({
        type: 'response.output_item.done',
        response_id: response.id,
        output_index: audio.outputIndex,
        item,
      });
      this.send({ type: 'conversation.item.done', previous_item_id: null, item });
      output.splice(audio.outputIndex, 0, item);
    }
    this.send({
      type: 'response.done',
      response: {
        id: response.id,
        object: 'realtime.response',
        status,
        status_details: reason ? { type: 'cancelled', reason } : null,
        output,
      },
    });
  }

  /** The client played `audio_end_ms` of an assistant item: acknowledged, and the history keeps that much. */
  private truncate(
    itemId: string,
    audioEndMs: number,
    contentIndex: number,
    eventId: string | undefined,
  ): void {
    const audio = this.response?.audio?.id === itemId ? this.response.audio : this.audioItems.get(itemId);
    const refuse = (message: string, param: string) =>
      this.send(realtimeError({ code: 'invalid_value', message, param, ...(eventId ? { eventId } : {}) }));
    if (audio === undefined) return refuse(`Item '${itemId}' is not an assistant audio item.`, 'item_id');
    if (audioEndMs > Math.ceil(audio.audioMs))
      return refuse(
        `audio_end_ms ${audioEndMs} is beyond the item's ${Math.round(audio.audioMs)} ms of audio.`,
        'audio_end_ms',
      );
    if (audio.turn !== undefined && audio.streamStart !== undefined)
      this.handler?.heardUntil?.(audio.turn, audio.streamStart + audioEndMs);
    this.send({
      type: 'conversation.item.truncated',
      item_id: itemId,
      content_index: contentIndex,
      audio_end_ms: audioEndMs,
    });
  }

  private update(session: RealtimeSessionUpdate, eventId: string | undefined): void {
    // rtvoice's agents, voices and turn detection are its own: instructions are kept and reported back,
    // and tools are the client's, for an LLM agent to call.
    if (session.output_modalities?.includes('text') && !session.output_modalities.includes('audio')) {
      this.send(
        realtimeError({
          code: 'unsupported',
          message: 'rtvoice answers with audio; output_modalities must include "audio".',
          param: 'session.output_modalities',
          ...(eventId ? { eventId } : {}),
        }),
      );
      return;
    }
    if (session.instructions !== undefined) this.session['instructions'] = session.instructions;
    if (session.tools !== undefined)
      this.session.tools = session.tools.map(({ name, description, parameters }) => ({
        name,
        description: description ?? '',
        parameters: parameters ?? { type: 'object', properties: {} },
      }));
    this.send({ type: 'session.updated', session: this.sessionView() });
  }

  /** The session as the protocol shows it: tools in its flat shape. */
  private sessionView(): Record<string, unknown> {
    return { ...this.session, tools: this.session.tools.map((tool) => ({ type: 'function', ...tool })) };
  }

  private newUserItem(): string {
    this.userItem = realtimeId('item');
    return this.userItem;
  }

  private send(event: RealtimeServerEvent): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    this.events += 1;
    this.socket.send(JSON.stringify({ event_id: `${this.eventPrefix}${this.events}`, ...event }));
  }
}

/**
 * Realtime clients: a new session per socket unless `session_id` names one. The socket is registered under
 * no session, so the session's envelopes are not sent to it as they are: the transport translates them.
 */
export const REALTIME: TransportKind<RealtimeTransport> = {
  name: 'realtime',
  route: CALL_ROUTES.realtime,
  ids: ({ query }) => ({ sessionId: single(query['session_id']) }),
  connection: () => ({ clientType: 'media', route: CALL_ROUTES.realtime }),
  open: (socket, outlet, ids) => new RealtimeTransport(socket, outlet, ids.sessionId),
};
