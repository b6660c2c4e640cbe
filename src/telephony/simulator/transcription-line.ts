import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket } from 'ws';
import { rms } from '../../audio/levels.ts';
import { FRAME_MS, samplesPerFrame, type Pcm16 } from '../../audio/pcm.ts';
import type { SttProvider } from '../../speech/types.ts';
import {
  encodeTranscriptionData,
  encodeTranscriptionMetadata,
  type TranscribedWord,
  type TranscriptionResult,
} from '../../transports/acs-transcription/transcription-codec.ts';

/** Stream position 0 in ACS ticks: ACS's offsets are not zero-based, and a server must not assume so. */
const BASE_TICKS = 638_000_000_000_000_000;
/** Silence after speech before ACS's recognizer ends the phrase (Azure Speech's segmentation; simulated). */
export const DEFAULT_END_SILENCE_MS = 500;
/** Frames at least this loud (RMS, full scale 1) are speech: the load tester's caller's threshold. */
const SPEECH_RMS = 0.01;
/** How long each word of a scripted phrase takes to say. */
const SCRIPTED_WORD_MS = 300;

export interface TranscriptionLineOptions {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly callId: string;
  readonly correlationId: string;
  readonly locale: string;
  /** Who speaks by default: the caller's raw id (`4:+1…`). */
  readonly participantRawId: string;
  /** Recognises `say`'s audio (pocketsphinx); without it only scripted phrases can be spoken. */
  readonly recognizer?: SttProvider | undefined;
  readonly endSilenceMs?: number;
}

/** What one phrase said on the line produced. */
export interface SpokenPhrase {
  /** The Final result's text (what ACS recognised, errors included). */
  readonly text: string;
  /** performance.now() when the speech ended, and when the Final result was sent. */
  readonly speechEndedAt: number;
  readonly finalSentAt: number;
}

/**
 * The transcription side of a simulated phone call: the socket ACS opens to the server's transcription
 * URL (with its token), TranscriptionMetadata first, then results of what is said on the call, either
 * scripted phrases or real audio recognised by the local recognizer, with Intermediate results while the
 * phrase is spoken and a Final one after the end silence. Timings are simulated, not ACS's.
 */
export class TranscriptionLine {
  readonly locale: string;
  readonly opened: number;
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly socket: WebSocket;
  private readonly options: TranscriptionLineOptions;

  private constructor(socket: WebSocket, options: TranscriptionLineOptions) {
    this.socket = socket;
    this.options = options;
    this.locale = options.locale;
    this.opened = performance.now();
    this.closed = new Promise((resolve) =>
      socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  /** Connects to the server and sends TranscriptionMetadata; rejects when the server refuses the socket. */
  static async open(options: TranscriptionLineOptions): Promise<TranscriptionLine> {
    const socket = new WebSocket(options.url, { headers: options.headers });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('unexpected-response', (_req, response) =>
        reject(new Error(`transcription socket refused: ${response.statusCode}`)),
      );
      socket.once('error', reject);
    });
    const line = new TranscriptionLine(socket, options);
    line.sendRaw(
      encodeTranscriptionMetadata({
        callId: options.callId,
        locale: options.locale,
        subscriptionId: randomUUID(),
        correlationId: options.correlationId,
      }),
    );
    return line;
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /** Milliseconds of the stream so far. */
  streamMs(): number {
    return performance.now() - this.opened;
  }

  /** Any text on the socket, as ACS would never send it (for tests of bad input). */
  sendRaw(text: string): void {
    if (this.isOpen) this.socket.send(text);
  }

  send(result: Omit<TranscriptionResult, 'kind'>): void {
    this.sendRaw(encodeTranscriptionData(result, BASE_TICKS));
  }

  /**
   * A scripted phrase, said in real time: an Intermediate result per word as it is spoken, then the Final
   * one after the end silence. `participant` speaks instead of the caller.
   */
  async speak(
    text: string,
    options: { participant?: string; confidence?: number } = {},
  ): Promise<SpokenPhrase> {
    const words = text.split(/\s+/).filter(Boolean);
    const start = this.streamMs();
    const timed: TranscribedWord[] = words.map((word, i) => ({
      text: word.replace(/[^\p{L}\p{N}']/gu, '').toLowerCase(),
      offsetMs: start + i * SCRIPTED_WORD_MS,
      durationMs: SCRIPTED_WORD_MS - 40,
    }));
    for (let i = 0; i < words.length; i += 1) {
      await sleep(SCRIPTED_WORD_MS);
      this.result(words.slice(0, i + 1).join(' '), timed.slice(0, i + 1), false, options);
    }
    return this.finish(text, timed, options);
  }

  /**
   * Real audio (16 kHz), streamed in real time through the local recognizer: its partial results become
   * Intermediate results, its final result the Final one, with its recognition errors.
   */
  async say(audio: Pcm16, options: { participant?: string } = {}): Promise<SpokenPhrase> {
    const provider = this.options.recognizer;
    if (!provider) throw new Error('this simulator recognises no audio: start it with a recognizer');
    const recognizer = await provider.open();
    const start = this.streamMs();
    let heard = '';
    recognizer.on('partial', (text) => {
      if (!text || text === heard) return;
      heard = text;
      this.result(text, spread(text, start, this.streamMs() - start), false, options);
    });
    let speechEndedAt = performance.now();
    try {
      const frame = samplesPerFrame(16000, FRAME_MS);
      const began = performance.now();
      for (let at = 0, n = 0; at < audio.length; at += frame, n += 1) {
        const samples = audio.subarray(at, at + frame);
        // As the load tester's caller counts it: the speech ends with the last frame loud enough to be speech.
        if (rms(samples) >= SPEECH_RMS) speechEndedAt = performance.now();
        recognizer.write(samples);
        const due = began + (n + 1) * FRAME_MS - performance.now();
        if (due > 0) await sleep(due);
      }
      const spokenMs = this.streamMs() - start;
      await sleep(this.options.endSilenceMs ?? DEFAULT_END_SILENCE_MS);
      const result = await recognizer.flush();
      const words = spread(
        result.text,
        start + Math.min(result.startMs, spokenMs),
        Math.max(0, Math.min(result.endMs, spokenMs) - Math.min(result.startMs, spokenMs)) || spokenMs,
      );
      this.result(result.text, words, true, { ...options, confidence: result.confidence });
      return { text: result.text, speechEndedAt, finalSentAt: performance.now() };
    } finally {
      recognizer.close();
    }
  }

  /** Closes the socket as ACS does when the transcription stops. */
  close(): void {
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING)
      this.socket.close(1000, 'transcription stopped');
  }

  private async finish(
    text: string,
    words: TranscribedWord[],
    options: { participant?: string; confidence?: number },
  ): Promise<SpokenPhrase> {
    const last = words.at(-1);
    const speechEndedAt = this.opened + (last ? last.offsetMs + last.durationMs : this.streamMs());
    await sleep(this.options.endSilenceMs ?? DEFAULT_END_SILENCE_MS);
    this.result(text, words, true, options);
    return { text, speechEndedAt, finalSentAt: performance.now() };
  }

  private result(
    text: string,
    words: TranscribedWord[],
    final: boolean,
    options: { participant?: string; confidence?: number },
  ): void {
    const first = words[0];
    const last = words.at(-1);
    this.send({
      text,
      final,
      confidence: final ? (options.confidence ?? 0.9) : undefined,
      offsetMs: first?.offsetMs ?? this.streamMs(),
      durationMs: first && last ? last.offsetMs + last.durationMs - first.offsetMs : 0,
      words,
      participantRawId: options.participant ?? this.options.participantRawId,
    });
  }
}

/** Words spread evenly over a span of the stream, by their length (the recognizer gives no word times). */
function spread(text: string, startMs: number, spanMs: number): TranscribedWord[] {
  const words = text.split(/\s+/).filter(Boolean);
  const total = words.reduce((sum, w) => sum + w.length + 1, 0);
  let at = startMs;
  return words.map((word) => {
    const durationMs = (spanMs * (word.length + 1)) / total;
    const timed = { text: word, offsetMs: at, durationMs };
    at += durationMs;
    return timed;
  });
}
