import { z } from 'zod';
import { ProtocolError } from '../protocol-error.ts';

// The wire codec of ACS transcription streaming (reference/PROTOCOLS.md §2): TranscriptionMetadata first,
// then one TranscriptionData per recognition result. Pure string ↔ value functions for both ends, the
// server and the ACS simulator. `kind` and `resultStatus` are compared case-insensitively, as the SDKs do.

/** 100 ns ticks per millisecond: ACS gives offsets and durations in ticks. */
export const TICKS_PER_MS = 10_000;

export type TranscriptionParseReason = 'not_json' | 'unknown_kind' | 'invalid_field';

export class TranscriptionParseError extends ProtocolError<TranscriptionParseReason> {
  constructor(reason: TranscriptionParseReason, message: string) {
    super('ACS_TRANSCRIPTION_PROTOCOL', reason, message);
  }
}

export interface TranscriptionMetadata {
  readonly kind: 'metadata';
  readonly callId: string | undefined;
  readonly locale: string | undefined;
  readonly subscriptionId: string | undefined;
  readonly correlationId: string | undefined;
}

export interface TranscribedWord {
  readonly text: string;
  /** Stream position in ms (ACS's tick offset ÷ 10,000). */
  readonly offsetMs: number;
  readonly durationMs: number;
}

/** One recognition result: `final` false for an Intermediate (it will be revised), true for a Final. */
export interface TranscriptionResult {
  readonly kind: 'result';
  readonly text: string;
  readonly final: boolean;
  readonly confidence: number | undefined;
  /** Where the result lies in the stream (ms); undefined when ACS sent no offset. */
  readonly offsetMs: number | undefined;
  readonly durationMs: number | undefined;
  readonly words: readonly TranscribedWord[];
  /** Who spoke: `4:+1…` (a phone), `8:acs:…` (an ACS user or bot); undefined on a mixed stream. */
  readonly participantRawId: string | undefined;
}

export type TranscriptionInbound = TranscriptionMetadata | TranscriptionResult;

const ticks = z.number().finite().nonnegative();
const Word = z.object({ text: z.string(), offset: ticks.optional(), duration: ticks.optional() });
const Data = z.object({
  text: z.string(),
  format: z.string().optional(),
  confidence: z.number().finite().min(0).max(1).optional(),
  offset: ticks.optional(),
  duration: ticks.optional(),
  words: z.array(Word).max(10_000).optional(),
  participantRawID: z.string().optional(),
  resultStatus: z.string().refine((s) => /^(intermediate|final)$/i.test(s), 'Intermediate or Final'),
});
const Metadata = z.object({
  subscriptionId: z.string().optional(),
  locale: z.string().optional(),
  callConnectionId: z.string().optional(),
  correlationId: z.string().optional(),
});

/** Reads one message of the transcription stream; anything that does not follow §2 is an error value. */
export function parseTranscriptionMessage(text: string): TranscriptionInbound | TranscriptionParseError {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch {
    return new TranscriptionParseError('not_json', 'the message is not JSON');
  }
  if (typeof root !== 'object' || root === null || Array.isArray(root))
    return new TranscriptionParseError('not_json', 'the message is not a JSON object');
  const message = root as Record<string, unknown>;
  const rawKind = fieldOf(message, 'kind');
  const kind = typeof rawKind === 'string' ? rawKind.toLowerCase() : '';
  if (kind === 'transcriptionmetadata') {
    const parsed = Metadata.safeParse(fieldOf(message, 'transcriptionMetadata'));
    if (!parsed.success) return invalid('transcriptionMetadata', parsed.error);
    const meta = parsed.data;
    return {
      kind: 'metadata',
      callId: meta.callConnectionId,
      locale: meta.locale,
      subscriptionId: meta.subscriptionId,
      correlationId: meta.correlationId,
    };
  }
  if (kind === 'transcriptiondata') {
    const parsed = Data.safeParse(fieldOf(message, 'transcriptionData'));
    if (!parsed.success) return invalid('transcriptionData', parsed.error);
    const data = parsed.data;
    return {
      kind: 'result',
      text: data.text,
      final: data.resultStatus.toLowerCase() === 'final',
      confidence: data.confidence,
      offsetMs: data.offset === undefined ? undefined : data.offset / TICKS_PER_MS,
      durationMs: data.duration === undefined ? undefined : data.duration / TICKS_PER_MS,
      words: (data.words ?? []).map((w) => ({
        text: w.text,
        offsetMs: (w.offset ?? 0) / TICKS_PER_MS,
        durationMs: (w.duration ?? 0) / TICKS_PER_MS,
      })),
      participantRawId: data.participantRawID,
    };
  }
  return new TranscriptionParseError(
    'unknown_kind',
    `unknown kind ${JSON.stringify(rawKind ?? null)}; expected TranscriptionMetadata or TranscriptionData`,
  );
}

/** A field by name, matched case-insensitively (ACS's serialisers differ in casing). */
function fieldOf(message: Record<string, unknown>, name: string): unknown {
  if (name in message) return message[name];
  const lower = name.toLowerCase();
  const key = Object.keys(message).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : message[key];
}

function invalid(what: string, error: z.ZodError): TranscriptionParseError {
  const issue = error.issues[0];
  const where = issue?.path.length ? `${what}.${issue.path.join('.')}` : what;
  return new TranscriptionParseError('invalid_field', `${where}: ${issue?.message ?? 'invalid'}`);
}

// What ACS sends, for the simulator.

export function encodeTranscriptionMetadata(meta: {
  callId: string;
  locale: string;
  subscriptionId: string;
  correlationId: string;
}): string {
  return JSON.stringify({
    kind: 'TranscriptionMetadata',
    transcriptionMetadata: {
      subscriptionId: meta.subscriptionId,
      locale: meta.locale,
      callConnectionId: meta.callId,
      correlationId: meta.correlationId,
    },
  });
}

/** `baseTicks` places stream time 0 (ACS's offsets are not zero-based). */
export function encodeTranscriptionData(
  result: Omit<TranscriptionResult, 'kind'>,
  baseTicks: number,
): string {
  const at = (ms: number) => baseTicks + Math.round(ms * TICKS_PER_MS);
  return JSON.stringify({
    kind: 'TranscriptionData',
    transcriptionData: {
      text: result.text,
      format: 'display',
      confidence: result.confidence,
      offset: at(result.offsetMs ?? 0),
      duration: Math.round((result.durationMs ?? 0) * TICKS_PER_MS),
      words: result.words.map((w) => ({
        text: w.text,
        offset: at(w.offsetMs),
        duration: Math.round(w.durationMs * TICKS_PER_MS),
      })),
      participantRawID: result.participantRawId,
      resultStatus: result.final ? 'Final' : 'Intermediate',
    },
  });
}
