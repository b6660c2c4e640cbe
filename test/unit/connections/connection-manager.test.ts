import { EventEmitter } from 'node:events';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { ConnectionManager } from '../../../src/connections/connection-manager.ts';

/** A socket whose send buffer the test controls: `backedUp` makes it report a full buffer. */
class FakeSocket extends EventEmitter {
  readonly readyState = 1; // OPEN
  backedUp = false;
  readonly sent: string[] = [];
  private readonly pending: (() => void)[] = [];
  get bufferedAmount(): number {
    return this.backedUp ? 1 << 20 : 0;
  }
  send(data: string, callback?: () => void): void {
    this.sent.push(data);
    if (callback) this.pending.push(callback);
  }
  /** The network took the data: run the send callbacks. */
  flush(): void {
    for (const callback of this.pending.splice(0)) callback();
  }
  ping(): void {}
  terminate(): void {}
  close(): void {}
}

const manager = (queueSize = 3) =>
  new ConnectionManager({ maxConnections: 10, queueSize, pingIntervalMs: 0 }, new Registry());
const asWs = (socket: FakeSocket) => socket as unknown as WebSocket;

describe('ConnectionManager send queues', () => {
  it('keeps a slow dashboard to its newest messages, dropping the oldest, and resumes in order', () => {
    const connections = manager(3);
    const slow = new FakeSocket();
    const fast = new FakeSocket();
    connections.register(asWs(slow), { clientType: 'dashboard', route: '/t', sessionId: 's' });
    connections.register(asWs(fast), { clientType: 'dashboard', route: '/t', sessionId: 's' });
    slow.backedUp = true;
    for (let n = 0; n < 10; n += 1) connections.deliver({ kind: 'session', key: 's' }, { n });
    expect(fast.sent).toHaveLength(10); // one slow client does not hold the others back
    expect(slow.sent).toEqual([]);
    slow.backedUp = false;
    connections.deliver({ kind: 'session', key: 's' }, { n: 10 }); // the next message finds the socket writable
    expect(slow.sent.map((m) => (JSON.parse(m) as { n: number }).n)).toEqual([8, 9, 10]);
  });

  it('never queues or drops media: audio goes straight to the socket', () => {
    const connections = manager(1);
    const media = new FakeSocket();
    media.backedUp = true;
    connections.register(asWs(media), { clientType: 'media', route: '/t', callId: 'c' });
    for (let n = 0; n < 5; n += 1) connections.deliver({ kind: 'call', key: 'c' }, { n });
    expect(media.sent).toHaveLength(5);
  });

  it('sends what waited once the socket drains', () => {
    const connections = manager(10);
    const socket = new FakeSocket();
    connections.register(asWs(socket), { clientType: 'dashboard', route: '/t', sessionId: 's' });
    connections.deliver({ kind: 'session', key: 's' }, { n: 0 });
    socket.backedUp = true;
    connections.deliver({ kind: 'session', key: 's' }, { n: 1 });
    connections.deliver({ kind: 'session', key: 's' }, { n: 2 });
    expect(socket.sent).toHaveLength(1);
    socket.backedUp = false;
    socket.flush(); // the first send completed: its callback sends what waited
    expect(socket.sent.map((m) => (JSON.parse(m) as { n: number }).n)).toEqual([0, 1, 2]);
  });

  it('refuses an unscoped broadcast and cleans every index on unregister', () => {
    const connections = manager();
    expect(() => connections.deliver({ kind: 'session', key: '' }, {})).toThrow(/needs a session id/);
    let stopped = 0;
    const id = connections.register(asWs(new FakeSocket()), {
      clientType: 'conversation',
      route: '/t',
      sessionId: 's',
      callId: 'c',
      topics: ['dashboard'],
      stop: () => (stopped += 1),
    });
    expect(connections.stats()).toMatchObject({ total: 1, sessions: 1, calls: 1, topics: 1 });
    connections.unregister(id);
    connections.unregister(id);
    expect(connections.stats()).toMatchObject({ total: 0, sessions: 0, calls: 0, topics: 0 });
    expect(stopped).toBe(1);
  });
});
