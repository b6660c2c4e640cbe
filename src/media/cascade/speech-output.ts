import type { VoiceSelection } from '../../agents/voices.ts';
import { tracer } from '../../telemetry/tracing.ts';
import type { TtsProvider } from '../../speech/types.ts';
import type { SentenceOutput } from './agent-reply.ts';
import type { OutputPacer } from './output-pacer.ts';

export interface SentenceToSpeak {
  readonly text: string;
  /** Where the sentence lies in its turn's spoken text. */
  readonly start: number;
  readonly end: number;
}

/**
 * Speaks a turn's sentences one after another into the pacer, each synthesised while the one before
 * plays. Aborting the turn's signal stops the current synthesis and skips the rest.
 */
export class SpeechOutput implements SentenceOutput {
  private readonly tts: TtsProvider;
  private readonly pacer: OutputPacer;
  private readonly sampleRate: number;
  private tail: Promise<void> = Promise.resolve();

  constructor(tts: TtsProvider, pacer: OutputPacer, sampleRate: number) {
    this.tts = tts;
    this.pacer = pacer;
    this.sampleRate = sampleRate;
  }

  /** Queues a sentence; `onAudio` hears when its first audio is ready (for latency figures). */
  say(
    sentence: SentenceToSpeak,
    turn: number,
    voice: VoiceSelection,
    signal: AbortSignal,
    onAudio?: (requestedAt: number) => void,
  ): void {
    this.tail = this.tail.then(async () => {
      if (signal.aborted) return;
      const requestedAt = performance.now();
      const span = tracer().startSpan('tts', {
        attributes: { 'tts.chars': sentence.text.length, 'tts.voice': voice.voice ?? voice.alias },
      });
      let first = true;
      try {
        for await (const chunk of this.tts.synthesize({
          text: sentence.text,
          voice: voice.voice,
          rate: voice.rate,
          sampleRate: this.sampleRate,
          signal,
        })) {
          if (signal.aborted) return;
          if (first) {
            onAudio?.(requestedAt);
            span.setAttribute('tts.first_audio_ms', Math.round(performance.now() - requestedAt));
          }
          first = false;
          this.pacer.enqueue(chunk, { turn, textStart: sentence.start, textEnd: sentence.end });
        }
      } finally {
        span.end();
      }
    });
  }

  /** Resolves when every queued sentence is in the pacer; rejects with the first synthesis failure. */
  done(): Promise<void> {
    return this.tail;
  }
}
