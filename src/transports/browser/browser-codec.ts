import { z } from 'zod';
import { pcm16ToBytes, type Pcm16, type SampleRate } from '../../audio/pcm.ts';
import { ENVELOPE_TYPES, Envelope } from '../../connections/envelope.ts';
import { ProtocolError } from '../protocol-error.ts';

// The wire codec of the browser conversation socket (WS /api/v1/realtime/conversation). Client → server:
// binary frames of PCM16 little-endian mono mic audio, and JSON text control messages. Server → client:
// binary PCM16 agent audio, the audio_stop control message, and envelopes. Pure: no sockets here.

export const BROWSER_SAMPLE_RATES = [8000, 16000, 24000, 48000] as const satisfies readonly SampleRate[];
export type BrowserSampleRate = (typeof BROWSER_SAMPLE_RATES)[number];
export const DEFAULT_BROWSER_SAMPLE_RATE: BrowserSampleRate = 16000;

export const MAX_USER_TEXT_CHARS = 2000;
export const MAX_DTMF_DIGITS = 32;

const StartMessage = z.object({
  type: z.literal('start'),
  sample_rate: z
    .literal(BROWSER_SAMPLE_RATES, { error: `sample_rate must be one of ${BROWSER_SAMPLE_RATES.join(', ')}` })
    .default(DEFAULT_BROWSER_SAMPLE_RATE),
});

/** `until_ms`: milliseconds of agent audio the client has played so far in this session's output stream. */
const PlayedMessage = z.object({
  type: z.literal('played'),
  until_ms: z
    .number({ error: 'until_ms must be a finite number' })
    .nonnegative({ error: 'until_ms must not be negative' }),
});

/** Typed text instead of speech. Trimmed, so a blank message is rejected rather than sent to the agent. */
const UserTextMessage = z.object({
  type: z.literal('user_text'),
  text: z
    .string({ error: 'text must be a string' })
    .trim()
    .min(1, { error: 'text must not be blank' })
    .max(MAX_USER_TEXT_CHARS, { error: `text must be at most ${MAX_USER_TEXT_CHARS} characters` }),
});

const DtmfMessage = z.object({
  type: z.literal('dtmf'),
  digits: z
    .string({ error: 'digits must be a string' })
    .regex(new RegExp(`^[0-9*#A-D]{1,${MAX_DTMF_DIGITS}}$`), {
      error: `digits must be 1 to ${MAX_DTMF_DIGITS} of 0-9 * # A-D`,
    }),
});

/** The client's text messages, one schema per `type`. */
export const BrowserClientMessages = {
  start: StartMessage,
  played: PlayedMessage,
  user_text: UserTextMessage,
  dtmf: DtmfMessage,
} as const;

export type BrowserStart = z.output<typeof StartMessage>;
export type BrowserPlayed = z.output<typeof PlayedMessage>;
export type BrowserUserText = z.output<typeof UserTextMessage>;
export type BrowserDtmf = z.output<typeof DtmfMessage>;
export type BrowserInbound = BrowserStart | BrowserPlayed | BrowserUserText | BrowserDtmf;
/** What a client may send: `sample_rate` may be left out. */
export type BrowserInboundInput = z.input<(typeof BrowserClientMessages)[BrowserInbound['type']]>;

export type BrowserParseReason =
  | 'not_json'
  | 'not_object'
  | 'unknown_type'
  /** Known type, but a field is missing or out of range; the message lists each problem. */
  | 'invalid_message'
  /** A binary frame that is not a whole number of 16-bit samples. */
  | 'bad_frame_length';

export class BrowserParseError extends ProtocolError<BrowserParseReason> {
  constructor(reason: BrowserParseReason, message: string) {
    super('BROWSER_PROTOCOL', reason, message);
  }
}

/** Parses a client text frame. Never throws. Unknown extra keys are dropped, for forward compatibility. */
export function parseBrowserText(text: string): BrowserInbound | BrowserParseError {
  const root = parseObject(text);
  if (root instanceof BrowserParseError) return root;
  const type = root.type;
  if (!isClientType(type)) {
    return new BrowserParseError(
      'unknown_type',
      `unknown message type ${describe(type)}; expected one of ${Object.keys(BrowserClientMessages).join(', ')}`,
    );
  }
  const parsed = BrowserClientMessages[type].safeParse(root);
  return parsed.success ? parsed.data : invalid(type, parsed.error);
}

/**
 * Mic audio from a binary frame. The samples are copied into their own memory: a WebSocket frame is often a
 * slice of a larger receive buffer, and samples may be kept or transferred to a worker.
 */
export function parseBrowserBinary(data: Uint8Array): Pcm16 | BrowserParseError {
  if (data.byteLength % 2 !== 0) {
    return new BrowserParseError(
      'bad_frame_length',
      `audio frame has ${data.byteLength} bytes, not a whole number of 16-bit samples`,
    );
  }
  const samples = new Int16Array(data.byteLength / 2);
  new Uint8Array(samples.buffer).set(data);
  return samples;
}

/** A client text message, for the browser test client and the load tester. */
export function encodeBrowserText(message: BrowserInboundInput): string {
  return JSON.stringify(message);
}

/** A binary audio frame, either direction: the samples' own bytes, not copied. */
export function encodeBrowserAudio(frame: Pcm16): Buffer {
  return pcm16ToBytes(frame);
}

// ---- Server → client. ----

/** Tells the client to drop the agent audio it has queued but not played (barge-in). */
export const BROWSER_AUDIO_STOP = '{"type":"control","action":"audio_stop"}';

/** Control messages: `action` says what; other keys (a `reason`, …) are kept. */
export const BrowserControl = z.looseObject({
  type: z.literal('control'),
  action: z.string({ error: 'action must be a string' }).min(1, { error: 'action must not be empty' }),
});
export type BrowserControl = z.output<typeof BrowserControl>;

export type BrowserServerText =
  | { readonly kind: 'control'; readonly control: BrowserControl }
  | { readonly kind: 'envelope'; readonly envelope: Envelope };

/** Parses a server text frame on the client side (test client, load tester). Never throws. */
export function parseBrowserServerText(text: string): BrowserServerText | BrowserParseError {
  const root = parseObject(text);
  if (root instanceof BrowserParseError) return root;
  const type = root.type;
  if (type === 'control') {
    const parsed = BrowserControl.safeParse(root);
    return parsed.success ? { kind: 'control', control: parsed.data } : invalid('control', parsed.error);
  }
  if (!(ENVELOPE_TYPES as readonly unknown[]).includes(type)) {
    return new BrowserParseError(
      'unknown_type',
      `unknown message type ${describe(type)}; expected control or an envelope type`,
    );
  }
  const parsed = Envelope.safeParse(root);
  return parsed.success ? { kind: 'envelope', envelope: parsed.data } : invalid(String(type), parsed.error);
}

// ---- Helpers. ----

function parseObject(text: string): Record<string, unknown> | BrowserParseError {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return new BrowserParseError('not_json', 'text frame is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return new BrowserParseError('not_object', 'text frame is not a JSON object');
  }
  return value as Record<string, unknown>;
}

function isClientType(type: unknown): type is BrowserInbound['type'] {
  return typeof type === 'string' && Object.hasOwn(BrowserClientMessages, type);
}

/** One line naming every problem, e.g. `invalid played message: until_ms must not be negative`. */
function invalid(type: string, error: z.ZodError): BrowserParseError {
  const problems = error.issues.map((issue) =>
    issue.path.length === 0 || issue.message.startsWith(String(issue.path[0]))
      ? issue.message
      : `${issue.path.join('.')}: ${issue.message}`,
  );
  return new BrowserParseError('invalid_message', `invalid ${type} message: ${problems.join('; ')}`);
}

function describe(value: unknown): string {
  if (value === undefined) return '(none)';
  if (typeof value === 'string') return value.length > 40 ? `"${value.slice(0, 40)}…"` : `"${value}"`;
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : 'of the wrong JSON type';
}
