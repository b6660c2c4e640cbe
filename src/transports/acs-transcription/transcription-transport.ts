import type { WebSocket } from 'ws';
import type { Envelope } from '../../connections/envelope.ts';
import { ACS } from '../acs/acs-transport.ts';
import { CALL_ROUTES } from '../routes.ts';
import type { CallTransport, TranscriptHandler, TransportKind, TransportOutlet } from '../transport.ts';
import { parseTranscriptionMessage, TranscriptionParseError } from './transcription-codec.ts';

/**
 * ACS transcription streaming: JSON text frames from ACS only. In: TranscriptionMetadata, then one
 * TranscriptionData per result. Nothing goes back on this socket: the call's replies are spoken by ACS
 * (`play`), and envelopes go to the session's watchers.
 */
export class TranscriptionTransport implements CallTransport<TranscriptHandler> {
  readonly name = 'acs_transcription';
  private readonly socket: WebSocket;
  private readonly outlet: TransportOutlet;
  private begun = false;

  constructor(socket: WebSocket, outlet: TransportOutlet) {
    this.socket = socket;
    this.outlet = outlet;
  }

  receive(handler: TranscriptHandler, data: Buffer, isBinary: boolean): void {
    const receivedAt = performance.now();
    const { outlet } = this;
    if (isBinary) return outlet.bad('binary_frame', 'ACS transcription sends JSON text frames only');
    const message = parseTranscriptionMessage(data.toString('utf8'));
    if (message instanceof TranscriptionParseError) return outlet.bad(message.reason, message.message);
    outlet.good();
    if (message.kind === 'metadata') {
      if (this.begun) return outlet.bad('repeated_metadata', 'TranscriptionMetadata sent twice');
      this.begun = true;
      return handler.begin(message);
    }
    // The session is known from the socket's URL, so a result before the metadata is still heard.
    handler.result(message, receivedAt);
  }

  publish(message: Envelope): void {
    this.outlet.publish(message);
  }

  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }
}

/** ACS's transcription socket: the same ids and registration as its media socket. */
export const ACS_TRANSCRIPTION: TransportKind<TranscriptionTransport> = {
  name: 'acs_transcription',
  route: CALL_ROUTES.acsTranscription,
  ids: (request) => ACS.ids(request),
  connection: ({ callId }) => ({ clientType: 'media', route: CALL_ROUTES.acsTranscription, callId }),
  open: (socket, outlet) => new TranscriptionTransport(socket, outlet),
};
