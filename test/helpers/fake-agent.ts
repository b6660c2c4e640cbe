import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { rms } from '../../src/audio/levels.ts';
import { bytesToPcm16, samplesPerFrame } from '../../src/audio/pcm.ts';
import { sine } from './signals.ts';

/**
 * A stand-in for rtvoice that the simulated caller is tested against: it greets with a 440 Hz tone in 20 ms
 * frames at real-time pace, hears the caller by RMS, answers after 300 ms of caller silence with a shorter
 * tone, and stops (StopAudio / audio_stop) when the caller talks over it. Misbehaviours are options.
 */
export interface FakeAgentOptions {
  readonly protocol: 'acs' | 'browser';
  readonly sampleRate?: number;
  readonly greetingMs?: number;
  readonly replyMs?: number;
  /** Caller silence that ends the caller's turn. */
  readonly endOfTurnMs?: number;
  /** Refuse every upgrade with this HTTP status. */
  readonly refuseStatus?: number;
  /** Close each call this long after it starts. */
  readonly closeAfter?: { readonly ms: number; readonly code: number; readonly reason: string };
  /** Browser: send session_end before that close. */
  readonly sessionEndBeforeClose?: boolean;
  /** Replace greeting frame N with one of this many bytes. */
  readonly badFrame?: { readonly index: number; readonly bytes: number };
  /** Raw text messages sent right after the greeting starts. */
  readonly junk?: readonly string[];
  /** Send silent frames whenever not speaking (a server that always streams). */
  readonly streamSilence?: boolean;
}

export interface ReceivedFrame {
  readonly at: number;
  readonly bytes: number;
  readonly level: number;
}

export interface FakeCall {
  readonly url: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly frames: ReceivedFrame[];
  /** Parsed text messages other than ACS AudioData (metadata, start, DTMF, played, user_text). */
  readonly messages: Record<string, unknown>[];
  stopsSent: number;
}

export interface FakeAgent {
  readonly url: string;
  readonly calls: FakeCall[];
  close(): Promise<void>;
}

const SPEECH_RMS = 0.02;
const FRAME_MS = 20;

export async function startFakeAgent(options: FakeAgentOptions): Promise<FakeAgent> {
  const rate = options.sampleRate ?? 16000;
  const frameSamples = samplesPerFrame(rate);
  const tone = (ms: number) => sine(440, rate, (rate * ms) / 1000, 0.4);
  const greeting = tone(options.greetingMs ?? 600);
  const reply = tone(options.replyMs ?? 400);
  const endOfTurnMs = options.endOfTurnMs ?? 300;
  const calls: FakeCall[] = [];
  const server = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    ...(options.refuseStatus
      ? {
          verifyClient: (_info: unknown, done: (ok: boolean, code?: number, message?: string) => void) =>
            done(false, options.refuseStatus, 'Service Unavailable'),
        }
      : {}),
  });
  await new Promise<void>((resolve) => server.once('listening', resolve));

  server.on('connection', (ws: WebSocket, request) => {
    const call: FakeCall = {
      url: request.url ?? '',
      headers: request.headers,
      frames: [],
      messages: [],
      stopsSent: 0,
    };
    calls.push(call);
    let speaking: NodeJS.Timeout | undefined;
    let idle: NodeJS.Timeout | undefined;
    let heardSpeechAt: number | undefined;
    let started = false;

    const sendAudio = (samples: Int16Array) =>
      sendBytes(Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength));
    const sendBytes = (bytes: Buffer) => {
      if (options.protocol === 'browser') ws.send(bytes, { binary: true });
      else
        ws.send(
          JSON.stringify({
            Kind: 'AudioData',
            AudioData: { Data: bytes.toString('base64') },
            StopAudio: null,
          }),
        );
    };
    const sendJson = (message: unknown) => ws.send(JSON.stringify(message));
    const envelope = (type: string, payload: Record<string, unknown>) =>
      sendJson({
        type,
        topic: 'session',
        session_id: 's',
        sender: 'Agent',
        ts: new Date().toISOString(),
        payload,
      });

    const streamSilence = () => {
      if (!options.streamSilence) return;
      const start = performance.now();
      let i = 0;
      const next = () => {
        if (ws.readyState !== ws.OPEN) return;
        sendAudio(new Int16Array(frameSamples));
        i += 1;
        idle = setTimeout(next, Math.max(0, start + i * FRAME_MS - performance.now()));
      };
      next();
    };

    const speak = (audio: Int16Array, badFrame?: FakeAgentOptions['badFrame']) => {
      clearTimeout(idle);
      const start = performance.now();
      let i = 0;
      const count = Math.ceil(audio.length / frameSamples);
      const next = () => {
        if (ws.readyState !== ws.OPEN) return;
        if (badFrame?.index === i) sendBytes(Buffer.alloc(badFrame.bytes, 1));
        else sendAudio(audio.subarray(i * frameSamples, (i + 1) * frameSamples));
        i += 1;
        if (i < count) speaking = setTimeout(next, Math.max(0, start + i * FRAME_MS - performance.now()));
        else {
          speaking = undefined;
          streamSilence();
        }
      };
      next();
    };

    const stopSpeaking = () => {
      clearTimeout(speaking);
      speaking = undefined;
      call.stopsSent += 1;
      if (options.protocol === 'browser') {
        sendJson({ type: 'control', action: 'tts_cancelled', reason: 'barge_in' });
        sendJson({ type: 'control', action: 'audio_stop' });
      } else sendJson({ Kind: 'StopAudio', AudioData: null, StopAudio: {} });
      streamSilence();
    };

    const answer = (text: string) => {
      if (options.protocol === 'browser') {
        envelope('user_transcript', { text });
        envelope('assistant_transcript', { text: 'a reply' });
      }
      speak(reply);
      if (options.protocol === 'browser') envelope('metrics', { turn: 1 });
    };

    const start = () => {
      if (started) return;
      started = true;
      speak(greeting, options.badFrame);
      for (const text of options.junk ?? []) ws.send(text);
      if (options.closeAfter) {
        const { ms, code, reason } = options.closeAfter;
        setTimeout(() => {
          if (options.sessionEndBeforeClose) envelope('session_end', { reason });
          ws.close(code, reason);
        }, ms);
      }
    };

    const onCallerAudio = (pcm: Buffer) => {
      const now = performance.now();
      const level = rms(bytesToPcm16(Buffer.from(pcm)));
      call.frames.push({ at: now, bytes: pcm.length, level });
      if (level >= SPEECH_RMS) {
        heardSpeechAt = now;
        if (speaking) stopSpeaking();
      } else if (heardSpeechAt !== undefined && now - heardSpeechAt >= endOfTurnMs) {
        heardSpeechAt = undefined;
        answer('caller spoke');
      }
    };

    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        onCallerAudio(data);
        return;
      }
      const message = JSON.parse(data.toString()) as Record<string, unknown>;
      const audio = message.audioData as { data: string } | undefined;
      if (message.kind === 'AudioData' && audio) {
        onCallerAudio(Buffer.from(audio.data, 'base64'));
        return;
      }
      call.messages.push(message);
      if (message.kind === 'AudioMetadata' || message.type === 'start') start();
      if (message.type === 'user_text') setTimeout(() => answer(String(message.text)), 100);
    });
    ws.on('close', () => {
      clearTimeout(speaking);
      clearTimeout(idle);
    });
  });

  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}

/** Frames received in the `windowMs` after `fromMs` past the first frame. */
export function framesInWindow(frames: readonly ReceivedFrame[], fromMs: number, windowMs: number): number {
  const first = frames[0]?.at ?? 0;
  return frames.filter((f) => f.at >= first + fromMs && f.at < first + fromMs + windowMs).length;
}
