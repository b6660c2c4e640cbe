import { errorMessage } from '../../errors.ts';
import { TRANSCRIPT_THREAD } from '../../state/session.ts';
import type {
  TranscriptionMetadata,
  TranscriptionResult,
} from '../../transports/acs-transcription/transcription-codec.ts';
import type { TranscriptHandler } from '../../transports/transport.ts';
import type { TranscriptContext } from '../call-context.ts';
import { publisher, type Publish } from '../cascade/publisher.ts';
import { speakerOf, transcriptPayload, wordTimings } from './speakers.ts';

/**
 * Transcription mode, listen-only (the seed's "transcription only"): a live transcript of the call,
 * attributed to who spoke, for dashboards (`user_transcript`) and the session (its `transcript` thread,
 * Final results with their word timings). Nothing is spoken: for calls between people, captions, notes.
 */
export class LiveTranscript implements TranscriptHandler {
  private readonly context: TranscriptContext;
  private readonly publish: Publish;
  private begun = false;
  private closed = false;

  constructor(context: TranscriptContext) {
    this.context = context;
    const { memo, callId, transport, log } = context;
    this.publish = publisher((m) => transport.publish(m), { sessionId: memo.sessionId, callId }, log);
  }

  begin(metadata: TranscriptionMetadata): void {
    this.started(metadata.locale);
  }

  result(result: TranscriptionResult): void {
    if (this.closed) return;
    this.started(undefined);
    const { memo } = this.context;
    const speaker = speakerOf(result.participantRawId, memo);
    this.publish('user_transcript', transcriptPayload(result, speaker));
    if (!result.final || !result.text.trim()) return;
    memo.appendToHistory(TRANSCRIPT_THREAD, 'user', result.text, {
      speaker: speaker.role,
      participant: speaker.id ?? null,
      confidence: result.confidence ?? null,
      offset_ms: result.offsetMs ?? null,
      duration_ms: result.durationMs ?? null,
      words: wordTimings(result),
      at: new Date().toISOString(),
    });
    memo.schedulePersist(); // each Final is kept as it comes: a lost instance loses none of the call
  }

  /** Nothing to say: a listen-only call just ends. */
  farewell(): void {
    this.context.control?.end('completed').catch((err: unknown) => {
      this.context.log.error({ err: errorMessage(err) }, 'ending the call failed');
    });
  }

  async close(reason: string): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.begun) this.publish('session_end', { reason });
    return Promise.resolve();
  }

  private started(locale: string | undefined): void {
    if (this.begun) return;
    this.begun = true;
    this.publish('status', { message: 'transcription started', mode: 'listen', locale: locale ?? null });
  }
}
