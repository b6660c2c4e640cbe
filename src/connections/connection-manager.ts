import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WebSocket } from 'ws';

export type ClientType = 'media' | 'dashboard' | 'conversation' | 'test';

export interface ConnectionInfo {
  readonly clientType: ClientType;
  readonly route: string;
  readonly sessionId?: string | undefined;
  readonly callId?: string | undefined;
}

interface Connection {
  readonly ws: WebSocket;
  readonly info: ConnectionInfo;
}

/** Close code and reason sent to sessions still open when the shutdown grace period ends. */
export const SHUTDOWN_CLOSE = { code: 1001, reason: 'server shutting down' } as const;

/** Every open WebSocket of this instance, with what it is for. */
export class ConnectionManager {
  private readonly connections = new Map<string, Connection>();
  private readonly emptied = new Set<() => void>();

  /** Tracks `ws` until it closes; returns its connection id. */
  register(ws: WebSocket, info: ConnectionInfo): string {
    const id = randomUUID();
    this.connections.set(id, { ws, info });
    ws.once('close', () => this.unregister(id));
    return id;
  }

  unregister(id: string): void {
    if (!this.connections.delete(id) || this.connections.size > 0) return;
    for (const notify of this.emptied) notify();
  }

  get size(): number {
    return this.connections.size;
  }

  stats(): { total: number; byClientType: Partial<Record<ClientType, number>> } {
    const byClientType: Partial<Record<ClientType, number>> = {};
    for (const { info } of this.connections.values()) {
      byClientType[info.clientType] = (byClientType[info.clientType] ?? 0) + 1;
    }
    return { total: this.connections.size, byClientType };
  }

  /** Counts connections that belong to a session (a call or a browser conversation), not observers. */
  activeSessions(): number {
    let sessions = 0;
    for (const { info } of this.connections.values()) if (info.clientType !== 'dashboard') sessions += 1;
    return sessions;
  }

  /**
   * Lets open connections finish for up to `graceMs`, then closes the rest with 1001. Resolves once every
   * connection is gone (or a short while after the close frames were sent, for peers that never answer).
   */
  async drain(graceMs: number): Promise<{ closedByServer: number }> {
    await this.whenEmpty(graceMs);
    const remaining = [...this.connections.values()];
    for (const { ws } of remaining) ws.close(SHUTDOWN_CLOSE.code, SHUTDOWN_CLOSE.reason);
    await this.whenEmpty(1_000);
    for (const { ws } of this.connections.values()) ws.terminate();
    return { closedByServer: remaining.length };
  }

  private async whenEmpty(timeoutMs: number): Promise<void> {
    if (this.connections.size === 0) return;
    const abort = new AbortController();
    const empty = new Promise<void>((resolve) => {
      const notify = () => {
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
