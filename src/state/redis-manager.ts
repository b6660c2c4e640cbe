import { setTimeout as sleep } from 'node:timers/promises';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { createClient, type RedisClientType } from 'redis';
import { RtvoiceError, errorMessage } from '../errors.ts';
import type { Logger } from '../telemetry/logger.ts';
import { tracer } from '../telemetry/tracing.ts';

const MAX_RECONNECT_DELAY_MS = 5_000;

export interface RedisOptions {
  readonly url: string;
  /** A command that gets no answer within this time fails instead of hanging (also while reconnecting). */
  readonly commandTimeoutMs?: number;
  /**
   * Credentials fetched at each (re)connection, e.g. an Entra ID token for Azure Managed Redis as the
   * password with the object id as the user name. When they say when they expire, the connections
   * re-authenticate a minute before, so a long call never meets an expired token.
   */
  readonly credentials?: () => Promise<RedisCredentials>;
}

export interface RedisCredentials {
  readonly username: string;
  readonly password: string;
  /** Epoch milliseconds. */
  readonly expiresAt?: number;
}

const REAUTH_MARGIN_MS = 60_000;

export class RedisCommandError extends RtvoiceError {
  constructor(operation: string, cause: unknown) {
    super('REDIS_FAILED', `redis ${operation} failed: ${errorMessage(cause)}`, { cause });
  }
}

/**
 * The connection to Redis. It connects in the background and reconnects with backoff forever, so an
 * unreachable Redis never stops the server from starting; every command is bounded by a timeout and
 * traced as a CLIENT span (`db.system=redis`).
 */
export class RedisManager {
  readonly client: RedisClientType;
  private subscriber: RedisClientType | undefined;
  private readonly subscriptions = new Map<string, Set<(message: string) => void>>();
  private readonly commandTimeoutMs: number;
  private lastError: string | undefined;
  private readonly log: Logger;
  private readonly credentials: (() => Promise<RedisCredentials>) | undefined;
  private reauthTimer: NodeJS.Timeout | undefined;

  constructor(options: RedisOptions | string, log: Logger) {
    const { url, commandTimeoutMs, credentials } = typeof options === 'string' ? { url: options } : options;
    this.log = log.child({ component: 'redis' });
    this.credentials = credentials;
    this.commandTimeoutMs = commandTimeoutMs ?? 2_000;
    this.client = createClient({
      url,
      socket: {
        connectTimeout: 2_000,
        reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, MAX_RECONNECT_DELAY_MS),
      },
      ...(credentials
        ? {
            credentialsProvider: {
              type: 'async-credentials-provider' as const,
              credentials: async () => {
                const fresh = await credentials();
                this.scheduleReauth(fresh.expiresAt);
                return fresh;
              },
            },
          }
        : {}),
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

  get ready(): boolean {
    return this.client.isReady;
  }

  /** Resolves when Redis answers; rejects at once, with the reason, when there is no connection. */
  async ping(): Promise<void> {
    if (!this.client.isReady) throw new Error(`not connected${this.lastError ? `: ${this.lastError}` : ''}`);
    await this.run('PING', (c) => c.ping());
  }

  /** Runs one command (or a script, or a transaction) with a timeout, inside a span. */
  async run<T>(operation: string, command: (client: RedisClientType) => Promise<T>): Promise<T> {
    const span = tracer().startSpan(`Redis.${operation}`, {
      kind: SpanKind.CLIENT,
      attributes: { 'db.system': 'redis', 'db.operation': operation },
    });
    try {
      return await command(this.client.withAbortSignal(AbortSignal.timeout(this.commandTimeoutMs)));
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(err) });
      throw new RedisCommandError(operation, err);
    } finally {
      span.end();
    }
  }

  async setValue(key: string, value: string, options: { ttlSeconds?: number } = {}): Promise<void> {
    await this.run('SET', (c) =>
      options.ttlSeconds ? c.set(key, value, { EX: options.ttlSeconds }) : c.set(key, value),
    );
  }

  getValue(key: string): Promise<string | null> {
    return this.run('GET', (c) => c.get(key));
  }

  async deleteKey(key: string): Promise<void> {
    await this.run('DEL', (c) => c.del(key));
  }

  getHash(key: string): Promise<Record<string, string>> {
    return this.run('HGETALL', (c) => c.hGetAll(key));
  }

  async setHash(
    key: string,
    fields: Record<string, string>,
    options: { ttlSeconds?: number } = {},
  ): Promise<void> {
    await this.run('HSET', (c) => {
      const multi = c.multi().hSet(key, fields);
      if (options.ttlSeconds) multi.expire(key, options.ttlSeconds);
      return multi.exec();
    });
  }

  async deleteHashFields(key: string, fields: string[]): Promise<void> {
    await this.run('HDEL', (c) => c.hDel(key, fields));
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.run('PUBLISH', (c) => c.publish(channel, message));
  }

  /** Appends an entry to a stream (XADD), capped near `maxLength` entries; returns its id. */
  appendToStream(key: string, fields: Record<string, string>, maxLength = 10_000): Promise<string> {
    return this.run('XADD', (c) =>
      c.xAdd(key, '*', fields, { TRIM: { strategy: 'MAXLEN', strategyModifier: '~', threshold: maxLength } }),
    );
  }

  /** Entries after `afterId` ('0' for all), at most `count`. */
  async readStream(
    key: string,
    afterId: string,
    count = 100,
  ): Promise<{ id: string; fields: Record<string, string> }[]> {
    const entries = await this.run('XRANGE', (c) =>
      c.xRange(key, afterId === '0' ? '-' : `(${afterId}`, '+', { COUNT: count }),
    );
    return (entries ?? []).map((entry) => ({
      id: entry.id,
      fields: entry.message,
    }));
  }

  /**
   * Delivers messages published on `channel` to `listener` over a second connection (a subscribed
   * connection can run no other command). Subscriptions are restored after a reconnect.
   */
  async subscribe(channel: string, listener: (message: string) => void): Promise<() => Promise<void>> {
    const subscriber = await this.subscriberConnection();
    let listeners = this.subscriptions.get(channel);
    if (!listeners) {
      listeners = new Set();
      this.subscriptions.set(channel, listeners);
      const registered = listeners;
      await subscriber.subscribe(channel, (message) => {
        for (const deliver of registered) deliver(message);
      });
    }
    listeners.add(listener);
    return async () => {
      listeners.delete(listener);
      if (listeners.size > 0) return;
      this.subscriptions.delete(channel);
      if (subscriber.isReady) await subscriber.unsubscribe(channel);
    };
  }

  /** Re-authenticates both connections with fresh credentials before the current ones expire. */
  private scheduleReauth(expiresAt: number | undefined): void {
    clearTimeout(this.reauthTimer);
    if (expiresAt === undefined || !this.credentials) return;
    const fetchCredentials = this.credentials;
    this.reauthTimer = setTimeout(
      () => {
        void (async () => {
          try {
            const fresh = await fetchCredentials();
            for (const client of [this.client, this.subscriber]) {
              if (client?.isReady) await client.auth({ username: fresh.username, password: fresh.password });
            }
            this.scheduleReauth(fresh.expiresAt);
          } catch (err) {
            this.log.error({ err: errorMessage(err) }, 'redis re-authentication failed; retrying in 10 s');
            this.scheduleReauth(Date.now() + REAUTH_MARGIN_MS + 10_000);
          }
        })();
      },
      Math.max(0, expiresAt - Date.now() - REAUTH_MARGIN_MS),
    );
    this.reauthTimer.unref();
  }

  /** Like `subscribe`, for every channel matching a glob pattern; the listener also gets the channel. */
  async subscribePattern(
    pattern: string,
    listener: (message: string, channel: string) => void,
  ): Promise<() => Promise<void>> {
    const subscriber = await this.subscriberConnection();
    await subscriber.pSubscribe(pattern, listener);
    return async () => {
      // Bounded: a Redis that died a moment ago still looks ready, and would never answer.
      if (subscriber.isReady)
        await settlesWithin(subscriber.pUnsubscribe(pattern, listener), this.commandTimeoutMs);
    };
  }

  async close(): Promise<void> {
    clearTimeout(this.reauthTimer);
    await Promise.all(
      [this.client, this.subscriber].map((client) => closeClient(client, this.commandTimeoutMs)),
    );
  }

  private async subscriberConnection(): Promise<RedisClientType> {
    if (!this.subscriber) {
      this.subscriber = this.client.duplicate();
      this.subscriber.on('error', (err: unknown) => this.noteError(err));
      this.subscriber.connect().catch((err: unknown) => this.noteError(err));
    }
    return this.subscriber;
  }

  private noteError(err: unknown): void {
    const message = errorMessage(err) || (err as { code?: string }).code || 'connection error';
    if (message !== this.lastError)
      this.log.warn({ err: message }, 'redis unavailable; retrying in the background');
    this.lastError = message;
  }
}

/** Lets pending commands finish, but not for longer than `graceMs` (see `subscribePattern`). */
async function closeClient(client: RedisClientType | undefined, graceMs: number): Promise<void> {
  if (!client) return;
  if (client.isReady && (await settlesWithin(client.close(), graceMs))) return;
  if (client.isOpen) client.destroy();
}

/** Whether `promise` fulfilled within `ms`; a rejection or a timeout is false. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const fulfilled = promise.then(
    () => true,
    () => false,
  );
  return Promise.race([fulfilled, sleep(ms, false, { ref: false })]);
}
