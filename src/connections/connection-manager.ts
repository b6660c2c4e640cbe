import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { WebSocket } from 'ws';
import { RtvoiceError } from '../errors.ts';

export type ClientType = 'media' | 'dashboard' | 'conversation' | 'test';

export interface ConnectionInfo {
  readonly clientType: ClientType;
  readonly route: string;
  readonly sessionId?: string | undefined;
  readonly callId?: string | undefined;
  readonly userId?: string | undefined;
  readonly topics?: readonly string[];
  /** Stops whatever serves the connection (a call handler); run once when it is unregistered. */
  readonly stop?: () => void;
}

/** Where a broadcast goes: every connection of a session, of a call, or subscribed to a topic. */
export type Audience = { readonly kind: 'session' | 'call' | 'topic'; readonly key: string };

export interface ConnectionLimits {
  readonly maxConnections: number;
  /** Messages waiting for one slow non-media client; past it the oldest are dropped. */
  readonly queueSize: number;
  readonly pingIntervalMs: number;
}

/** Close code and reason sent to sessions still open when the shutdown grace period ends. */
export const SHUTDOWN_CLOSE = { code: 1001, reason: 'server shutting down' } as const;
/** A connection that answered no ping twice in a row. */
export const HEARTBEAT_CLOSE = { code: 1001, reason: 'no answer to ping' } as const;

/** Bytes the socket may hold unsent before messages wait in the connection's own queue instead. */
const HIGH_WATER_BYTES = 64 * 1024;

class Connection {
  readonly id: string;
  readonly ws: WebSocket;
  readonly info: ConnectionInfo;
  missedPongs = 0;
  private readonly queue: string[] = [];
  private readonly queueSize: number;
  private readonly onDrop: () => void;

  constructor(id: string, ws: WebSocket, info: ConnectionInfo, queueSize: number, onDrop: () => void) {
    this.id = id;
    this.ws = ws;
    this.info = info;
    this.queueSize = queueSize;
    this.onDrop = onDrop;
  }

  /**
   * Media goes straight to the socket (never dropped). Everything else waits in a bounded queue while the
   * socket is backed up, dropping the oldest: a slow dashboard never slows a call.
   */
  send(data: string): boolean {
    if (this.ws.readyState !== WebSocket.OPEN) return false;
    if (this.info.clientType === 'media') {
      this.ws.send(data);
      return true;
    }
    this.queue.push(data);
    if (this.queue.length > this.queueSize) {
      this.queue.shift();
      this.onDrop();
    }
    this.drain();
    return true;
  }

  private drain(): void {
    while (
      this.queue.length > 0 &&
      this.ws.readyState === WebSocket.OPEN &&
      this.ws.bufferedAmount < HIGH_WATER_BYTES
    ) {
      // The callback runs once the data left for the network: a good moment to send more.
      this.ws.send(this.queue.shift()!, () => this.drain());
    }
  }
}

/**
 * Every open WebSocket of this instance, indexed by session, call and topic, with bounded send queues,
 * heartbeats and a connection limit. Broadcasts reach this instance's connections; the Bus carries them
 * to the other instances.
 */
export class ConnectionManager {
  private readonly connections = new Map<string, Connection>();
  private readonly indexes = {
    session: new Map<string, Set<string>>(),
    call: new Map<string, Set<string>>(),
    topic: new Map<string, Set<string>>(),
  };
  private readonly emptied = new Set<() => void>();
  private readonly limits: ConnectionLimits;
  private heartbeat: NodeJS.Timeout | undefined;
  private draining = false;
  private readonly metrics: {
    sent: Counter<'audience'>;
    dropped: Counter;
    refused: Counter;
    reaped: Counter;
    fanout: Histogram<'audience'>;
  };

  constructor(limits: ConnectionLimits, registry: Registry) {
    this.limits = limits;
    const registers = [registry];
    const connections = this.connections;
    new Gauge({
      name: 'rtvoice_connections',
      help: 'Open WebSocket connections by client type.',
      labelNames: ['client_type'],
      registers,
      collect() {
        this.reset();
        for (const { info } of connections.values()) this.inc({ client_type: info.clientType });
      },
    });
    this.metrics = {
      sent: new Counter({
        name: 'rtvoice_messages_sent_total',
        help: 'Messages delivered to local connections, by audience.',
        labelNames: ['audience'],
        registers,
      }),
      dropped: new Counter({
        name: 'rtvoice_dropped_messages_total',
        help: 'Messages dropped from the queue of a slow non-media client.',
        registers,
      }),
      refused: new Counter({
        name: 'rtvoice_connections_refused_total',
        help: 'WebSocket upgrades refused at MAX_CONNECTIONS.',
        registers,
      }),
      reaped: new Counter({
        name: 'rtvoice_connections_reaped_total',
        help: 'Connections closed after missing two pings.',
        registers,
      }),
      fanout: new Histogram({
        name: 'rtvoice_broadcast_fanout_seconds',
        help: 'Time to hand one broadcast to every local connection of its audience.',
        labelNames: ['audience'],
        buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05],
        registers,
      }),
    };
  }

  /** True once shutdown began: no new connection is admitted. */
  get isDraining(): boolean {
    return this.draining;
  }

  /** False at MAX_CONNECTIONS or while draining: the upgrade is refused before any socket is accepted. */
  admit(): boolean {
    if (this.draining) return false;
    if (this.connections.size < this.limits.maxConnections) return true;
    this.metrics.refused.inc();
    return false;
  }

  /** Tracks `ws` until it closes; returns its connection id. */
  register(ws: WebSocket, info: ConnectionInfo): string {
    const id = randomUUID();
    const connection = new Connection(id, ws, info, this.limits.queueSize, () => this.metrics.dropped.inc());
    this.connections.set(id, connection);
    for (const { kind, key } of audiences(info)) addTo(this.indexes[kind], key, id);
    ws.on('pong', () => (connection.missedPongs = 0));
    ws.once('close', () => this.unregister(id));
    this.startHeartbeat();
    return id;
  }

  /** Removes the connection from every index and stops its handler. */
  unregister(id: string): void {
    const connection = this.connections.get(id);
    if (!connection) return;
    this.connections.delete(id);
    for (const { kind, key } of audiences(connection.info)) removeFrom(this.indexes[kind], key, id);
    connection.info.stop?.();
    for (const notify of this.emptied) notify();
  }

  sendTo(id: string, message: unknown): boolean {
    return this.connections.get(id)?.send(encode(message)) ?? false;
  }

  /** Delivers to this instance's connections of the audience; returns how many got it. */
  deliver(audience: Audience, message: unknown): number {
    if (!audience.key)
      throw new RtvoiceError(
        'UNSCOPED_BROADCAST',
        `a ${audience.kind} broadcast needs a ${audience.kind} id`,
      );
    const started = performance.now();
    const data = encode(message);
    let delivered = 0;
    for (const id of this.indexes[audience.kind].get(audience.key) ?? []) {
      if (this.connections.get(id)?.send(data)) delivered += 1;
    }
    this.metrics.sent.inc({ audience: audience.kind }, delivered);
    this.metrics.fanout.observe({ audience: audience.kind }, (performance.now() - started) / 1000);
    return delivered;
  }

  get size(): number {
    return this.connections.size;
  }

  stats(): {
    total: number;
    byClientType: Partial<Record<ClientType, number>>;
    sessions: number;
    calls: number;
    topics: number;
  } {
    const byClientType: Partial<Record<ClientType, number>> = {};
    for (const { info } of this.connections.values())
      byClientType[info.clientType] = (byClientType[info.clientType] ?? 0) + 1;
    return {
      total: this.connections.size,
      byClientType,
      sessions: this.indexes.session.size,
      calls: this.indexes.call.size,
      topics: this.indexes.topic.size,
    };
  }

  /** Counts connections that belong to a session (a call or a browser conversation), not observers. */
  activeSessions(): number {
    let sessions = 0;
    for (const { info } of this.connections.values()) if (info.clientType !== 'dashboard') sessions += 1;
    return sessions;
  }

  /**
   * Refuses new connections, lets sessions (calls, browser conversations) finish for up to `graceMs`, then
   * closes everything left with 1001, observers such as dashboards included. Resolves once every
   * connection is gone (or a short while after the close frames were sent, for peers that never answer).
   */
  async drain(graceMs: number): Promise<{ closedByServer: number }> {
    this.draining = true;
    await this.whenNoSessions(graceMs);
    const remaining = [...this.connections.values()];
    for (const { ws } of remaining) ws.close(SHUTDOWN_CLOSE.code, SHUTDOWN_CLOSE.reason);
    await this.whenNoSessions(1_000, true);
    for (const { ws } of this.connections.values()) ws.terminate();
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    return { closedByServer: remaining.length };
  }

  /** Pings every connection each interval; one that missed two pongs is closed and unregistered. */
  private startHeartbeat(): void {
    if (this.heartbeat || this.limits.pingIntervalMs <= 0) return;
    this.heartbeat = setInterval(() => {
      for (const connection of this.connections.values()) {
        if (connection.missedPongs >= 2) {
          this.metrics.reaped.inc();
          connection.ws.terminate();
          this.unregister(connection.id);
          continue;
        }
        connection.missedPongs += 1;
        if (connection.ws.readyState === WebSocket.OPEN) connection.ws.ping();
      }
    }, this.limits.pingIntervalMs).unref();
  }

  /** Resolves when no session connection is left (no connection at all with `all`), or at the timeout. */
  private async whenNoSessions(timeoutMs: number, all = false): Promise<void> {
    const done = () => (all ? this.connections.size === 0 : this.activeSessions() === 0);
    if (done()) return;
    const abort = new AbortController();
    const empty = new Promise<void>((resolve) => {
      const notify = () => {
        if (!done() && !abort.signal.aborted) return;
        this.emptied.delete(notify);
        resolve();
      };
      this.emptied.add(notify);
      abort.signal.addEventListener('abort', notify);
    });
    await Promise.race([empty, sleep(timeoutMs, undefined, { signal: abort.signal }).catch(() => undefined)]);
    abort.abort();
  }
}

function audiences(info: ConnectionInfo): Audience[] {
  return [
    ...(info.sessionId ? [{ kind: 'session' as const, key: info.sessionId }] : []),
    ...(info.callId ? [{ kind: 'call' as const, key: info.callId }] : []),
    ...(info.topics ?? []).map((topic) => ({ kind: 'topic' as const, key: topic })),
  ];
}

function addTo(index: Map<string, Set<string>>, key: string, id: string): void {
  let ids = index.get(key);
  if (!ids) index.set(key, (ids = new Set()));
  ids.add(id);
}

function removeFrom(index: Map<string, Set<string>>, key: string, id: string): void {
  const ids = index.get(key);
  if (!ids) return;
  ids.delete(id);
  if (ids.size === 0) index.delete(key);
}

const encode = (message: unknown): string =>
  typeof message === 'string' ? message : JSON.stringify(message);
