import type { EventEmitter } from 'node:events';
import type { Pcm16 } from '../audio/pcm.ts';
import { RtvoiceError } from '../errors.ts';

/** The rate of the call pipeline: caller audio is resampled to it for the VAD and the recognizer. */
export const PIPELINE_SAMPLE_RATE = 16000;

/** Times are milliseconds of audio since the detector started (stream time, not wall time). */
export type VadEvent =
  | { readonly type: 'speech_start'; readonly atMs: number; readonly speechStartMs: number }
  | { readonly type: 'speech_end'; readonly atMs: number; readonly speechEndMs: number };

/** Voice activity detection for one audio stream (Silero's, or the null provider's). */
export interface VoiceActivityDetector {
  /** True between a speech_start and its speech_end. */
  readonly speaking: boolean;
  /** Feeds audio at PIPELINE_SAMPLE_RATE; returns the speech starts and ends it completes. */
  process(samples: Pcm16): VadEvent[];
  /** Forgets all state, e.g. between calls that reuse the detector. */
  reset(): void;
}

/** A recognised utterance. Times are milliseconds from the start of the recognizer's audio stream. */
export interface SttResult {
  readonly text: string;
  /** 0 to 1. */
  readonly confidence: number;
  readonly startMs: number;
  readonly endMs: number;
  /**
   * Set when a grammar constrained the utterance: whether the caller said one of its phrases. When not,
   * `text` is what the open language model heard, and the grammar's forced reading is an alternative.
   */
  readonly inGrammar?: boolean;
  /** Other readings of the utterance, best first. */
  readonly alternatives?: readonly string[];
}

export interface RecognizerEvents {
  partial: [text: string];
  final: [result: SttResult];
  /** The recognizer can no longer work (its worker died, its service failed); it is closed. */
  error: [error: Error];
}

/** One caller's audio stream being recognised: 16 kHz PCM16 in, partial and final results out. */
export interface Recognizer extends EventEmitter<RecognizerEvents> {
  /** True once closed or failed; a closed recognizer takes no more audio. */
  readonly closed: boolean;
  /** Adds audio; an utterance starts with the first audio after a flush. */
  write(samples: Pcm16): void;
  /** Ends the utterance: resolves (and emits `final`) with its result, empty text when nothing was said. */
  flush(): Promise<SttResult>;
  /** What the next utterances are expected to say; `{}` lifts earlier hints. */
  expect(hints: RecognitionHints): void;
  /** Releases the recognizer; pending flushes reject. */
  close(): void;
}

/** What a question expects the caller to say, for the recognizer to favour. */
export interface RecognitionHints {
  /** A JSGF grammar the answer should fit (constrained prompts: digits, yes/no); out-of-grammar is flagged. */
  readonly grammar?: string | undefined;
  /** Phrases of the kind expected: their words and word orders are favoured, nothing else is ruled out. */
  readonly phrases?: readonly string[] | undefined;
}

export interface RecognizerOptions extends RecognitionHints {
  readonly sessionId?: string;
  /** Aborting closes the recognizer. */
  readonly signal?: AbortSignal;
}

export interface SttProvider {
  readonly name: string;
  open(options?: RecognizerOptions): Promise<Recognizer>;
  close(): Promise<void>;
}

export class SttError extends RtvoiceError {
  constructor(message: string, options?: ErrorOptions) {
    super('STT_FAILED', message, options);
  }
}

export interface SynthesisRequest {
  /** Plain text or SSML-lite (see tts/speech-text.ts). */
  readonly text: string;
  /** A voice of the provider; its default when unset. */
  readonly voice?: string | undefined;
  /** Output sample rate: the transport's (16 kHz ACS, 8 kHz phone, 24 or 48 kHz browser). */
  readonly sampleRate: number;
  /** Speaking rate, 1 is normal, 1.2 is 20 % faster. */
  readonly rate?: number | undefined;
  /** Aborting stops synthesis mid-utterance; the stream then ends without an error. */
  readonly signal?: AbortSignal | undefined;
}

export interface TtsProvider {
  readonly name: string;
  readonly defaultVoice: string;
  /** PCM16 mono chunks at the requested rate, the first as soon as the first sentence is ready. */
  synthesize(request: SynthesisRequest): AsyncIterable<Pcm16>;
  close(): Promise<void>;
}

export class TtsError extends RtvoiceError {
  constructor(message: string, options?: ErrorOptions) {
    super('TTS_FAILED', message, options);
  }
}
