import { bytesToPcm16 } from '../../audio/pcm.ts';
import {
  BROWSER_SAMPLE_RATES,
  encodeBrowserAudio,
  encodeBrowserText,
  parseBrowserServerText,
  type BrowserSampleRate,
} from '../../transports/browser/browser-codec.ts';
import { CALL_ROUTES } from '../../transports/routes.ts';
import type { CallerWire, ServerMessage } from './caller-wire.ts';

/** Server → browser: binary agent audio, `control` (audio_stop is the stop) and envelopes, checked. */
function read(data: Buffer, isBinary: boolean): ServerMessage {
  if (isBinary) {
    return data.length % 2 === 0
      ? { kind: 'audio', samples: bytesToPcm16(data) }
      : { kind: 'invalid_frame', bytes: data.length };
  }
  const text = data.toString('utf8');
  const message = parseBrowserServerText(text);
  if (message instanceof Error)
    return {
      kind: 'malformed_message',
      reason: `${message.reason}: ${message.message} (${text.slice(0, 60)})`,
    };
  if (message.kind === 'envelope') return message;
  const { action, until_ms: untilMs } = message.control;
  if (action !== 'audio_stop') return { kind: 'control', action };
  return typeof untilMs === 'number' && Number.isFinite(untilMs)
    ? { kind: 'stop', untilMs }
    : { kind: 'stop' };
}

/** A browser page: `start` first, binary PCM16 frames, typed text, and `played` marks of what it played. */
export const BROWSER_CALLER: CallerWire = {
  protocol: 'browser',
  route: CALL_ROUTES.browser,
  sampleRates: BROWSER_SAMPLE_RATES,
  callId: (given) => given,
  query: () => undefined,
  headers: () => ({}),
  startMessage: (sampleRate) =>
    encodeBrowserText({ type: 'start', sample_rate: sampleRate as BrowserSampleRate }),
  // The samples' own little-endian bytes (views over the already-copied audio).
  encodeFrames: (frames) => ({ frames: frames.map(encodeBrowserAudio), timestampOffset: -1 }),
  binaryAudio: true,
  dtmf: (digits) => [encodeBrowserText({ type: 'dtmf', digits })],
  text: (text) => encodeBrowserText({ type: 'user_text', text }),
  playedMark: (untilMs) => encodeBrowserText({ type: 'played', until_ms: untilMs }),
  read,
  // A page's call may end normally once the server said session_end.
  closesNormally: (code, sessionEnded) => sessionEnded && code === 1000,
};
