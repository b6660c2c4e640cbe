import { randomUUID } from 'node:crypto';
import { FRAME_MS, pcm16ToBase64, samplesPerFrame, type Pcm16 } from '../../audio/pcm.ts';
import { decodeStrictBase64 } from '../base64.ts';
import { ProtocolError } from '../protocol-error.ts';

// The wire codec of ACS bidirectional media streaming (reference/PROTOCOLS.md §1): pure string ↔ value
// functions for both ends, the server and our ACS caller simulator. No sockets here.

export const ACS_SAMPLE_RATES = [16000, 24000] as const;
export type AcsSampleRate = (typeof ACS_SAMPLE_RATES)[number];

export type AcsParseReason =
  | 'not_json'
  | 'not_object'
  | 'unknown_kind'
  | 'missing_field'
  /** A field of the wrong JSON type. */
  | 'invalid_field'
  | 'invalid_base64'
  /** Audio that is not whole 16-bit samples, or (from validateAudioFrame, wrapped by the transport) not 20 ms. */
  | 'bad_frame_length'
  | 'bad_sample_rate'
  /** Metadata announcing audio rtvoice cannot decode: an encoding other than PCM, or more than one channel. */
  | 'unsupported_format';

export class AcsParseError extends ProtocolError<AcsParseReason> {
  constructor(reason: AcsParseReason, message: string) {
    super('ACS_PROTOCOL', reason, message);
  }
}

/** The first message of every stream. Fields other than the rate are reported as sent, undefined if absent. */
export interface AcsAudioMetadata {
  readonly kind: 'metadata';
  readonly sampleRate: AcsSampleRate;
  readonly subscriptionId: string | undefined;
  readonly encoding: string | undefined;
  readonly channels: number | undefined;
  /** Bytes per frame as ACS announces it (640 at 16 kHz). */
  readonly length: number | undefined;
}

/**
 * One inbound audio frame. `samples` is empty when ACS sent blank `data` (allowed by the .NET SDK): the
 * transport stands in 20 ms of silence. Otherwise check its length with validateAudioFrame. The samples own
 * their memory, so they may be kept or transferred to a worker.
 */
export interface AcsAudioData {
  readonly kind: 'audio';
  readonly samples: Pcm16;
  readonly timestamp: string | undefined;
  /** `8:acs:…` or `4:+1…`; set on unmixed streams. */
  readonly participantRawID: string | undefined;
  readonly silent: boolean | undefined;
}

export interface AcsDtmfData {
  readonly kind: 'dtmf';
  readonly digits: string;
  readonly timestamp: string | undefined;
  readonly participantRawID: string | undefined;
}

export type AcsInbound = AcsAudioMetadata | AcsAudioData | AcsDtmfData;

/** What the server sends, as the simulator sees it. */
export type AcsOutbound = { readonly kind: 'audio'; readonly samples: Pcm16 } | { readonly kind: 'stop' };

/**
 * The server's play-audio message, byte for byte the string the upstream system sends (mixed casing, which
 * ACS accepts since it matches keys case-insensitively; the .NET/Python spelling uses `Kind` and `Data`).
 * Concatenated rather than JSON.stringify'd: it runs 50 times a second per call.
 */
export function encodeAcsAudio(frame: Pcm16): string {
  return `{"kind":"AudioData","AudioData":{"data":"${pcm16ToBase64(frame)}"},"StopAudio":null}`;
}

/** Flushes the audio ACS has queued but not played yet: the barge-in primitive. */
export const ACS_STOP_AUDIO = '{"Kind":"StopAudio","AudioData":null,"StopAudio":{}}';

/** Parses a message from ACS. Never throws: bad input comes back as an AcsParseError. */
export function parseAcsMessage(text: string): AcsInbound | AcsParseError {
  return guard(() => {
    const root = parseObject(text);
    const kind = readKind(root);
    switch (kind.toLowerCase()) {
      case 'audiodata':
        return readAudioData(requireObject(root, 'audioData'));
      case 'audiometadata':
        return readMetadata(requireObject(root, 'audioMetadata'));
      case 'dtmfdata':
        return readDtmf(requireObject(root, 'dtmfData'));
      default:
        throw new AcsParseError('unknown_kind', `unknown ACS message kind ${quote(kind)}`);
    }
  });
}

/** Why an inbound frame is not exactly 20 ms at the call's rate, or undefined when it is. */
export function validateAudioFrame(samples: Pcm16, sampleRate: AcsSampleRate): string | undefined {
  const expected = samplesPerFrame(sampleRate);
  if (samples.length === expected) return undefined;
  return `ACS audio frame has ${samples.length} samples; ${FRAME_MS} ms at ${sampleRate} Hz is ${expected}`;
}

// ---- The ACS side, for the caller simulator and the load tester. ----

export interface AcsAudioInOptions {
  readonly timestamp?: string | undefined;
  readonly participantRawID?: string | undefined;
  readonly silent?: boolean | undefined;
}

/** The AudioMetadata message ACS sends first. */
export function encodeAcsMetadata(sampleRate: AcsSampleRate, subscriptionId: string = randomUUID()): string {
  return JSON.stringify({
    kind: 'AudioMetadata',
    audioMetadata: {
      subscriptionId,
      encoding: 'PCM',
      sampleRate,
      channels: 1,
      length: samplesPerFrame(sampleRate) * 2,
    },
  });
}

/** An inbound AudioData frame as ACS sends it; concatenated because the load tester sends thousands a second. */
export function encodeAcsAudioIn(frame: Pcm16, options: AcsAudioInOptions = {}): string {
  let fields = '';
  if (options.timestamp !== undefined) fields += `"timestamp":${JSON.stringify(options.timestamp)},`;
  if (options.participantRawID !== undefined) {
    fields += `"participantRawID":${JSON.stringify(options.participantRawID)},`;
  }
  fields += `"data":"${pcm16ToBase64(frame)}"`;
  if (options.silent !== undefined) fields += `,"silent":${options.silent}`;
  return `{"kind":"AudioData","audioData":{${fields}}}`;
}

const DTMF_TONE = /^[0-9*#A-D]$/;

/** A DtmfData message for one key press. Throws on anything but one of 0-9 * # A-D: a bug in the caller. */
export function encodeAcsDtmf(digit: string): string {
  if (!DTMF_TONE.test(digit)) {
    throw new ProtocolError('ACS_PROTOCOL', 'invalid_field', `not a DTMF tone: ${quote(digit)}`);
  }
  return `{"kind":"DtmfData","dtmfData":{"data":"${digit}"}}`;
}

const STOP: AcsOutbound = Object.freeze({ kind: 'stop' });

/**
 * Parses what the server sends to ACS. Accepts the three spellings Microsoft's own code produces (.NET
 * `{"Kind","AudioData":{"Data"…}}`, the Python docs, the JS SDK's camelCase): keys and the kind value are
 * matched case-insensitively and null siblings ignored, as ACS does. Audio may be any whole number of samples.
 */
export function parseAcsOutbound(text: string): AcsOutbound | AcsParseError {
  return guard(() => {
    const root = parseObject(text);
    const kind = readKind(root);
    switch (kind.toLowerCase()) {
      case 'audiodata': {
        const audio = requireObject(root, 'AudioData');
        return { kind: 'audio', samples: decodeAudio(requireString(audio, 'Data'), 'AudioData.Data') };
      }
      case 'stopaudio':
        return STOP;
      default:
        throw new AcsParseError('unknown_kind', `unknown outbound ACS message kind ${quote(kind)}`);
    }
  });
}

// ---- Reading, case-insensitively. Readers throw AcsParseError; guard turns it into the return value. ----

type JsonObject = Record<string, unknown>;

function guard<T>(read: () => T): T | AcsParseError {
  try {
    return read();
  } catch (err) {
    if (err instanceof AcsParseError) return err;
    throw err;
  }
}

function parseObject(text: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AcsParseError('not_json', 'ACS message is not JSON');
  }
  if (!isObject(value)) throw new AcsParseError('not_object', 'ACS message is not a JSON object');
  return value;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The value of `name` in any casing; null counts as absent (the .NET form sends `"StopAudio":null` beside
 * `AudioData`), so among duplicate spellings the first non-null wins. Objects here have two to five keys.
 */
function field(obj: JsonObject, name: string): unknown {
  const lower = name.toLowerCase();
  for (const key in obj) {
    if (key.length !== lower.length || key.toLowerCase() !== lower) continue;
    const value = obj[key];
    if (value !== null && value !== undefined) return value;
  }
  return undefined;
}

function readKind(root: JsonObject): string {
  const kind = field(root, 'kind');
  if (kind === undefined) throw new AcsParseError('missing_field', 'ACS message has no kind');
  if (typeof kind !== 'string') throw new AcsParseError('invalid_field', 'ACS message kind is not a string');
  return kind;
}

function requireObject(obj: JsonObject, name: string): JsonObject {
  const value = field(obj, name);
  if (value === undefined) throw new AcsParseError('missing_field', `ACS message has no ${name}`);
  if (!isObject(value)) throw new AcsParseError('invalid_field', `ACS ${name} is not an object`);
  return value;
}

function requireString(obj: JsonObject, name: string): string {
  const value = optionalString(obj, name);
  if (value === undefined) throw new AcsParseError('missing_field', `ACS message has no ${name}`);
  return value;
}

function optionalString(obj: JsonObject, name: string): string | undefined {
  const value = field(obj, name);
  if (value === undefined || typeof value === 'string') return value;
  throw new AcsParseError('invalid_field', `ACS ${name} is not a string`);
}

function optionalBoolean(obj: JsonObject, name: string): boolean | undefined {
  const value = field(obj, name);
  if (value === undefined || typeof value === 'boolean') return value;
  throw new AcsParseError('invalid_field', `ACS ${name} is not a boolean`);
}

function optionalCount(obj: JsonObject, name: string): number | undefined {
  const value = field(obj, name);
  if (value === undefined || (typeof value === 'number' && Number.isInteger(value) && value >= 0))
    return value;
  throw new AcsParseError('invalid_field', `ACS ${name} is not a non-negative integer`);
}

function readMetadata(meta: JsonObject): AcsAudioMetadata {
  const sampleRate = field(meta, 'sampleRate');
  if (sampleRate === undefined)
    throw new AcsParseError('missing_field', 'ACS audioMetadata has no sampleRate');
  if (sampleRate !== 16000 && sampleRate !== 24000) {
    throw new AcsParseError(
      'bad_sample_rate',
      `ACS sampleRate ${quote(sampleRate)} is not one of ${ACS_SAMPLE_RATES.join(', ')}`,
    );
  }
  const encoding = optionalString(meta, 'encoding');
  if (encoding !== undefined && encoding.toUpperCase() !== 'PCM') {
    throw new AcsParseError('unsupported_format', `ACS encoding ${quote(encoding)} is not PCM`);
  }
  const channels = optionalCount(meta, 'channels');
  if (channels !== undefined && channels !== 1) {
    throw new AcsParseError(
      'unsupported_format',
      `ACS audio has ${channels} channels; only mono is supported`,
    );
  }
  return {
    kind: 'metadata',
    sampleRate,
    subscriptionId: optionalString(meta, 'subscriptionId'),
    encoding,
    channels,
    length: optionalCount(meta, 'length'),
  };
}

function readAudioData(audio: JsonObject): AcsAudioData {
  // Every property is always set (undefined when absent): one object shape keeps the hot path monomorphic.
  return {
    kind: 'audio',
    samples: decodeAudio(requireString(audio, 'data'), 'audioData.data'),
    timestamp: optionalString(audio, 'timestamp'),
    participantRawID: optionalString(audio, 'participantRawID'),
    silent: optionalBoolean(audio, 'silent'),
  };
}

function readDtmf(dtmf: JsonObject): AcsDtmfData {
  const digits = requireString(dtmf, 'data');
  if (digits.length === 0) throw new AcsParseError('missing_field', 'ACS dtmfData.data is empty');
  return {
    kind: 'dtmf',
    digits,
    timestamp: optionalString(dtmf, 'timestamp'),
    participantRawID: optionalString(dtmf, 'participantRawID'),
  };
}

function decodeAudio(data: string, name: string): Pcm16 {
  if (data.length === 0) return new Int16Array(0);
  const bytes = decodeStrictBase64(data);
  if (bytes === undefined) {
    // Trimmed only on this failure path, so valid frames never pay for it.
    if (data.trim().length === 0) return new Int16Array(0);
    throw new AcsParseError('invalid_base64', `ACS ${name} is not standard padded base64`);
  }
  if (bytes.length % 2 !== 0) {
    throw new AcsParseError(
      'bad_frame_length',
      `ACS ${name} has ${bytes.length} bytes, not a whole number of 16-bit samples`,
    );
  }
  // Copied, not viewed: Buffer.from may return a slice of Node's shared pool, which a frame must not pin or
  // carry into a worker transfer.
  const samples = new Int16Array(bytes.length / 2);
  new Uint8Array(samples.buffer).set(bytes);
  return samples;
}

/** A value for an error message, cut short so that garbage input cannot flood the logs. */
function quote(value: unknown): string {
  if (typeof value === 'string')
    return value.length > 40 ? `${JSON.stringify(value.slice(0, 40))}…` : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return Array.isArray(value) ? 'an array' : value === null ? 'null' : `a JSON ${typeof value}`;
}
