import type { WebSocket } from 'ws';
import type { Pcm16 } from '../../audio/pcm.ts';
import type { Bus } from '../../connections/bus.ts';
import type { Envelope } from '../../connections/envelope.ts';
import { ACS_STOP_AUDIO, encodeAcsAudio } from './acs-codec.ts';
import type { MediaTransport } from '../transport.ts';

/** ACS media streaming: audio and StopAudio as ACS JSON on the socket; envelopes to the session's watchers. */
export class AcsTransport implements MediaTransport {
  readonly name = 'acs';
  /** The call's rate, from its AudioMetadata. */
  outputRate = 16000;
  private readonly socket: WebSocket;
  private readonly bus: Bus;

  constructor(socket: WebSocket, bus: Bus) {
    this.socket = socket;
    this.bus = bus;
  }

  sendAudio(frame: Pcm16): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(encodeAcsAudio(frame));
  }

  stopAudio(): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(ACS_STOP_AUDIO);
  }

  publish(message: Envelope): void {
    this.bus.publish(message);
  }

  // ACS does not confirm playback: the pacer's clock tells what was heard.
  confirmedPlayedMs(): undefined {
    return undefined;
  }

  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }
}
