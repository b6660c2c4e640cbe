import type { WebSocket } from 'ws';
import { FRAME_MS, samplesPerFrame, type Pcm16 } from '../../audio/pcm.ts';
import type { Envelope } from '../../connections/envelope.ts';
import { CALL_ROUTES } from '../routes.ts';
import { single } from '../single.ts';
import type { CallHandler, Transport, TransportKind, TransportOutlet } from '../transport.ts';
import {
  ACS_STOP_AUDIO,
  AcsParseError,
  encodeAcsAudio,
  parseAcsMessage,
  validateAudioFrame,
  type AcsSampleRate,
} from './acs-codec.ts';

/**
 * ACS media streaming: JSON text frames. In: AudioMetadata first (it sets the call's rate), then exact
 * 20 ms AudioData frames and DtmfData. Out: AudioData at the call's rate and StopAudio; envelopes go to the
 * session's watchers only (ACS speaks nothing else). ACS does not confirm playback.
 */
export class AcsTransport implements Transport {
  readonly name = 'acs';
  readonly capabilities = { confirmsPlayback: false };
  private rate: AcsSampleRate | undefined;
  private silence: Int16Array | undefined;
  private readonly socket: WebSocket;
  private readonly outlet: TransportOutlet;

  constructor(socket: WebSocket, outlet: TransportOutlet) {
    this.socket = socket;
    this.outlet = outlet;
  }

  /** The call's rate, from its AudioMetadata (16 kHz until then). */
  get outputRate(): number {
    return this.rate ?? 16000;
  }

  receive(handler: CallHandler, data: Buffer, isBinary: boolean): void {
    const { outlet } = this;
    if (isBinary) return outlet.bad('binary_frame', 'ACS media streaming sends JSON text frames only');
    const message = parseAcsMessage(data.toString('utf8'));
    if (message instanceof AcsParseError) return outlet.bad(message.reason, message.message);
    if (message.kind === 'metadata') {
      if (this.rate === undefined) {
        outlet.good();
        this.rate = message.sampleRate;
        void handler.start(this.rate);
      } else if (message.sampleRate !== this.rate) {
        outlet.bad('rate_change', `sample rate changed from ${this.rate} to ${message.sampleRate} mid-call`);
      }
      return;
    }
    if (message.kind === 'dtmf') {
      outlet.good();
      return handler.dtmf(message.digits);
    }
    if (this.rate === undefined) return outlet.bad('audio_before_metadata', 'AudioData before AudioMetadata');
    let samples = message.samples;
    if (samples.length === 0) {
      // Blank data is a silent frame (the .NET SDK allows it).
      samples = this.silence ??= new Int16Array(samplesPerFrame(this.rate, FRAME_MS));
    } else {
      const problem = validateAudioFrame(samples, this.rate);
      if (problem) return outlet.bad('bad_frame_length', problem);
    }
    outlet.good();
    handler.audio(samples);
  }

  sendAudio(frame: Pcm16): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(encodeAcsAudio(frame));
  }

  stopAudio(): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(ACS_STOP_AUDIO);
  }

  publish(message: Envelope): void {
    this.outlet.publish(message);
  }

  confirmedPlayedMs(): undefined {
    return undefined;
  }

  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }
}

/** ACS calls: the call id in the query or ACS's header, the session id in the query or `x-session-id`. */
export const ACS: TransportKind<AcsTransport> = {
  name: 'acs',
  route: CALL_ROUTES.acs,
  ids: ({ query, headers }) => ({
    callId: single(query['call_connection_id']) ?? single(headers['x-ms-call-connection-id']),
    sessionId: single(query['session_id']) ?? single(headers['x-session-id']),
  }),
  // Registered under its call: the socket speaks only ACS, so no envelope goes to it.
  connection: ({ callId }) => ({ clientType: 'media', route: CALL_ROUTES.acs, callId }),
  open: (socket, outlet) => new AcsTransport(socket, outlet),
};
