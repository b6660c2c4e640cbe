import { parentPort, workerData } from 'node:worker_threads';
import { checkGrammarResult, grammarVocabulary, loadPronunciations } from '../stt/grammar-check.ts';
import { PocketsphinxDecoder } from '../stt/pocketsphinx-decoder.ts';
import { POCKETSPHINX_MODEL_DIR } from '../system-dependencies.ts';
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
  /** The grammar of the utterance in progress; a new grammar waits for the next utterance. */
  constraint: Constraint | undefined;
  nextGrammar: string | undefined;
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
let pronounce: ((word: string) => readonly string[]) | undefined;

function send(message: FromWorker): void {
  port.postMessage(message);
}

function session(id: number): Session {
  const found = sessions.get(id);
  if (!found) throw new Error(`recognizer ${id} is not open`);
  return found;
}

/** Sets the grammar for the session's next utterance (its decoder loads now, not when the caller speaks). */
function constrain(current: Session, jsgf: string | undefined): void {
  current.nextGrammar = jsgf;
  if (jsgf !== undefined) {
    current.grammarDecoder ??= idle.pop() ?? new PocketsphinxDecoder();
    // The dictionary loads once per thread while the agent asks, not when the caller's answer ends.
    pronounce ??= loadPronunciations(`${POCKETSPHINX_MODEL_DIR}/cmudict-en-us.dict`);
  }
  if (!current.inUtterance) startUtterance(current);
}

function startUtterance(current: Session): void {
  const jsgf = current.nextGrammar;
  if (jsgf === undefined || !current.grammarDecoder) current.constraint = undefined;
  else if (jsgf !== current.constraint?.jsgf) {
    current.grammarDecoder.useGrammar(jsgf);
    current.constraint = { jsgf, decoder: current.grammarDecoder, vocabulary: grammarVocabulary(jsgf) };
  }
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
  const check = checkGrammarResult(constrained.text, open, constraint.vocabulary, pronounce!);
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
        nextGrammar: undefined,
        inUtterance: false,
        lastPartial: '',
        lastPollAt: performance.now(),
        firstUtterance: [],
      };
      try {
        constrain(current, message.grammar);
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
    case 'grammar':
      constrain(session(message.id), message.grammar);
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
    decoder.useGrammar(undefined);
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
