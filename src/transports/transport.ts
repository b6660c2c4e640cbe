import type { Pcm16 } from '../audio/pcm.ts';
import type { Envelope } from '../connections/envelope.ts';

/** The far end of a call as the media session sees it: ACS media streaming or a browser page. */
export interface MediaTransport {
  readonly name: 'acs' | 'browser';
  /** The rate agent audio is sent at (ACS: the call's; browser: what the page asked for). */
  readonly outputRate: number;
  /** One 20 ms frame of agent audio. */
  sendAudio(frame: Pcm16): void;
  /** Flushes the far end's playback queue; `position` is the output-stream milliseconds sent so far. */
  stopAudio(position: number): void;
  /** An envelope for the session's watchers (and the browser page itself). */
  publish(message: Envelope): void;
  /**
   * Output-stream milliseconds the far end has confirmed playing (browser `played` marks, extrapolated
   * to now); undefined when the transport gives no confirmation (ACS: the pacer's clock decides).
   */
  confirmedPlayedMs(): number | undefined;
  /** Ends the call from our side. */
  close(code: number, reason: string): void;
}

/** What a transport feeds a call: the inputs every streaming mode's handler takes. */
export interface CallHandler {
  /** The caller's audio format is known (ACS AudioMetadata, browser `start`): the call begins. */
  start(inputRate: number): Promise<void>;
  /** Caller audio, in arrival order. */
  audio(samples: Pcm16): void;
  dtmf(digits: string): void;
  /** Typed input (browser). */
  text(text: string): void;
  /** The browser played agent audio up to this output-stream position. */
  played(untilMs: number): void;
  /** The socket closed or the server stops: release everything. Safe to call more than once. */
  close(reason: string): Promise<void>;
}
