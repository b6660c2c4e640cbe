import { once } from 'node:events';
import { WebSocket } from 'ws';
import type { VoiceLiveConfig } from '../../config/config.ts';
import { errorMessage } from '../../errors.ts';

export type ServiceEvent = { readonly type: string } & Readonly<Record<string, unknown>>;

/** The preview dialect's (Voice Live's) names of the output events, as GA names them. */
const GA_NAMES: Readonly<Record<string, string>> = {
  'response.audio.delta': 'response.output_audio.delta',
  'response.audio.done': 'response.output_audio.done',
  'response.audio_transcript.delta': 'response.output_audio_transcript.delta',
  'response.audio_transcript.done': 'response.output_audio_transcript.done',
  'response.text.delta': 'response.output_text.delta',
  'response.text.done': 'response.output_text.done',
};

/**
 * One session with a realtime speech-to-speech service (reference/PROTOCOLS.md §5): the socket, its
 * authentication (an `api-key` header for Azure hosts, a bearer token elsewhere), client events out, and
 * server events in, with the preview dialect's output events renamed to GA's so one handler reads both.
 */
export class RealtimeService {
  readonly dialect: VoiceLiveConfig['dialect'];
  /** Resolves when the socket closes, whoever closed it. */
  readonly closed: Promise<void>;
  private readonly socket: WebSocket;

  private constructor(socket: WebSocket, dialect: VoiceLiveConfig['dialect']) {
    this.socket = socket;
    this.dialect = dialect;
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static async connect(config: VoiceLiveConfig, signal: AbortSignal): Promise<RealtimeService> {
    const url = new URL(config.url);
    const headers: Record<string, string> = {};
    if (config.apiKey !== undefined) {
      if (url.hostname.endsWith('.azure.com')) headers['api-key'] = config.apiKey;
      else headers['authorization'] = `Bearer ${config.apiKey}`;
    }
    const socket = new WebSocket(url, { headers, maxPayload: 16 * 1024 * 1024 });
    try {
      await Promise.race([
        once(socket, 'open', { signal }),
        once(socket, 'unexpected-response', { signal }).then(([, response]) => {
          throw new Error(`HTTP ${(response as { statusCode?: number }).statusCode ?? '?'}`);
        }),
      ]);
    } catch (err) {
      socket.terminate();
      throw new Error(`the realtime service at ${url.host} refused the session: ${errorMessage(err)}`, {
        cause: err,
      });
    }
    return new RealtimeService(socket, config.dialect);
  }

  get open(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /** Server events as they come (GA names); `closed` when the service ends the session. */
  listen(onEvent: (event: ServiceEvent) => void, closed: (code: number, reason: string) => void): void {
    this.socket.on('message', (data: Buffer) => {
      let event: ServiceEvent;
      try {
        event = JSON.parse(data.toString('utf8')) as ServiceEvent;
      } catch {
        return;
      }
      if (typeof event.type !== 'string') return;
      onEvent(GA_NAMES[event.type] ? { ...event, type: GA_NAMES[event.type]! } : event);
    });
    this.socket.once('close', (code, reason) => closed(code, reason.toString()));
  }

  send(event: Record<string, unknown> & { type: string }): void {
    if (this.open) this.socket.send(JSON.stringify(event));
  }

  close(): void {
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING)
      this.socket.close(1000, 'call ended');
  }
}
