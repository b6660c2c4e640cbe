import type { WebSocket } from 'ws';
import type { Pcm16 } from '../../audio/pcm.ts';
import type { Envelope } from '../../connections/envelope.ts';
import { PIPELINE_SAMPLE_RATE } from '../../speech/types.ts';
import { CALL_ROUTES } from '../routes.ts';
import { single } from '../single.ts';
import type { CallHandler, Transport, TransportKind, TransportOutlet } from '../transport.ts';
import {
  BrowserParseError,
  DEFAULT_BROWSER_SAMPLE_RATE,
  encodeBrowserAudio,
  parseBrowserBinary,
  parseBrowserText,
} from './browser-codec.ts';

/**
 * A browser page. In: `start` first (the rate the page wants agent audio at), then binary 16 kHz PCM16 mic
 * frames, and JSON `played` marks, typed text and keypad digits. Out: binary PCM16 frames at the page's
 * rate, `audio_stop` control messages, and envelopes through the bus (the page's socket is one of its
 * session's audience). The `played` marks say how much agent audio the page really played.
 */
export class BrowserTransport implements Transport {
  readonly name = 'browser';
  readonly capabilities = { confirmsPlayback: true };
  outputRate: number = DEFAULT_BROWSER_SAMPLE_RATE;
  private started = false;
  private mark: { untilMs: number; at: number } | undefined;
  private readonly socket: WebSocket;
  private readonly outlet: TransportOutlet;

  constructor(socket: WebSocket, outlet: TransportOutlet) {
    this.socket = socket;
    this.outlet = outlet;
  }

  receive(handler: CallHandler, data: Buffer, isBinary: boolean): void {
    const { outlet } = this;
    if (isBinary) {
      const samples = parseBrowserBinary(data);
      if (samples instanceof BrowserParseError) return outlet.bad(samples.reason, samples.message);
      if (!this.started) return outlet.bad('audio_before_start', 'audio before the start message');
      outlet.good();
      return handler.audio(samples);
    }
    const message = parseBrowserText(data.toString('utf8'));
    if (message instanceof BrowserParseError) return outlet.bad(message.reason, message.message);
    outlet.good();
    switch (message.type) {
      case 'start':
        if (this.started) return;
        this.started = true;
        this.outputRate = message.sample_rate;
        return void handler.start(PIPELINE_SAMPLE_RATE);
      case 'played':
        this.mark = { untilMs: message.until_ms, at: performance.now() };
        return handler.played(message.until_ms);
      case 'user_text':
        return handler.text(message.text);
      case 'dtmf':
        return handler.dtmf(message.digits);
    }
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
    this.outlet.publish(message);
  }

  /** The last mark, advanced by the time since (the page kept playing); the pacer caps it by what was sent. */
  confirmedPlayedMs(): number | undefined {
    return this.mark && this.mark.untilMs + (performance.now() - this.mark.at);
  }

  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }
}

/** Browser calls: the session id in the query; the page's socket also gets its session's envelopes. */
export const BROWSER: TransportKind<BrowserTransport> = {
  name: 'browser',
  route: CALL_ROUTES.browser,
  ids: ({ query }) => ({ sessionId: single(query['session_id']) }),
  connection: ({ sessionId }) => ({ clientType: 'conversation', route: CALL_ROUTES.browser, sessionId }),
  open: (socket, outlet) => new BrowserTransport(socket, outlet),
};
