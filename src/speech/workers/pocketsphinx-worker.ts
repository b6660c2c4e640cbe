import { parentPort, workerData } from 'node:worker_threads';
import {
  checkGrammarResult,
  grammarVocabulary,
  loadPronunciations,
  type Pronunciations,
} from '../stt/grammar-check.ts';
import { PocketsphinxDecoder } from '../stt/pocketsphinx-decoder.ts';
import { phraseLanguageModel } from '../stt/phrase-lm.ts';
import { POCKETSPHINX_MODEL_DIR } from '../system-dependencies.ts';
import type { RecognitionHints } from '../types.ts';
import type { FromWorker, RecognitionResult, ToWorker, WorkerOptions } from './pocketsphinx-protocol.ts';

// Runs in a worker thread: every pocketsphinx call blocks, so none may run on the main event loop.

/** A JSGF grammar in force, decoded by its own decoder beside the open language model. */
interface Constraint {
  readonly jsgf: string;
  readonly decoder: PocketsphinxDecoder;
  readonly vocabulary: ReadonlySet<string>;
}

interface Session {
  /** Always decodes with the open language model. */
  readonly open: PocketsphinxDecoder;
  /** The grammar decoder, kept loaded once made (a call's flow sets grammars again and again). */
  grammarDecoder: PocketsphinxDecoder | undefined;
  /** The grammar of the utterance in progress; new hints wait for the next utterance. */
  constraint: Constraint | undefined;
  /** The language model of the open decoder in this utterance: the general one, or one boosted. */
  languageModel: string | undefined;
  next: RecognitionHints;
  inUtterance: boolean;
  lastPartial: string;
  lastPollAt: number;
  /**
   * The audio of the session's first utterance, kept until it is decoded. A decoder's cepstral mean
   * comes from earlier callers (or the model's default) until a first utterance of this caller has
   * updated it: that utterance is often misheard ("" for "Alice Brown"), and the next one heard right.
   */
  firstUtterance: Int16Array[] | undefined;
}

const options = workerData as WorkerOptions;
const sessions = new Map<number, Session>();
const idle: PocketsphinxDecoder[] = [];
const port = parentPort!;
let dictionary: Pronunciations | undefined;
/** Phrase language models built, by their phrases. */
const phraseModels = new Map<string, string>();
const MAX_PHRASE_MODELS = 16;

function send(message: FromWorker): void {
  port.postMessage(message);
}

function session(id: number): Session {
  const found = sessions.get(id);
  if (!found) throw new Error(`recognizer ${id} is not open`);
  return found;
}

/**
 * Sets the hints for the session's next utterance. Their decoders and models load now, while the agent
 * asks, not when the caller speaks.
 */
function expect(current: Session, hints: RecognitionHints): void {
  current.next = hints;
  if (hints.grammar !== undefined || hints.phrases?.length) {
    current.grammarDecoder ??=
      hints.grammar === undefined ? undefined : (idle.pop() ?? new PocketsphinxDecoder());
    // The dictionary loads once per thread while the agent asks, not when the caller's answer ends.
    dictionary ??= loadPronunciations(`${POCKETSPHINX_MODEL_DIR}/cmudict-en-us.dict`);
  }
  if (!current.inUtterance) startUtterance(current);
}

function startUtterance(current: Session): void {
  const { grammar, phrases } = current.next;
  if (grammar === undefined || !current.grammarDecoder) current.constraint = undefined;
  else if (grammar !== current.constraint?.jsgf) {
    current.grammarDecoder.useGrammar(grammar);
    current.constraint = {
      jsgf: grammar,
      decoder: current.grammarDecoder,
      vocabulary: grammarVocabulary(grammar),
    };
  }
  const languageModel = phrases?.length ? phraseModel(phrases) : undefined;
  if (languageModel !== current.languageModel) {
    current.open.useLanguageModel(languageModel);
    current.languageModel = languageModel;
  }
}

/** The ARPA model of a question's phrases, built once per thread. */
function phraseModel(phrases: readonly string[]): string {
  const key = phrases.join('\n');
  let model = phraseModels.get(key);
  if (model === undefined) {
    model = phraseLanguageModel(phrases, dictionary!.knows);
    if (phraseModels.size >= MAX_PHRASE_MODELS) phraseModels.delete(phraseModels.keys().next().value!);
    phraseModels.set(key, model);
  }
  return model;
}

function finish(current: Session): RecognitionResult {
  current.inUtterance = false;
  current.lastPartial = '';
  const result = decode(current);
  const first = current.firstUtterance;
  current.firstUtterance = undefined;
  if (!first || (result.text && result.inGrammar !== false)) return result;
  // Misheard, or out of grammar, as first utterances often are: decoded again, now that the decoders'
  // cepstral means are this caller's.
  for (const samples of first) {
    current.open.process(samples);
    current.constraint?.decoder.process(samples);
  }
  return decode(current);
}

function decode(current: Session): RecognitionResult {
  const open = current.open.finish();
  const constraint = current.constraint;
  if (!constraint) return open;
  const constrained = constraint.decoder.finish();
  const check = checkGrammarResult(constrained.text, open, constraint.vocabulary, dictionary!.pronounce);
  return check.inGrammar
    ? { ...constrained, confidence: check.agreement, inGrammar: true, alternatives: [open.text] }
    : { ...open, inGrammar: false, alternatives: [constrained.text] };
}

function handle(message: ToWorker): void {
  switch (message.type) {
    case 'open': {
      const open = idle.pop() ?? new PocketsphinxDecoder();
      const current: Session = {
        open,
        grammarDecoder: undefined,
        constraint: undefined,
        languageModel: undefined,
        next: {},
        inUtterance: false,
        lastPartial: '',
        lastPollAt: performance.now(),
        firstUtterance: [],
      };
      try {
        expect(current, message.hints);
      } catch (err) {
        release(current);
        throw err;
      }
      sessions.set(message.id, current);
      send({ type: 'opened', id: message.id });
      return;
    }
    case 'audio': {
      const current = session(message.id);
      if (!current.inUtterance) startUtterance(current);
      current.inUtterance = true;
      current.firstUtterance?.push(message.samples);
      current.open.process(message.samples);
      current.constraint?.decoder.process(message.samples);
      const now = performance.now();
      if (now - current.lastPollAt < options.partialIntervalMs) return;
      current.lastPollAt = now;
      // The partial of the decoder whose words the flow expects: a ZIP code's digits so far.
      const text = (current.constraint?.decoder ?? current.open).partial();
      if (text && text !== current.lastPartial) {
        current.lastPartial = text;
        send({ type: 'partial', id: message.id, text });
      }
      return;
    }
    case 'expect':
      expect(session(message.id), message.hints);
      return;
    case 'flush':
      send({ type: 'final', id: message.id, result: finish(session(message.id)) });
      return;
    case 'close': {
      const current = sessions.get(message.id);
      if (!current) return;
      sessions.delete(message.id);
      release(current);
      return;
    }
  }
}

/** Returns a session's decoders to the idle pool, reset to the language model. */
function release(current: Session): void {
  for (const decoder of [current.open, current.grammarDecoder]) {
    if (!decoder) continue;
    decoder.finish();
    decoder.useGrammar(undefined); // the general language model, boosted or not
    if (idle.length < options.maxIdleDecoders) idle.push(decoder);
    else decoder.free();
  }
}

port.on('message', (message: ToWorker) => {
  try {
    handle(message);
  } catch (err) {
    const id = 'id' in message ? message.id : -1;
    send({ type: 'error', id, message: err instanceof Error ? err.message : String(err) });
  }
});
