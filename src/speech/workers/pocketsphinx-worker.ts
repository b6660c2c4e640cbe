import { parentPort, workerData } from 'node:worker_threads';
import { PocketsphinxDecoder } from '../stt/pocketsphinx-decoder.ts';
import type { FromWorker, ToWorker, WorkerOptions } from './pocketsphinx-protocol.ts';

// Runs in a worker thread: every pocketsphinx call blocks, so none may run on the main event loop.

interface Session {
  readonly decoder: PocketsphinxDecoder;
  lastPartial: string;
  lastPollAt: number;
}

const options = workerData as WorkerOptions;
const sessions = new Map<number, Session>();
const idle: PocketsphinxDecoder[] = [];
const port = parentPort!;

function send(message: FromWorker): void {
  port.postMessage(message);
}

function session(id: number): Session {
  const found = sessions.get(id);
  if (!found) throw new Error(`recognizer ${id} is not open`);
  return found;
}

function handle(message: ToWorker): void {
  switch (message.type) {
    case 'open': {
      const decoder = idle.pop() ?? new PocketsphinxDecoder();
      try {
        decoder.useGrammar(message.grammar);
      } catch (err) {
        idle.push(decoder);
        throw err;
      }
      sessions.set(message.id, { decoder, lastPartial: '', lastPollAt: performance.now() });
      send({ type: 'opened', id: message.id });
      return;
    }
    case 'audio': {
      const current = session(message.id);
      current.decoder.process(message.samples);
      const now = performance.now();
      if (now - current.lastPollAt < options.partialIntervalMs) return;
      current.lastPollAt = now;
      const text = current.decoder.partial();
      if (text && text !== current.lastPartial) {
        current.lastPartial = text;
        send({ type: 'partial', id: message.id, text });
      }
      return;
    }
    case 'grammar':
      session(message.id).decoder.useGrammar(message.grammar);
      return;
    case 'flush': {
      const current = session(message.id);
      current.lastPartial = '';
      send({ type: 'final', id: message.id, hypothesis: current.decoder.finish() });
      return;
    }
    case 'close': {
      const current = sessions.get(message.id);
      if (!current) return;
      sessions.delete(message.id);
      current.decoder.finish();
      current.decoder.useGrammar(undefined);
      if (idle.length < options.maxIdleDecoders) idle.push(current.decoder);
      else current.decoder.free();
      return;
    }
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
