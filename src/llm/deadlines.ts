import { LlmError } from './types.ts';

/**
 * The signal one `stream()` call runs under: the caller's signal and the overall deadline both abort it,
 * each with an `LlmError` reason, so whoever sees the abort can throw the reason as it is.
 */
export class CallScope {
  readonly deadline: number;
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly callerSignal: AbortSignal | undefined;
  private readonly onCallerAbort: () => void;

  constructor(callerSignal: AbortSignal | undefined, totalMs: number) {
    this.deadline = Date.now() + totalMs;
    this.callerSignal = callerSignal;
    this.onCallerAbort = () => this.controller.abort(abortedError(callerSignal?.reason));
    this.timer = setTimeout(
      () =>
        this.controller.abort(
          new LlmError('LLM_TIMEOUT', `The LLM call did not finish within ${totalMs} ms`),
        ),
      totalMs,
    );
    // A forgotten iterator must not keep the process alive; an open request does that on its own.
    this.timer.unref();
    if (callerSignal?.aborted) this.onCallerAbort();
    else callerSignal?.addEventListener('abort', this.onCallerAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.callerSignal?.removeEventListener('abort', this.onCallerAbort);
  }
}

function abortedError(reason: unknown): LlmError {
  return new LlmError('LLM_ABORTED', 'The LLM call was aborted by its caller', { cause: reason });
}

/**
 * Aborts an attempt whose server goes quiet: no first chunk within `firstChunkMs` (`LLM_TIMEOUT`), or
 * no next chunk within `idleMs` (`LLM_STALLED`). It is disarmed while the consumer holds an event, so a
 * slow consumer is never mistaken for a stalled server. Both reasons are retryable: the retry layer still
 * refuses once something was yielded.
 */
export class ChunkWatchdog {
  private readonly controller: AbortController;
  private readonly firstChunkMs: number;
  private readonly idleMs: number;
  private timer: NodeJS.Timeout | undefined;
  private sawChunk = false;

  constructor(controller: AbortController, firstChunkMs: number, idleMs: number) {
    this.controller = controller;
    this.firstChunkMs = firstChunkMs;
    this.idleMs = idleMs;
  }

  /** (Re)starts the wait for the next chunk. */
  arm(): void {
    this.disarm();
    const stalled = this.sawChunk;
    const ms = stalled ? this.idleMs : this.firstChunkMs;
    this.timer = setTimeout(() => {
      const error = stalled
        ? new LlmError('LLM_STALLED', `The LLM stream stalled: no chunk for ${ms} ms`, { retryable: true })
        : new LlmError('LLM_TIMEOUT', `No response from the LLM within ${ms} ms`, { retryable: true });
      this.controller.abort(error);
    }, ms).unref();
  }

  /** A chunk arrived: from now on the idle timeout applies. */
  chunk(): void {
    this.sawChunk = true;
    this.arm();
  }

  disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
