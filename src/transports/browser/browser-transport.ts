import type { WebSocket } from 'ws';
import type { Pcm16 } from '../../audio/pcm.ts';
import type { Bus } from '../../connections/bus.ts';
import type { Envelope } from '../../connections/envelope.ts';
import { encodeBrowserAudio } from './browser-codec.ts';
import type { MediaTransport } from '../transport.ts';

/**
 * A browser page: binary PCM16 frames at the rate it asked for, `audio_stop` control messages, and
 * envelopes through the bus (the page's socket is one of its session's audience). The page's `played`
 * marks say how much agent audio it has really played.
 */
export class BrowserTransport implements MediaTransport {
  readonly name = 'browser';
  outputRate = 16000;
  private readonly socket: WebSocket;
  private readonly bus: Bus;
  private mark: { untilMs: number; at: number } | undefined;

  constructor(socket: WebSocket, bus: Bus) {
    this.socket = socket;
    this.bus = bus;
  }

  sendAudio(frame: Pcm16): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(encodeBrowserAudio(frame));
  }

  /** Tells the page to flush; `until_ms` is where its played counter continues from. */
  stopAudio(position: number): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    this.socket.send(`{"type":"control","action":"audio_stop","until_ms":${Math.round(position)}}`);
    this.mark = { untilMs: position, at: performance.now() };
  }

  publish(message: Envelope): void {
    this.bus.publish(message);
  }

  played(untilMs: number): void {
    this.mark = { untilMs, at: performance.now() };
  }

  /** The last mark, advanced by the time since (the page kept playing); the pacer caps it by what was sent. */
  confirmedPlayedMs(): number | undefined {
    return this.mark && this.mark.untilMs + (performance.now() - this.mark.at);
  }

  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }
}
