import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../config/config.ts';
import { errorMessage } from '../errors.ts';
import type { PoolMetrics } from '../pools/pool-metrics.ts';
import { ResourcePool } from '../pools/resource-pool.ts';
import type { Logger } from '../telemetry/logger.ts';
import { NullStt } from './null/null-stt.ts';
import { createStt, createTts } from './providers.ts';
import type { Recognizer, SttProvider, TtsProvider, VoiceActivityDetector } from './types.ts';
import { SileroVad } from './vad/silero.ts';

/** How long closing waits for a warm-up still running. */
const WARM_UP_WAIT_MS = 5000;

/**
 * The speech stack of one server: the pools calls draw from. A call takes one recognizer and one
 * synthesizer for its duration; a session that comes back soon gets its own recognizer again.
 */
export class SpeechServices {
  readonly stt: SttProvider;
  /** The seed's STTResourcePool: pocketsphinx decoders (one worker thread each), warm ones loaded ahead. */
  readonly recognizers: ResourcePool<Recognizer>;
  /** The seed's TTSResourcePool: a call's synthesizer, held for the call (Azure: its own client). */
  readonly synthesizers: ResourcePool<TtsProvider>;
  /**
   * Voice activity detectors, one per call: loading the Silero model takes 70-110 ms of the event loop,
   * too long to do while calls are live, so detectors are made ahead and reset between calls. With
   * STT_PROVIDER=null they are null detectors too: no model per call, only the media path is left.
   */
  readonly vads: ResourcePool<VoiceActivityDetector>;
  private warmUp: { state: 'warming' | 'ready' } | { state: 'failed'; reason: string } = { state: 'warming' };
  private warming: Promise<unknown> = Promise.resolve();

  /** `token`: Entra ID tokens for Azure Speech without a key. */
  constructor(config: Config, poolMetrics: PoolMetrics, token?: () => Promise<string>) {
    const { speech } = config;
    const azure = { ...config.azureSpeech, token };
    const stt = createStt(speech.stt, {
      maxWorkers: speech.recognizerPool.maxSize,
      azure,
    });
    this.stt = stt;
    this.recognizers = new ResourcePool<Recognizer>(
      {
        create: () => stt.open(),
        destroy: (recognizer) => recognizer.close(),
        isUsable: (recognizer) => !recognizer.closed,
      },
      { name: 'stt', ...speech.recognizerPool, acquireTimeoutMs: config.poolAcquireTimeoutMs },
      poolMetrics.observer('stt', () => this.recognizers.stats()),
    );
    this.synthesizers = new ResourcePool<TtsProvider>(
      {
        create: () => Promise.resolve(createTts(speech.tts, { azure })),
        destroy: (tts) => tts.close(),
      },
      {
        name: 'tts',
        ...speech.synthesizerPool,
        sessionHoldMs: 0,
        acquireTimeoutMs: config.poolAcquireTimeoutMs,
      },
      poolMetrics.observer('tts', () => this.synthesizers.stats()),
    );
    const detector =
      stt instanceof NullStt
        ? () => stt.detector()
        : () => new SileroVad({ hangoverMs: config.media.eouSilenceMs });
    this.vads = new ResourcePool<VoiceActivityDetector>(
      {
        create: () => Promise.resolve(detector()),
        destroy: () => undefined,
      },
      {
        name: 'vad',
        ...speech.recognizerPool,
        sessionHoldMs: 0,
        acquireTimeoutMs: config.poolAcquireTimeoutMs,
        // Loading the model blocks the event loop for 70-110 ms: not while the call that took one starts.
        refillDelayMs: 1000,
      },
      poolMetrics.observer('vad', () => this.vads.stats()),
    );
  }

  /**
   * Loads the warm tiers in the background, then runs `prime` (rendering what calls say first); readiness
   * reports the outcome. A failed prime is logged: calls then render their greeting themselves.
   */
  warm(log: Logger, prime?: () => Promise<unknown>): void {
    const started = performance.now();
    this.warming = Promise.all([
      this.recognizers.prepare(),
      this.synthesizers.prepare(),
      this.vads.prepare(),
    ]).then(
      async () => {
        await prime?.().catch((err: unknown) =>
          log.warn({ err: errorMessage(err) }, 'greeting not rendered ahead; the first call renders it'),
        );
        this.warmUp = { state: 'ready' };
        const ms = Math.round(performance.now() - started);
        log.info({ ms, stt: this.recognizers.stats(), tts: this.synthesizers.stats() }, 'speech pools warm');
      },
      (err: unknown) => {
        this.warmUp = { state: 'failed', reason: errorMessage(err) };
        log.error({ err }, 'speech pools failed to warm up');
      },
    );
  }

  /** Undefined when ready; otherwise why calls cannot be served yet. */
  problem(): string | undefined {
    if (this.warmUp.state === 'warming') return 'loading speech recognizers and synthesizers';
    if (this.warmUp.state === 'failed') return `speech pools failed to warm up: ${this.warmUp.reason}`;
    return undefined;
  }

  async close(): Promise<void> {
    // Native work still running when the process exits (a sentence flite renders for the primer) aborts it.
    await Promise.race([this.warming, sleep(WARM_UP_WAIT_MS, undefined, { ref: false })]);
    await Promise.all([this.recognizers.drain(), this.synthesizers.drain(), this.vads.drain()]);
    await this.stt.close();
  }
}
