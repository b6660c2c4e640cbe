import type { EventEmitter } from 'node:events';
import type { Pcm16 } from '../audio/pcm.ts';
import { RtvoiceError } from '../errors.ts';

/** A recognised utterance. Times are milliseconds from the start of the recognizer's audio stream. */
export interface SttResult {
  readonly text: string;
  /** 0 to 1. */
  readonly confidence: number;
  readonly startMs: number;
  readonly endMs: number;
}

export interface RecognizerEvents {
  partial: [text: string];
  final: [result: SttResult];
  /** The recognizer can no longer work (its worker died, its service failed); it is closed. */
  error: [error: Error];
}

/** One caller's audio stream being recognised: 16 kHz PCM16 in, partial and final results out. */
export interface Recognizer extends EventEmitter<RecognizerEvents> {
  /** Adds audio; an utterance starts with the first audio after a flush. */
  write(samples: Pcm16): void;
  /** Ends the utterance: resolves (and emits `final`) with its result, empty text when nothing was said. */
  flush(): Promise<SttResult>;
  /** A JSGF grammar for the next utterances (constrained prompts: digits, yes/no); undefined lifts it. */
  setGrammar(jsgf: string | undefined): void;
  /** Releases the recognizer; pending flushes reject. */
  close(): void;
}

export interface RecognizerOptions {
  readonly sessionId?: string;
  readonly grammar?: string;
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
