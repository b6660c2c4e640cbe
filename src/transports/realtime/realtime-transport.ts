import type { WebSocket } from 'ws';
import { durationMs, pcm16ToBase64, type Pcm16 } from '../../audio/pcm.ts';
import type { Envelope } from '../../connections/envelope.ts';
import { CALL_ROUTES } from '../routes.ts';
import { single } from '../single.ts';
import type { CallHandler, Transport, TransportKind, TransportOutlet } from '../transport.ts';
import {
  parseRealtimeClientEvent,
  REALTIME_SAMPLE_RATE,
  RealtimeParseError,
  realtimeError,
  realtimeId,
  type RealtimeServerEvent,
  type RealtimeSessionUpdate,
} from './realtime-codec.ts';

/** The assistant's answer in progress: one response, one audio item. */
interface OpenResponse {
  readonly id: string;
  readonly itemId: string;
  transcript: string;
  audioMs: number;
}

/**
 * The OpenAI Realtime protocol (GA dialect) over rtvoice's own cascade: a realtime client's socket as a
 * call. In: `input_audio_buffer.append` (24 kHz PCM16) to the caller's audio, typed `conversation.item.create`
 * messages, `response.cancel`, `conversation.item.truncate`, `session.update`. Out: the handler's audio,
 * captions and turn events translated into the protocol's server events (speech started and stopped,
 * input transcription, `response.*` with `response.output_audio.delta`). Turn detection is rtvoice's: the
 * agent answers when its end-of-turn detector decides, and greets first, as on a phone call.
 */
export class RealtimeTransport implements Transport {
  readonly name = 'realtime';
  readonly capabilities = { confirmsPlayback: false };
  readonly outputRate = REALTIME_SAMPLE_RATE;
  private readonly socket: WebSocket;
  private readonly outlet: TransportOutlet;
  private readonly session: Record<string, unknown>;
  private started = false;
  private response: OpenResponse | undefined;
  /** Audio of the assistant's items, for truncation requests. */
  private readonly itemAudioMs = new Map<string, number>();
  private userItem: string | undefined;
  private lastItem: string | null = null;
  private cancelRequested = false;
  /** Server event ids: the session's id and a count (50 audio events a second need no random bytes each). */
  private readonly eventPrefix = `${realtimeId('event')}_`;
  private events = 0;

  constructor(socket: WebSocket, outlet: TransportOutlet) {
    this.socket = socket;
    this.outlet = outlet;
    this.session = {
      id: realtimeId('sess'),
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
    this.send({ type: 'session.created', session: this.session });
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
    if (!this.started) {
      this.started = true;
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
      case 'conversation.item.create': {
        const { item } = event;
        if (item.type !== 'message') {
          return this.send(
            realtimeError({
              code: 'unsupported',
              message: "rtvoice's agents run their own tools; function_call_output is not taken.",
              param: 'item.type',
              ...(event.event_id ? { eventId: event.event_id } : {}),
            }),
          );
        }
        const text = item.content.map((part) => part.text).join(' ');
        const id = item.id ?? realtimeId('item');
        this.send({
          type: 'conversation.item.added',
          previous_item_id: this.lastItem,
          item: {
            id,
            object: 'realtime.item',
            type: 'message',
            status: 'completed',
            role: 'user',
            content: item.content,
          },
        });
        this.lastItem = id;
        return handler.text(text);
      }
      case 'conversation.item.truncate':
        return this.truncate(event.item_id, event.audio_end_ms, event.content_index, event.event_id);
      case 'response.create':
        // The agent answers each turn on its own (server VAD with create_response); nothing to start.
        return;
      case 'response.cancel':
        if (!this.response) return;
        this.cancelRequested = true;
        return handler.cancel();
    }
  }

  sendAudio(frame: Pcm16): void {
    const response = this.open();
    response.audioMs += durationMs(frame.length, REALTIME_SAMPLE_RATE);
    this.send({
      type: 'response.output_audio.delta',
      response_id: response.id,
      item_id: response.itemId,
      output_index: 0,
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
        const response = this.open();
        response.transcript += text;
        this.send({
          type: 'response.output_audio_transcript.delta',
          response_id: response.id,
          item_id: response.itemId,
          output_index: 0,
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
    this.socket.close(code, reason);
  }

  private turnEvent(payload: Record<string, unknown>): void {
    if (payload['event'] === 'speech_started') {
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
      this.send({
        type: 'conversation.item.added',
        previous_item_id: this.lastItem,
        item: {
          id: itemId,
          object: 'realtime.item',
          type: 'message',
          status: 'completed',
          role: 'user',
          content: [{ type: 'input_audio', transcript: null }],
        },
      });
      this.lastItem = itemId;
    } else if (payload['event'] === 'barge_in') {
      this.finish('cancelled', this.cancelRequested ? 'client_cancelled' : 'turn_detected');
    }
  }

  /** The response in progress, opened (with its item and content part) if there was none. */
  private open(): OpenResponse {
    if (this.response) return this.response;
    const response: OpenResponse = {
      id: realtimeId('resp'),
      itemId: realtimeId('item'),
      transcript: '',
      audioMs: 0,
    };
    this.response = response;
    const item = {
      id: response.itemId,
      object: 'realtime.item',
      type: 'message',
      status: 'in_progress',
      role: 'assistant',
      content: [],
    };
    this.send({
      type: 'response.created',
      response: { id: response.id, object: 'realtime.response', status: 'in_progress', output: [] },
    });
    this.send({ type: 'response.output_item.added', response_id: response.id, output_index: 0, item });
    this.send({ type: 'conversation.item.added', previous_item_id: this.lastItem, item });
    this.send({
      type: 'response.content_part.added',
      response_id: response.id,
      item_id: response.itemId,
      output_index: 0,
      content_index: 0,
      part: { type: 'output_audio', transcript: '' },
    });
    this.lastItem = response.itemId;
    return response;
  }

  /** Ends the response in progress: its audio, transcript, part and item, then `response.done`. */
  private finish(status: 'completed' | 'cancelled', reason?: 'turn_detected' | 'client_cancelled'): void {
    const response = this.response;
    if (!response) return;
    this.response = undefined;
    this.cancelRequested = false;
    this.itemAudioMs.set(response.itemId, response.audioMs);
    const at = { response_id: response.id, item_id: response.itemId, output_index: 0, content_index: 0 };
    const part = { type: 'output_audio', transcript: response.transcript };
    const item = {
      id: response.itemId,
      object: 'realtime.item',
      type: 'message',
      status: status === 'completed' ? 'completed' : 'incomplete',
      role: 'assistant',
      content: [part],
    };
    this.send({ type: 'response.output_audio.done', ...at });
    this.send({ type: 'response.output_audio_transcript.done', ...at, transcript: response.transcript });
    this.send({ type: 'response.content_part.done', ...at, part });
    this.send({ type: 'response.output_item.done', response_id: response.id, output_index: 0, item });
    this.send({ type: 'conversation.item.done', previous_item_id: null, item });
    this.send({
      type: 'response.done',
      response: {
        id: response.id,
        object: 'realtime.response',
        status,
        status_details: reason ? { type: 'cancelled', reason } : null,
        output: [item],
      },
    });
  }

  private truncate(
    itemId: string,
    audioEndMs: number,
    contentIndex: number,
    eventId: string | undefined,
  ): void {
    const audioMs = this.response?.itemId === itemId ? this.response.audioMs : this.itemAudioMs.get(itemId);
    const refuse = (message: string, param: string) =>
      this.send(realtimeError({ code: 'invalid_value', message, param, ...(eventId ? { eventId } : {}) }));
    if (audioMs === undefined) return refuse(`Item '${itemId}' is not an assistant audio item.`, 'item_id');
    if (audioEndMs > Math.ceil(audioMs))
      return refuse(
        `audio_end_ms ${audioEndMs} is beyond the item's ${Math.round(audioMs)} ms of audio.`,
        'audio_end_ms',
      );
    this.send({
      type: 'conversation.item.truncated',
      item_id: itemId,
      content_index: contentIndex,
      audio_end_ms: audioEndMs,
    });
  }

  private update(session: RealtimeSessionUpdate, eventId: string | undefined): void {
    // rtvoice's agents, voices and turn detection are its own: the settings are kept and reported back.
    if (session.instructions !== undefined) this.session['instructions'] = session.instructions;
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
    this.send({ type: 'session.updated', session: this.session });
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
  open: (socket, outlet) => new RealtimeTransport(socket, outlet),
};
