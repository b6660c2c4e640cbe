import type { WebSocket } from 'ws';
import type { Pcm16 } from '../audio/pcm.ts';
import type { ConnectionInfo } from '../connections/connection-manager.ts';
import type { Envelope } from '../connections/envelope.ts';

/** What a transport feeds a call: the inputs every streaming mode's handler takes. */
export interface CallHandler {
  /** The caller's audio format is known (ACS AudioMetadata, browser `start`): the call begins. */
  start(inputRate: number): Promise<void>;
  /** Caller audio, in arrival order. */
  audio(samples: Pcm16): void;
  dtmf(digits: string): void;
  /** Typed input (browser). */
  text(text: string): void;
  /** The far end played agent audio up to this output-stream position. */
  played(untilMs: number): void;
  /** The call is ended from outside (the API): say `message`, then end the call. */
  farewell(message: string): void;
  /** The socket closed or the server stops: release everything. Safe to call more than once. */
  close(reason: string): Promise<void>;
}

/** What a wire protocol can do, for handlers to ask instead of checking its name. */
export interface TransportCapabilities {
  /** The far end confirms what it played (browser `played` marks); without it the pacer's clock decides. */
  readonly confirmsPlayback: boolean;
}

/**
 * One call's wire protocol, both ways: it parses what the far end sends and hands it to the call's handler
 * (`receive`), and sends what the call says (`sendAudio`, `stopAudio`, `publish`).
 */
export interface Transport {
  readonly name: 'acs' | 'browser';
  readonly capabilities: TransportCapabilities;
  /** The rate agent audio is sent at: the call's (ACS), or what the page asked for (browser). */
  readonly outputRate: number;
  /** One message from the socket: parsed, then given to `handler`, or counted as bad. */
  receive(handler: CallHandler, data: Buffer, isBinary: boolean): void;
  /** One 20 ms frame of agent audio. */
  sendAudio(frame: Pcm16): void;
  /** Flushes the far end's playback queue; `position` is the output-stream milliseconds sent so far. */
  stopAudio(position: number): void;
  /** An envelope for the session's watchers (and a browser page itself). */
  publish(message: Envelope): void;
  /**
   * Output-stream milliseconds the far end has confirmed playing, extrapolated to now; undefined when it
   * confirms nothing (`confirmsPlayback` false).
   */
  confirmedPlayedMs(): number | undefined;
  /** Ends the call from our side. */
  close(code: number, reason: string): void;
}

/** The ids a call connection asks for, from its query and headers. */
export interface RequestedIds {
  readonly callId?: string | undefined;
  readonly sessionId?: string | undefined;
}

/** What the route needs of an upgrade request: its query and headers. */
export interface UpgradeRequest {
  readonly query: Record<string, unknown>;
  readonly headers: Record<string, string | string[] | undefined>;
}

/** A wire protocol as the server offers it: its route, the ids it carries, and how a call on it starts. */
export interface TransportKind<T extends Transport = Transport> {
  readonly name: Transport['name'];
  readonly route: string;
  ids(request: UpgradeRequest): RequestedIds;
  /** How the connection is registered (who gets envelopes through it). */
  connection(ids: { callId: string | undefined; sessionId: string }): ConnectionInfo;
  open(socket: WebSocket, outlet: TransportOutlet): T;
}

/** Where a transport sends what is not audio, and reports messages it could not read. */
export interface TransportOutlet {
  publish(message: Envelope): void;
  /** A message that does not follow the protocol: `reason` is a short label, `detail` for a person. */
  bad(reason: string, detail: string): void;
  /** A good message: a run of bad ones is over. */
  good(): void;
}
