import { RtvoiceError } from '../errors.ts';
import type { LlmClient } from './types.ts';

export interface LlmClientStats {
  name: string;
  sessions: number;
}

/**
 * Spreads sessions over several LLM clients (deployments, regions), like the seed's AOAIClientPool: a
 * session is pinned to the client with the fewest pinned sessions (ties go to the earlier client) and keeps
 * it until released, so one conversation stays on one deployment and its prompt cache.
 */
export class LlmClientPool {
  private readonly clients: readonly LlmClient[];
  private readonly load: number[];
  /** session id → index in `clients`. */
  private readonly pins = new Map<string, number>();

  constructor(clients: readonly LlmClient[]) {
    if (clients.length === 0)
      throw new RtvoiceError('LLM_POOL_EMPTY', 'An LlmClientPool needs at least one client');
    this.clients = [...clients];
    this.load = clients.map(() => 0);
  }

  clientFor(sessionId: string): LlmClient {
    let index = this.pins.get(sessionId);
    if (index === undefined) {
      index = 0;
      for (let i = 1; i < this.load.length; i++) if (this.load[i]! < this.load[index]!) index = i;
      this.pins.set(sessionId, index);
      this.load[index]! += 1;
    }
    return this.clients[index]!;
  }

  /** Unpins the session; unknown or already released sessions are ignored. */
  release(sessionId: string): void {
    const index = this.pins.get(sessionId);
    if (index === undefined) return;
    this.pins.delete(sessionId);
    this.load[index]! -= 1;
  }

  get size(): number {
    return this.clients.length;
  }

  stats(): LlmClientStats[] {
    return this.clients.map((client, i) => ({ name: client.name, sessions: this.load[i]! }));
  }
}
