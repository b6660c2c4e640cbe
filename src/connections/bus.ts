import { randomUUID } from 'node:crypto';
import { errorMessage } from '../errors.ts';
import type { RedisManager } from '../state/redis-manager.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { Audience, ConnectionManager } from './connection-manager.ts';
import type { Envelope } from './envelope.ts';

const CHANNEL_PREFIX = 'rtvoice:';
/** The topic of dashboards that watch every session's status and metrics. */
export const OVERVIEW_TOPIC = 'overview';

interface BusMessage {
  readonly origin: string;
  readonly message: unknown;
}

/**
 * Broadcasts that reach every instance: each one is delivered to this instance's connections and
 * published on Redis (`rtvoice:session:{id}`, `rtvoice:call:{id}`, `rtvoice:topic:{name}`) with this
 * instance's id; the other instances deliver it to theirs and ignore their own echoes. With no Redis it
 * is in-process delivery alone.
 */
export class Bus {
  readonly instanceId = randomUUID();
  private readonly connections: ConnectionManager;
  private readonly redis: RedisManager | undefined;
  private readonly log: Logger;
  private unsubscribe: (() => Promise<void>) | undefined;

  constructor(connections: ConnectionManager, redis: RedisManager | undefined, log: Logger) {
    this.connections = connections;
    this.redis = redis;
    this.log = log.child({ component: 'bus' });
  }

  /** Listens for the other instances' broadcasts (node-redis resubscribes after a reconnect). */
  async start(): Promise<void> {
    if (!this.redis || this.unsubscribe) return;
    this.unsubscribe = await this.redis.subscribePattern(`${CHANNEL_PREFIX}*`, (raw, channel) =>
      this.receive(raw, channel),
    );
  }

  async stop(): Promise<void> {
    await this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** To every connection of the session, on every instance. A session id is required: never unscoped. */
  broadcastSession(sessionId: string, message: unknown): void {
    this.broadcast({ kind: 'session', key: sessionId }, message);
  }

  broadcastCall(callId: string, message: unknown): void {
    this.broadcast({ kind: 'call', key: callId }, message);
  }

  broadcastTopic(topic: string, message: unknown): void {
    this.broadcast({ kind: 'topic', key: topic }, message);
  }

  /** An envelope to its session; status and metrics envelopes also feed the all-sessions overview. */
  publish(message: Envelope): void {
    this.broadcastSession(message.session_id, message);
    if (message.type === 'status' || message.type === 'metrics') this.broadcastTopic(OVERVIEW_TOPIC, message);
  }

  broadcast(audience: Audience, message: unknown): void {
    // Serialised once: the same text goes to local sockets and, wrapped with our id, to Redis.
    const data = typeof message === 'string' ? message : JSON.stringify(message);
    this.connections.deliver(audience, data);
    if (!this.redis) return;
    // A string is already the text to send: it travels as a JSON string; an object as the JSON itself.
    const payload = typeof message === 'string' ? JSON.stringify(message) : data;
    const body = `{"origin":${JSON.stringify(this.instanceId)},"message":${payload}}`;
    this.redis.publish(`${CHANNEL_PREFIX}${audience.kind}:${audience.key}`, body).catch((err: unknown) => {
      this.log.warn(
        { err: errorMessage(err), audience: audience.kind },
        'broadcast not published to other instances',
      );
    });
  }

  private receive(raw: string, channel: string): void {
    const [kind, ...rest] = channel.slice(CHANNEL_PREFIX.length).split(':');
    if (kind !== 'session' && kind !== 'call' && kind !== 'topic') return;
    try {
      const body = JSON.parse(raw) as BusMessage;
      if (body.origin === this.instanceId) return;
      this.connections.deliver({ kind, key: rest.join(':') }, body.message);
    } catch (err) {
      this.log.warn({ channel, err: errorMessage(err) }, 'ignored a malformed bus message');
    }
  }
}
