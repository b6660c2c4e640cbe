import type { CallEvent } from './call-events.ts';
import { phoneOf } from './call-events.ts';

/** The session context key a phone call's record is kept under. */
export const CALL_RECORD_KEY = 'call';

export type CallState = 'connecting' | 'connected' | 'transferring' | 'disconnected' | 'failed';
export type CallDirection = 'inbound' | 'outbound';

/** A phone call's lifecycle as the session keeps it (corememory `call`). */
export interface CallRecord {
  readonly callId: string;
  readonly sessionId: string;
  readonly direction: CallDirection;
  readonly state: CallState;
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  /** Raw ids of who is on the call, from the latest ParticipantsUpdated. */
  readonly participants: readonly string[];
  readonly participantsSequence?: number;
  readonly media?: { readonly status: string; readonly details?: string | undefined };
  /** ACS's transcription of the call (transcription mode), from its Transcription* events. */
  readonly transcription?: { readonly status: string; readonly details?: string | undefined };
  /** How often rtvoice asked ACS to start a failed transcription again. */
  readonly transcriptionRestarts?: number;
  readonly transfer?: {
    readonly target: string;
    readonly status: 'requested' | 'accepted' | 'failed';
    readonly detail?: string | undefined;
  };
  /** The last play or recognize operation ACS reported on. */
  readonly lastOperation?: { readonly event: string; readonly detail?: string | undefined };
  readonly dtmf?: string;
  readonly createdAt: string;
  readonly connectedAt?: string;
  readonly endedAt?: string;
  /** Who asked ACS to end the call, before it ended. */
  readonly hangUpBy?: 'agent' | 'api' | 'transfer failure';
  /** Why the call ended: who hung up, a failure, a transfer. */
  readonly endReason?: string;
}

/** The phone of the person rtvoice talks to: who called, or who was called. */
export const callerOf = (record: CallRecord): string | undefined =>
  record.direction === 'inbound' ? record.from : record.to;

/** Whether the call is over: nothing more happens on it. */
export const isOver = (record: CallRecord) => record.state === 'disconnected' || record.state === 'failed';

/** `code/subCode: message` of an event's resultInformation. */
function resultOf(data: Readonly<Record<string, unknown>>): string | undefined {
  const info = data['resultInformation'] as { code?: number; subCode?: number; message?: string } | undefined;
  if (!info) return undefined;
  return `${info.code ?? '?'}/${info.subCode ?? '?'}${info.message ? `: ${info.message}` : ''}`;
}

const ended = (record: CallRecord, state: CallState, reason: string, at: string): CallRecord => ({
  ...record,
  state,
  endedAt: record.endedAt ?? at,
  endReason: record.endReason ?? reason,
});

/**
 * The record after one event. Events of a finished call change nothing, except that the moment it ended
 * is kept; a ParticipantsUpdated older than the one applied is ignored (ACS may deliver out of order).
 */
export function applyCallEvent(record: CallRecord, event: CallEvent, at: string): CallRecord {
  const { data } = event;
  if (isOver(record)) return record;
  switch (event.type) {
    case 'CallConnected':
      return { ...record, state: 'connected', connectedAt: record.connectedAt ?? at };
    case 'CallDisconnected':
      return ended(record, 'disconnected', disconnectReason(record), at);
    case 'CreateCallFailed':
    case 'AnswerFailed':
    case 'AnswerCallFailed':
      return ended(record, 'failed', `${event.type} ${resultOf(data) ?? ''}`.trim(), at);
    case 'ParticipantsUpdated': {
      const sequence = typeof data['sequenceNumber'] === 'number' ? data['sequenceNumber'] : undefined;
      if (
        sequence !== undefined &&
        record.participantsSequence !== undefined &&
        sequence <= record.participantsSequence
      )
        return record;
      const list = Array.isArray(data['participants']) ? (data['participants'] as unknown[]) : [];
      const participants = list
        // A participant that is not an object (null, a number) is skipped, not a failure of the event.
        .map((p) => (p as { identifier?: { rawId?: unknown } } | null)?.identifier?.rawId)
        .filter((id): id is string => typeof id === 'string')
        .map((id) => phoneOf(id)!);
      return {
        ...record,
        participants,
        ...(sequence !== undefined ? { participantsSequence: sequence } : {}),
      };
    }
    case 'MediaStreamingStarted':
    case 'MediaStreamingStopped':
    case 'MediaStreamingFailed':
      return { ...record, media: streamStatus(event, 'mediaStreaming') };
    case 'TranscriptionStarted':
    case 'TranscriptionStopped':
    case 'TranscriptionUpdated':
    case 'TranscriptionFailed':
      return { ...record, transcription: streamStatus(event, 'transcription') };
    case 'PlayStarted':
    case 'PlayCompleted':
    case 'PlayFailed':
    case 'PlayCanceled':
    case 'RecognizeCompleted':
    case 'RecognizeFailed':
      return { ...record, lastOperation: { event: event.type, detail: resultOf(data) } };
    case 'ContinuousDtmfRecognitionToneReceived': {
      const tone = typeof data['tone'] === 'string' ? data['tone'] : '?';
      return { ...record, dtmf: `${record.dtmf ?? ''}${toneDigit(tone) ?? '?'}` };
    }
    case 'CallTransferAccepted':
      return record.transfer ? { ...record, transfer: { ...record.transfer, status: 'accepted' } } : record;
    case 'CallTransferFailed':
      return {
        ...record,
        state: 'connected',
        transfer: { target: record.transfer?.target ?? 'unknown', status: 'failed', detail: resultOf(data) },
      };
    default:
      return record;
  }
}

/** A stream's status from its `<stream>Update` (`mediaStreamingUpdate`, `transcriptionUpdate`). */
function streamStatus(
  event: CallEvent,
  stream: 'mediaStreaming' | 'transcription',
): { status: string; details: string | undefined } {
  const update = event.data[`${stream}Update`] as Readonly<Record<string, unknown>> | undefined;
  const status = update?.[`${stream}Status`];
  const details = update?.[`${stream}StatusDetails`];
  return {
    status: typeof status === 'string' ? status : event.type,
    details: typeof details === 'string' ? details : resultOf(event.data),
  };
}

function disconnectReason(record: CallRecord): string {
  if (record.transfer?.status === 'accepted') return `transferred to ${record.transfer.target}`;
  if (record.hangUpBy === 'api') return 'hung up through the API';
  if (record.hangUpBy) return `hung up by the ${record.hangUpBy}`;
  return 'the caller hung up';
}

/** ACS's keypad tones (`Tone`) and their keys. */
export const DTMF_TONES: Readonly<Record<string, string>> = {
  zero: '0',
  one: '1',
  two: '2',
  three: '3',
  four: '4',
  five: '5',
  six: '6',
  seven: '7',
  eight: '8',
  nine: '9',
  a: 'A',
  b: 'B',
  c: 'C',
  d: 'D',
  pound: '#',
  asterisk: '*',
};

/** The key of an ACS `Tone` (`nine`, `pound`, …): `9`, `#`; undefined when it is none. */
export function toneDigit(tone: unknown): string | undefined {
  return typeof tone === 'string' && Object.hasOwn(DTMF_TONES, tone) ? DTMF_TONES[tone] : undefined;
}

/** The event types rtvoice acts on; any other is logged and acknowledged. */
export const HANDLED_EVENTS: ReadonlySet<string> = new Set([
  'CallConnected',
  'CallDisconnected',
  'CreateCallFailed',
  'AnswerFailed',
  'AnswerCallFailed',
  'ParticipantsUpdated',
  'MediaStreamingStarted',
  'MediaStreamingStopped',
  'MediaStreamingFailed',
  'TranscriptionStarted',
  'TranscriptionStopped',
  'TranscriptionUpdated',
  'TranscriptionFailed',
  'PlayStarted',
  'PlayCompleted',
  'PlayFailed',
  'PlayCanceled',
  'RecognizeCompleted',
  'RecognizeFailed',
  'ContinuousDtmfRecognitionToneReceived',
  'CallTransferAccepted',
  'CallTransferFailed',
]);
