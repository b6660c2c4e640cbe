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

/** A key goes as Azure's `api-key` header on Azure hosts and as a bearer token elsewhere. */
async function authHeaders(
  config: VoiceLiveConfig,
  url: URL,
  entraToken: (() => Promise<string>) | undefined,
): Promise<Record<string, string>> {
  if (config.auth === 'key' && config.apiKey !== undefined)
    return url.hostname.endsWith('.azure.com')
      ? { 'api-key': config.apiKey }
      : { authorization: `Bearer ${config.apiKey}` };
  if (config.auth === 'entra') {
    if (!entraToken) throw new Error('no Entra ID credential to reach the service without a key');
    return { authorization: `Bearer ${await entraToken()}` };
  }
  return {};
}

/**
 * One session with a realtime speech-to-speech service (reference/PROTOCOLS.md §5): the socket, its
 * authentication (a key, or an Entra ID token), client events out, and
 * server events in, with the preview dialect's output events renamed to GA's so one handler reads both.
 */
export class RealtimeService {
  readonly dialect: VoiceLiveConfig['dialect'];
  /** Resolves when the socket closes, whoever closed it. */
  readonly closed: Promise<void>;
  /** When the session opened (performance.now()): its age decides its rollover. */
  readonly openedAt = performance.now();
  private readonly socket: WebSocket;

  private constructor(socket: WebSocket, dialect: VoiceLiveConfig['dialect']) {
    this.socket = socket;
    this.dialect = dialect;
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  /**
   * Opens a session. `entraToken` gives the bearer token when the config says Entra ID (keyless Azure
   * access); the token is fetched for each connection, so a session never starts with an expired one.
   */
  static async connect(
    config: VoiceLiveConfig,
    signal: AbortSignal,
    entraToken?: () => Promise<string>,
  ): Promise<RealtimeService> {
    const url = new URL(config.url);
    let socket: WebSocket | undefined;
    try {
      const headers = await authHeaders(config, url, entraToken);
      socket = new WebSocket(url, { headers, maxPayload: 16 * 1024 * 1024 });
      await Promise.race([
        once(socket, 'open', { signal }),
        once(socket, 'unexpected-response', { signal }).then(([, response]) => {
          throw new Error(`HTTP ${(response as { statusCode?: number }).statusCode ?? '?'}`);
        }),
      ]);
    } catch (err) {
      socket?.terminate();
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
