import { randomUUID } from 'node:crypto';
import type { Pcm16 } from '../../audio/pcm.ts';
import {
  ACS_SAMPLE_RATES,
  encodeAcsAudioIn,
  encodeAcsDtmf,
  encodeAcsMetadata,
  parseAcsOutbound,
  type AcsSampleRate,
} from '../../transports/acs/acs-codec.ts';
import { CALL_ROUTES } from '../../transports/routes.ts';
import type { CallerWire, EncodedFrames, ServerMessage } from './caller-wire.ts';

const TIMESTAMP_PLACEHOLDER = '1970-01-01T00:00:00.000Z';

/** ACS AudioData frames as text-frame payloads; a frame of all-zero samples is marked `silent`. */
export function encodeAcsAudioFrames(frames: readonly Pcm16[], participantRawID: string): EncodedFrames {
  let timestampOffset = -1;
  const encoded = frames.map((frame) => {
    const silent = frame.every((sample) => sample === 0);
    const bytes = Buffer.from(
      encodeAcsAudioIn(frame, { timestamp: TIMESTAMP_PLACEHOLDER, participantRawID, silent }),
    );
    // The same for every frame: the fields before the timestamp do not depend on the audio.
    timestampOffset = bytes.indexOf(TIMESTAMP_PLACEHOLDER);
    return bytes;
  });
  return { frames: encoded, timestampOffset };
}

/** Server → ACS: AudioData (play) and StopAudio (flush), in any casing; never binary. */
function read(data: Buffer, isBinary: boolean): ServerMessage {
  if (isBinary) return { kind: 'malformed_message', reason: 'binary frame on the ACS protocol' };
  const text = data.toString('utf8');
  const message = parseAcsOutbound(text);
  if (!(message instanceof Error)) return message;
  const reason = `${message.reason}: ${message.message}`;
  return message.reason === 'bad_frame_length'
    ? { kind: 'invalid_frame', bytes: 0, reason }
    : { kind: 'malformed_message', reason: `${reason} (${text.slice(0, 60)})` };
}

/** ACS media streaming, as ACS itself speaks it: a call id, AudioMetadata first, JSON frames, DtmfData. */
export const ACS_CALLER: CallerWire = {
  protocol: 'acs',
  route: CALL_ROUTES.acs,
  sampleRates: ACS_SAMPLE_RATES,
  callId: (given) => given ?? randomUUID(),
  query: (url, callId) => {
    if (callId !== undefined && !url.searchParams.has('call_connection_id'))
      url.searchParams.set('call_connection_id', callId);
  },
  headers: (callId): Record<string, string> =>
    callId === undefined
      ? {}
      : { 'x-ms-call-connection-id': callId, 'x-ms-call-correlation-id': randomUUID() },
  startMessage: (sampleRate) => encodeAcsMetadata(sampleRate as AcsSampleRate),
  encodeFrames: encodeAcsAudioFrames,
  binaryAudio: false,
  dtmf: (digits) => [...digits].map(encodeAcsDtmf),
  read,
  // ACS never expects the server to hang up on it.
  closesNormally: () => false,
};
