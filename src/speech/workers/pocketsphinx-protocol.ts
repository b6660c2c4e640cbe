import type { Hypothesis } from '../stt/pocketsphinx-decoder.ts';
import type { RecognitionHints } from '../types.ts';

/** Messages from the main thread to a pocketsphinx worker; `id` names one recognizer. */
export type ToWorker =
  | { readonly type: 'open'; readonly id: number; readonly hints: RecognitionHints }
  | { readonly type: 'audio'; readonly id: number; readonly samples: Int16Array }
  | { readonly type: 'expect'; readonly id: number; readonly hints: RecognitionHints }
  | { readonly type: 'flush'; readonly id: number }
  | { readonly type: 'close'; readonly id: number };

export type FromWorker =
  | { readonly type: 'opened'; readonly id: number }
  | { readonly type: 'partial'; readonly id: number; readonly text: string }
  | { readonly type: 'final'; readonly id: number; readonly result: RecognitionResult }
  | { readonly type: 'error'; readonly id: number; readonly message: string };

/** An utterance's result; with a grammar in force, whether the caller said one of its phrases. */
export interface RecognitionResult extends Hypothesis {
  readonly inGrammar?: boolean;
  readonly alternatives?: readonly string[];
}

export interface WorkerOptions {
  /** How often partial results are read from the decoder (reading them costs a search). */
  readonly partialIntervalMs: number;
  /** Decoders kept loaded after their recognizer closes, ready for the next one. */
  readonly maxIdleDecoders: number;
}
