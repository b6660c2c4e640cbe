import type { WebSocket } from 'ws';
import { CALL_CLOSE } from './close-codes.ts';

/** Messages that may arrive while the call is being set up (session loading); more is abuse. */
const MAX_EARLY_MESSAGES = 500;

/**
 * Holds a socket's messages from its first moment until the call is ready for them: Fastify hands the
 * socket over before the session is loaded, and a message with no listener would be lost.
 */
export class Inbox {
  private readonly socket: WebSocket;
  private early: [Buffer, boolean][] | undefined = [];
  private dispatch: ((data: Buffer, isBinary: boolean) => void) | undefined;

  constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      if (this.dispatch) this.dispatch(data, isBinary);
      else if (this.early && this.early.push([data, isBinary]) > MAX_EARLY_MESSAGES) {
        this.early = undefined;
        socket.close(CALL_CLOSE.policy, 'too many messages before the call was set up');
      }
    });
  }

  /** From now on messages go to `dispatch`, the held ones first, in arrival order. */
  open(dispatch: (data: Buffer, isBinary: boolean) => void): void {
    for (const [data, isBinary] of this.early?.splice(0) ?? []) dispatch(data, isBinary);
    this.dispatch = dispatch;
  }

  get closed(): boolean {
    return this.socket.readyState === this.socket.CLOSED || this.socket.readyState === this.socket.CLOSING;
  }
}
