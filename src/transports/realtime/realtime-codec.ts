import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { bytesToPcm16, type Pcm16 } from '../../audio/pcm.ts';
import { decodeStrictBase64 } from '../base64.ts';
import { ProtocolError } from '../protocol-error.ts';

// The wire codec of the OpenAI Realtime protocol, GA dialect (reference/PROTOCOLS.md §5), as rtvoice's
// `/v1/realtime` speaks it: client events in, server events out. Pure string ↔ value functions.

/** The only rate the GA dialect streams PCM audio at. */
export const REALTIME_SAMPLE_RATE = 24000;

export type RealtimeParseReason = 'invalid_json' | 'unknown_event' | 'invalid_value' | 'invalid_audio';

/** A client event that does not follow the protocol; `param` names the field at fault. */
export class RealtimeParseError extends ProtocolError<RealtimeParseReason> {
  readonly eventId: string | undefined;
  readonly param: string | undefined;

  constructor(reason: RealtimeParseReason, message: string, eventId?: string, param?: string) {
    super('REALTIME_PROTOCOL', reason, message);
    this.eventId = eventId;
    this.param = param;
  }
}

const eventId = z.string().max(512).optional();
const TurnDetection = z
  .object({
    type: z.enum(['server_vad', 'semantic_vad']),
    threshold: z.number().min(0).max(1).optional(),
    prefix_padding_ms: z.number().int().min(0).max(5000).optional(),
    silence_duration_ms: z.number().int().min(0).max(10_000).optional(),
    create_response: z.boolean().optional(),
    interrupt_response: z.boolean().optional(),
  })
  .passthrough()
  .nullable();
const AudioFormat = z.object({
  type: z.literal('audio/pcm'),
  rate: z.literal(REALTIME_SAMPLE_RATE).optional(),
});
const FunctionTool = z.object({
  type: z.literal('function'),
  name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'a function name: letters, digits, _ and -, up to 64'),
  description: z.string().optional(),
  parameters: z.record(z.string(), z.unknown()).optional(),
});
const Session = z
  .object({
    type: z.literal('realtime').optional(),
    instructions: z.string().optional(),
    tools: z.array(FunctionTool).max(128).optional(),
    output_modalities: z.array(z.enum(['audio', 'text'])).optional(),
    audio: z
      .object({
        input: z
          .object({
            format: AudioFormat.optional(),
            turn_detection: TurnDetection.optional(),
            transcription: z.object({ model: z.string().optional() }).passthrough().nullable().optional(),
          })
          .passthrough()
          .optional(),
        output: z
          .object({ format: AudioFormat.optional(), voice: z.string().optional() })
          .passthrough()
          .optional(),
      })
      .optional(),
  })
  .passthrough();

const ClientEvents = {
  'session.update': z.object({ type: z.literal('session.update'), event_id: eventId, session: Session }),
  'input_audio_buffer.append': z.object({
    type: z.literal('input_audio_buffer.append'),
    event_id: eventId,
    audio: z.string(),
  }),
  'input_audio_buffer.commit': z.object({ type: z.literal('input_audio_buffer.commit'), event_id: eventId }),
  'input_audio_buffer.clear': z.object({ type: z.literal('input_audio_buffer.clear'), event_id: eventId }),
  'conversation.item.create': z.object({
    type: z.literal('conversation.item.create'),
    event_id: eventId,
    previous_item_id: z.string().nullable().optional(),
    item: z.discriminatedUnion('type', [
      z.object({
        type: z.literal('message'),
        id: z.string().optional(),
        role: z.enum(['user', 'assistant', 'system']),
        content: z
          .array(z.object({ type: z.enum(['input_text', 'output_text', 'text']), text: z.string().min(1) }))
          .min(1),
      }),
      z.object({
        type: z.literal('function_call_output'),
        id: z.string().optional(),
        call_id: z.string(),
        output: z.string(),
      }),
    ]),
  }),
  'conversation.item.truncate': z.object({
    type: z.literal('conversation.item.truncate'),
    event_id: eventId,
    item_id: z.string(),
    content_index: z.number().int().min(0),
    audio_end_ms: z.number().int().min(0),
  }),
  'response.create': z.object({ type: z.literal('response.create'), event_id: eventId }).passthrough(),
  'response.cancel': z.object({
    type: z.literal('response.cancel'),
    event_id: eventId,
    response_id: z.string().optional(),
  }),
} as const;

type ClientEventName = keyof typeof ClientEvents;
export type RealtimeClientEvent = {
  [K in ClientEventName]: z.output<(typeof ClientEvents)[K]>;
}[ClientEventName];
export type RealtimeSessionUpdate = z.output<typeof Session>;
export type RealtimeClientItem = Extract<RealtimeClientEvent, { type: 'conversation.item.create' }>['item'];

/** Reads one client event; `input_audio_buffer.append` also gets its samples decoded. */
export function parseRealtimeClientEvent(
  text: string,
): { event: RealtimeClientEvent; samples?: Pcm16 } | RealtimeParseError {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return new RealtimeParseError('invalid_json', 'The event is not valid JSON.');
  }
  const raw = (typeof json === 'object' && json !== null ? json : {}) as {
    type?: unknown;
    event_id?: unknown;
  };
  const id = typeof raw.event_id === 'string' ? raw.event_id : undefined;
  const type = typeof raw.type === 'string' ? raw.type : undefined;
  if (type === undefined || !Object.hasOwn(ClientEvents, type))
    return new RealtimeParseError(
      'unknown_event',
      `Invalid value: '${String(type)}'. Supported event types: ${Object.keys(ClientEvents).join(', ')}.`,
      id,
      'type',
    );
  const parsed = ClientEvents[type as ClientEventName].safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const param = issue?.path.join('.') || undefined;
    return new RealtimeParseError(
      'invalid_value',
      `Invalid ${param ?? 'event'}: ${issue?.message ?? 'invalid'}.`,
      id,
      param,
    );
  }
  const event: RealtimeClientEvent = parsed.data;
  if (event.type !== 'input_audio_buffer.append') return { event };
  const bytes = decodeStrictBase64(event.audio);
  if (bytes === undefined || bytes.length % 2 !== 0)
    return new RealtimeParseError(
      'invalid_audio',
      'audio must be base64 PCM16 (little-endian, 24 kHz mono).',
      id,
      'audio',
    );
  // A copy: the decoded bytes may sit in Node's shared pool, and the call keeps some audio (its preroll).
  return { event, samples: bytesToPcm16(Uint8Array.prototype.slice.call(bytes)) };
}

/** Server events: `type` plus their fields; `event_id` is added as they are sent. */
export type RealtimeServerEvent = { readonly type: string } & Record<string, unknown>;

/** An id in the protocol's style: `event_…`, `item_…`, `resp_…`, `sess_…`. */
export function realtimeId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('base64url')}`;
}

/** The protocol's error event for a client event that could not be taken; the session goes on. */
export function realtimeError(
  problem: RealtimeParseError | { message: string; code: string; param?: string; eventId?: string },
): RealtimeServerEvent {
  const isParse = problem instanceof RealtimeParseError;
  return {
    type: 'error',
    error: {
      type: 'invalid_request_error',
      code: isParse ? problem.reason : problem.code,
      message: problem.message,
      param: problem.param ?? null,
      event_id: problem.eventId ?? null,
    },
  };
}
