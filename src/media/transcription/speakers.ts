import { CALL_RECORD_KEY, callerOf, type CallRecord } from '../../calls/call-records.ts';
import type { MemoManager } from '../../state/memo-manager.ts';
import type { TranscriptionResult } from '../../transports/acs-transcription/transcription-codec.ts';

/** Who said something on the call: the caller, someone else on it, or unknown (a mixed stream). */
export interface Speaker {
  readonly role: 'caller' | 'participant' | 'unknown';
  /** ACS's raw id (`4:+1…`, `8:acs:…`), when the stream attributes the result. */
  readonly id: string | undefined;
}

/** Tells speakers apart by the call's record: the caller is the phone that called, or was called. */
export function speakerOf(rawId: string | undefined, memo: MemoManager): Speaker {
  if (rawId === undefined || rawId === '') return { role: 'unknown', id: undefined };
  const record = memo.getContext<CallRecord>(CALL_RECORD_KEY);
  const caller = record && callerOf(record);
  const id = rawId.startsWith('4:') ? rawId.slice(2) : rawId;
  return { role: caller !== undefined && id === caller ? 'caller' : 'participant', id: rawId };
}

/** Where a result's speech ends in the stream (ms): its last word's end, else the result's own. */
export function speechEndOf(result: TranscriptionResult): number | undefined {
  const last = result.words.at(-1);
  if (last) return last.offsetMs + last.durationMs;
  return result.offsetMs === undefined ? undefined : result.offsetMs + (result.durationMs ?? 0);
}

/**
 * Maps ACS's stream positions to this machine's clock. ACS's offsets count from a point of its own, so
 * the anchor is learnt: a result can only arrive after its speech ended, and the result that arrived
 * soonest after its end (an Intermediate, usually) bounds the offset best.
 */
export class StreamClock {
  private anchor: number | undefined;

  /** A result whose speech ends at `endMs` (stream time) arrived at `receivedAt` (performance.now()). */
  observe(endMs: number, receivedAt: number): void {
    const anchor = receivedAt - endMs;
    if (this.anchor === undefined || anchor < this.anchor) this.anchor = anchor;
  }

  /** performance.now() of a stream position; undefined before any result. */
  wallTime(streamMs: number): number | undefined {
    return this.anchor === undefined ? undefined : this.anchor + streamMs;
  }
}

/** The `user_transcript` payload of a result, attributed to its speaker. */
export function transcriptPayload(result: TranscriptionResult, speaker: Speaker): Record<string, unknown> {
  return {
    text: result.text,
    final: result.final,
    speaker: speaker.role,
    participant: speaker.id ?? null,
    confidence: result.confidence ?? null,
    offset_ms: result.offsetMs ?? null,
    duration_ms: result.durationMs ?? null,
    ...(result.final ? { words: wordTimings(result) } : {}),
  };
}

/** A result's words with their stream timings, as envelopes and the transcript keep them. */
export function wordTimings(
  result: TranscriptionResult,
): { text: string; offset_ms: number; duration_ms: number }[] {
  return result.words.map((w) => ({ text: w.text, offset_ms: w.offsetMs, duration_ms: w.durationMs }));
}
