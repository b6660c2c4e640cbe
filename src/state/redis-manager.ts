import { createClient, type RedisClientType } from 'redis';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../telemetry/logger.ts';

const MAX_RECONNECT_DELAY_MS = 5_000;

/**
 * The connection to Redis. It connects in the background and reconnects with backoff forever, so an
 * unreachable Redis never stops the server from starting; `ping` says whether it is usable now.
 */
export class RedisManager {
  readonly client: RedisClientType;
  private lastError: string | undefined;
  private readonly log: Logger;

  constructor(url: string, log: Logger) {
    this.log = log.child({ component: 'redis' });
    this.client = createClient({
      url,
      socket: {
        connectTimeout: 2_000,
        reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, MAX_RECONNECT_DELAY_MS),
      },
    });
    this.client.on('error', (err: unknown) => this.noteError(err));
    this.client.on('ready', () => {
      if (this.lastError !== undefined) this.log.info('redis connection restored');
      this.lastError = undefined;
    });
  }

  /** Starts connecting; failures are logged and retried, never thrown. */
  start(): void {
    this.client.connect().catch((err: unknown) => this.noteError(err));
  }

  /** Resolves when Redis answers; rejects at once, with the reason, when there is no connection. */
  async ping(): Promise<void> {
    if (!this.client.isReady) {
      throw new Error(`not connected${this.lastError ? `: ${this.lastError}` : ''}`);
    }
    await this.client.ping();
  }

  async close(): Promise<void> {
    if (this.client.isReady) await this.client.close();
    else if (this.client.isOpen) this.client.destroy();
  }

  private noteError(err: unknown): void {
    const message = errorMessage(err) || (err as { code?: string }).code || 'connection error';
    if (message !== this.lastError)
      this.log.warn({ err: message }, 'redis unavailable; retrying in the background');
    this.lastError = message;
  }
}
