import type { WebSocket } from 'ws';
import type { ClientTools } from '../agents/tools/client-tools.ts';
import type { Pcm16 } from '../audio/pcm.ts';
import type { ConnectionInfo } from '../connections/connection-manager.ts';
import type { Envelope } from '../connections/envelope.ts';
import type { CallEvent } from '../calls/call-events.ts';
import type { TranscriptionMetadata, TranscriptionResult } from './acs-transcription/transcription-codec.ts';

/** What every call handler takes, whatever feeds it. */
export interface CallLifecycle {
  /** The call is ended from outside (the API): say `message`, then end the call. */
  farewell(message: string): void;
  /** An ACS callback about this phone call (play, transcription, …), for handlers that act on them. */
  callEvent?(event: CallEvent): void;
  /** The socket closed or the server stops: release everything. Safe to call more than once. */
  close(reason: string): Promise<void>;
}

/** What an audio transport feeds a call: the inputs of the streaming modes that hear the caller. */
export interface CallHandler extends CallLifecycle {
  /** The caller's audio format is known (ACS AudioMetadata, browser `start`): the call begins. */
  start(inputRate: number): Promise<void>;
  /** Caller audio, in arrival order. */
  audio(samples: Pcm16): void;
  dtmf(digits: string): void;
  /** Typed input (browser). */
  text(text: string): void;
  /** The far end played agent audio up to this output-stream position. */
  played(untilMs: number): void;
  /** The far end asks the agent to stop its answer (a realtime client's `response.cancel`). */
  cancel(): void;
  /** Context the far end adds to the conversation without asking for an answer (a realtime client's items). */
  note?(role: 'user' | 'assistant' | 'system', text: string): void;
  /** The far end played `turn`'s speech only up to this output-stream position (a realtime truncate). */
  heardUntil?(turn: number, positionMs: number): void;
}

/** What ACS's transcription stream feeds a call: ACS recognises, the handler reads its results. */
export interface TranscriptHandler extends CallLifecycle {
  /** TranscriptionMetadata: the stream began. */
  begin(metadata: TranscriptionMetadata): void;
  /** One result, Intermediate or Final, as it arrived (`receivedAt`: performance.now()). */
  result(result: TranscriptionResult, receivedAt: number): void;
}

/** What a wire protocol can do, for handlers to ask instead of checking its name. */
export interface TransportCapabilities {
  /** The far end confirms what it played (browser `played` marks); without it the pacer's clock decides. */
  readonly confirmsPlayback: boolean;
}

/** One call's socket as any wire protocol offers it: what it receives goes to a handler of type `H`. */
export interface CallTransport<H extends CallLifecycle> {
  readonly name: 'acs' | 'browser' | 'realtime' | 'acs_transcription';
  /** One message from the socket: parsed, then given to `handler`, or counted as bad. */
  receive(handler: H, data: Buffer, isBinary: boolean): void;
  /** An envelope for the session's watchers (and a browser page itself). */
  publish(message: Envelope): void;
  /** Ends the call's socket from our side. */
  close(code: number, reason: string): void;
}

/**
 * One call's audio wire protocol, both ways: it parses what the far end sends and hands it to the call's
 * handler (`receive`), and sends what the call says (`sendAudio`, `stopAudio`, `publish`).
 */
export interface Transport extends CallTransport<CallHandler> {
  readonly name: 'acs' | 'browser' | 'realtime';
  readonly capabilities: TransportCapabilities;
  /** The rate agent audio is sent at: the call's (ACS), or what the page asked for (browser). */
  readonly outputRate: number;
  /** One 20 ms frame of agent audio. */
  sendAudio(frame: Pcm16): void;
  /** Flushes the far end's playback queue; `position` is the output-stream milliseconds sent so far. */
  stopAudio(position: number): void;
  /**
   * Output-stream milliseconds the far end has confirmed playing, extrapolated to now; undefined when it
   * confirms nothing (`confirmsPlayback` false).
   */
  confirmedPlayedMs(): number | undefined;
  /** Tools the far end declared and runs itself (a realtime client's); an LLM agent may call them. */
  readonly clientTools?: ClientTools;
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
export interface TransportKind<T extends CallTransport<never> = Transport> {
  readonly name: T['name'];
  readonly route: string;
  ids(request: UpgradeRequest): RequestedIds;
  /** How the connection is registered (who gets envelopes through it). */
  connection(ids: { callId: string | undefined; sessionId: string }): ConnectionInfo;
  /** The call's socket as this protocol's transport; `ids` are the call's, resolved. */
  open(socket: WebSocket, outlet: TransportOutlet, ids: { sessionId: string }): T;
}

/** Where a transport sends what is not audio, and reports messages it could not read. */
export interface TransportOutlet {
  publish(message: Envelope): void;
  /** A message that does not follow the protocol: `reason` is a short label, `detail` for a person. */
  bad(reason: string, detail: string): void;
  /** A good message: a run of bad ones is over. */
  good(): void;
}
