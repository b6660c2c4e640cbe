import type { Config } from '../config/config.ts';
import { errorMessage } from '../errors.ts';
import type { PoolMetrics } from '../pools/pool-metrics.ts';
import { ResourcePool } from '../pools/resource-pool.ts';
import type { Logger } from '../telemetry/logger.ts';
import { createStt, createTts } from './providers.ts';
import type { Recognizer, SttProvider, TtsProvider } from './types.ts';

/** The speech stack of one server: providers, and the pool of recognizers calls draw from. */
export class SpeechServices {
  readonly stt: SttProvider;
  readonly tts: TtsProvider;
  /** The seed's STTResourcePool: one recognizer per call, warm ones loaded ahead. */
  readonly recognizers: ResourcePool<Recognizer>;
  private warmUp: { state: 'warming' | 'ready' } | { state: 'failed'; reason: string } = { state: 'warming' };

  constructor(config: Config, poolMetrics: PoolMetrics) {
    const { speech } = config;
    this.stt = createStt(speech.stt, {
      maxWorkers: speech.recognizerPool.maxSize,
      azure: config.azureSpeech,
    });
    this.tts = createTts(speech.tts, { workers: speech.ttsWorkers, azure: config.azureSpeech });
    const stt = this.stt;
    this.recognizers = new ResourcePool<Recognizer>(
      {
        create: () => stt.open(),
        destroy: (recognizer) => recognizer.close(),
        isUsable: (recognizer) => !recognizer.closed,
      },
      {
        name: 'stt',
        maxSize: speech.recognizerPool.maxSize,
        warmSize: speech.recognizerPool.warmSize,
        sessionHoldMs: speech.recognizerPool.sessionHoldMs,
        acquireTimeoutMs: config.poolAcquireTimeoutMs,
      },
      poolMetrics.observer('stt', () => this.recognizers.stats()),
    );
  }

  /** Loads the warm recognizers in the background; readiness reports the outcome. */
  warm(log: Logger): void {
    const started = performance.now();
    this.recognizers.prepare().then(
      () => {
        this.warmUp = { state: 'ready' };
        log.info(
          { ms: Math.round(performance.now() - started), ...this.recognizers.stats() },
          'speech recognizers warm',
        );
      },
      (err: unknown) => {
        this.warmUp = { state: 'failed', reason: errorMessage(err) };
        log.error({ err }, 'speech recognizers failed to load');
      },
    );
  }

  /** Undefined when ready; otherwise why calls cannot be served yet. */
  problem(): string | undefined {
    if (this.warmUp.state === 'warming') return 'loading speech recognizers';
    if (this.warmUp.state === 'failed') return `speech recognizers failed to load: ${this.warmUp.reason}`;
    return undefined;
  }

  async close(): Promise<void> {
    await this.recognizers.drain();
    await Promise.all([this.stt.close(), this.tts.close()]);
  }
}
