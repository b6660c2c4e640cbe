import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { errorMessage, RtvoiceError } from '../errors.ts';
import { bytesToPcm16, samplesPerFrame, type Pcm16 } from '../audio/pcm.ts';
import type { Envelope } from '../connections/envelope.ts';
import {
  ACS_SAMPLE_RATES,
  encodeAcsDtmf,
  encodeAcsMetadata,
  type AcsSampleRate,
} from '../transports/acs/acs-codec.ts';
import {
  BROWSER_SAMPLE_RATES,
  encodeBrowserText,
  type BrowserSampleRate,
} from '../transports/browser/browser-codec.ts';
import { CallMeter, type MeteredTurn } from './call-meter.ts';
import type { CallErrorKind, CallRecord } from './call-record.ts';
import {
  sharedPacingClock,
  type PacingClock,
  type PacingListener,
  type PacingTick,
} from '../audio/pacing-clock.ts';
import { prepareUtterance, type PreparedUtterance } from './utterance.ts';
import {
  encodeAcsAudioFrames,
  encodeBrowserAudioFrames,
  readAcsServerText,
  readBrowserServerText,
  stampTimestamp,
  type EncodedFrames,
  type ServerMessage,
} from './wire.ts';

export type CallerProtocol = 'acs' | 'browser';

export const ACS_MEDIA_PATH = '/api/v1/media/stream';
export const BROWSER_CONVERSATION_PATH = '/api/v1/realtime/conversation';

export interface SimulatedCallerOptions {
  /**
   * The server (`http://host:port`, `ws://…`): the protocol's path is added. A URL with a path of its own is
   * used as it is; either way the session (and ACS call) ids are added to the query unless present.
   */
  readonly url: string;
  readonly protocol: CallerProtocol;
  /** Default: a random UUID. */
  readonly sessionId?: string;
  /** ACS `call_connection_id` (query and `x-ms-call-connection-id`); default: a random UUID. */
  readonly callId?: string;
  /** Extra upgrade headers (Authorization, …); they override the ACS headers the caller adds. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Of the caller's audio and of the agent audio it expects; 16000. */
  readonly sampleRate?: number;
  /** Upgrade handshake limit; 10 s. */
  readonly connectTimeoutMs?: number;
  /** Aborting hangs up. */
  readonly signal?: AbortSignal;
  /** Default: the process-wide shared clock. */
  readonly clock?: PacingClock;
  /** Frames (sent or received) at or above this RMS (0–1 of full scale) are speech; 0.01 (−40 dBFS). */
  readonly speechRmsThreshold?: number;
  /** Agent speech this close after earlier speech is the same spurt (gaps between words); 200 ms. */
  readonly speechHangoverMs?: number;
  /** ACS `participantRawID`; a phone number by default. */
  readonly participantRawId?: string;
  /** Browser `played` marks while agent audio plays; every 100 ms. */
  readonly playedMarkIntervalMs?: number;
  /** Browser envelopes kept for inspection; 10,000 (older ones beyond are not kept). */
  readonly maxEnvelopes?: number;
  /**
   * Masks client frames with a zero key, which skips ws's per-frame copy and XOR (a load generator sharing
   * the server's cores must stay cheap). Servers do not check the key; true.
   */
  readonly zeroMask?: boolean;
}

export interface SayOptions {
  /** Kept in the turn record. */
  readonly label?: string;
}

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

export interface SilenceWaitOptions extends WaitOptions {
  /** Quiet needed, on the caller's playback clock. */
  readonly silenceMs: number;
}

export type WaitResult =
  | { readonly ok: true; readonly atMs: number }
  | { readonly ok: false; readonly reason: 'timeout' | 'closed' | 'aborted' };

export type CallerState = 'idle' | 'connecting' | 'open' | 'closed';

export interface EnvelopeReceived {
  readonly atMs: number;
  readonly envelope: Envelope;
}

/** `url` with the protocol's path (when it has none) and the session and call ids in the query. */
export function callerUrl(base: string, protocol: CallerProtocol, sessionId: string, callId?: string): URL {
  const url = new URL(base);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.pathname === '/' || url.pathname === '')
    url.pathname = protocol === 'acs' ? ACS_MEDIA_PATH : BROWSER_CONVERSATION_PATH;
  if (protocol === 'acs' && callId !== undefined && !url.searchParams.has('call_connection_id'))
    url.searchParams.set('call_connection_id', callId);
  if (!url.searchParams.has('session_id')) url.searchParams.set('session_id', sessionId);
  return url;
}

interface Utterance {
  readonly frames: PreparedUtterance;
  readonly label: string | undefined;
  next: number;
  turn: MeteredTurn | undefined;
  readonly done: (sent: boolean) => void;
}

interface Waiter {
  readonly test: (now: number) => boolean;
  readonly settle: (result: WaitResult) => void;
}

const DTMF_DIGITS = /^[0-9*#A-D]+$/;

/** Misuse of the caller's API (not a call failure, which is recorded, never thrown). */
export class SimulatedCallerError extends RtvoiceError {
  constructor(message: string) {
    super('SIMULATED_CALLER', message);
  }
}

/**
 * One simulated phone or browser call against rtvoice. Audio goes out as a real caller's does: exact 20 ms
 * frames at 50 a second, silence between utterances (the stream never pauses), paced by a shared clock.
 * Everything is measured on the caller's side and failures are recorded in the call record, never thrown:
 * a load run of hundreds of calls reports what went wrong instead of stopping.
 */
export class SimulatedCaller implements PacingListener {
  readonly protocol: CallerProtocol;
  readonly sessionId: string;
  readonly callId: string | undefined;
  readonly sampleRate: number;
  /** Resolves with the record when the call has ended, however it ended. */
  readonly done: Promise<CallRecord>;

  readonly #options: SimulatedCallerOptions;
  readonly #clock: PacingClock;
  readonly #meter: CallMeter;
  readonly #threshold: number;
  readonly #participant: string;
  readonly #markEveryTicks: number;
  readonly #maxEnvelopes: number;
  readonly #silence: EncodedFrames;
  #resolveDone!: (record: CallRecord) => void;
  #state: CallerState = 'idle';
  #ws: WebSocket | undefined;
  #connecting: Promise<boolean> | undefined;
  #resolveConnect: ((open: boolean) => void) | undefined;
  #unsubscribe: (() => void) | undefined;
  #hangupRequested = false;
  #hangupTimer: NodeJS.Timeout | undefined;
  #sessionEnded = false;
  #everOpen = false;
  readonly #queue: Utterance[] = [];
  #current: Utterance | undefined;
  readonly #waiters = new Set<Waiter>();
  readonly #envelopes: EnvelopeReceived[] = [];
  #lastMark = -1;

  constructor(options: SimulatedCallerOptions) {
    this.#options = options;
    this.protocol = options.protocol;
    this.sessionId = options.sessionId ?? randomUUID();
    this.callId = options.protocol === 'acs' ? (options.callId ?? randomUUID()) : options.callId;
    this.sampleRate = options.sampleRate ?? 16000;
    const rates: readonly number[] = options.protocol === 'acs' ? ACS_SAMPLE_RATES : BROWSER_SAMPLE_RATES;
    if (!rates.includes(this.sampleRate))
      throw new SimulatedCallerError(
        `${options.protocol} audio is ${rates.join(', ')} Hz, not ${this.sampleRate}`,
      );
    this.#clock = options.clock ?? sharedPacingClock();
    this.#threshold = options.speechRmsThreshold ?? 0.01;
    this.#meter = new CallMeter({
      sampleRate: this.sampleRate,
      speechRmsThreshold: this.#threshold,
      speechHangoverMs: options.speechHangoverMs ?? 200,
    });
    this.#participant = options.participantRawId ?? '4:+15551230000';
    this.#markEveryTicks = Math.max(
      1,
      Math.round((options.playedMarkIntervalMs ?? 100) / this.#clock.frameMs),
    );
    this.#maxEnvelopes = options.maxEnvelopes ?? 10_000;
    const silence = [new Int16Array(samplesPerFrame(this.sampleRate))];
    // One silence frame per caller: its timestamp slot is rewritten every send.
    this.#silence =
      this.protocol === 'acs'
        ? encodeAcsAudioFrames(silence, this.#participant)
        : encodeBrowserAudioFrames(silence);
    this.done = new Promise((resolve) => (this.#resolveDone = resolve));
  }

  get state(): CallerState {
    return this.#state;
  }

  /** Browser envelopes received so far, oldest first. */
  get envelopes(): readonly EnvelopeReceived[] {
    return this.#envelopes;
  }

  /** Payloads of the envelopes of one type, oldest first. */
  envelopesOfType(type: Envelope['type']): Envelope[] {
    return this.#envelopes.filter((item) => item.envelope.type === type).map((item) => item.envelope);
  }

  /** Opens the socket and starts the stream; resolves false (with the reason recorded) if that fails. */
  connect(): Promise<boolean> {
    if (this.#connecting) return this.#connecting;
    this.#connecting = new Promise<boolean>((resolve) => (this.#resolveConnect = resolve));
    this.#meter.started(performance.now());
    this.#state = 'connecting';
    const { signal } = this.#options;
    if (signal?.aborted) {
      this.#hangupRequested = true;
      this.#finish(undefined, undefined);
      return this.#connecting;
    }
    signal?.addEventListener('abort', this.#onAbort, { once: true });
    let ws: WebSocket;
    try {
      const url = callerUrl(this.#options.url, this.protocol, this.sessionId, this.callId);
      const acsHeaders: Record<string, string> =
        this.protocol === 'acs' && this.callId !== undefined
          ? { 'x-ms-call-connection-id': this.callId, 'x-ms-call-correlation-id': randomUUID() }
          : {};
      ws = new WebSocket(url, {
        headers: { ...acsHeaders, ...this.#options.headers },
        handshakeTimeout: this.#options.connectTimeoutMs ?? 10_000,
        // Compression would cost the generator more CPU than the whole call; phones do not compress.
        perMessageDeflate: false,
        ...(this.#options.zeroMask === false ? {} : { generateMask: (mask: Buffer) => void mask.fill(0) }),
      });
    } catch (err) {
      this.#error('connect_failed', errorMessage(err));
      this.#finish(undefined, undefined);
      return this.#connecting;
    }
    this.#ws = ws;
    ws.on('open', this.#onOpen);
    ws.on('unexpected-response', this.#onUnexpectedResponse);
    ws.on('message', this.#onMessage);
    ws.on('error', this.#onError);
    ws.on('close', (code: number, reason: Buffer) => this.#finish(code, reason.toString()));
    return this.#connecting;
  }

  /**
   * Queues `audio` (mono PCM16 at the caller's rate) to be spoken after what is already queued: sent in
   * exact 20 ms frames at real-time pace, the last frame padded with silence. Resolves true once its last
   * frame is sent, false if the call ended first. The array must not change afterwards: its encoded frames
   * are cached for every caller that says it.
   */
  say(audio: Pcm16, options: SayOptions = {}): Promise<boolean> {
    if (this.#state === 'closed') return Promise.resolve(false);
    const frames = prepareUtterance(
      audio,
      this.protocol,
      this.sampleRate,
      this.#participant,
      this.#threshold,
    );
    if (frames.frames.length === 0) return Promise.resolve(true);
    return new Promise<boolean>((done) => {
      this.#queue.push({ frames, label: options.label, next: 0, turn: undefined, done });
    });
  }

  /** Resolves when agent speech is playing: at once if it is, else with the next speech frame. */
  waitForAgentSpeech(options: WaitOptions): Promise<WaitResult> {
    return this.#wait((now) => this.#meter.playback.isSpeaking(now), options, 'agent speech');
  }

  /**
   * Resolves once no agent speech has played for `silenceMs` on the caller's playback clock (audio still
   * queued counts as playing). It may resolve at once: wait for agent speech first to wait for a reply.
   */
  waitForAgentSilence(options: SilenceWaitOptions): Promise<WaitResult> {
    return this.#wait(
      (now) =>
        Math.min(this.#meter.playback.quietForMs(now), this.#meter.sinceStream(now)) >= options.silenceMs,
      options,
      `${options.silenceMs} ms of agent silence`,
    );
  }

  /** Sends DTMF now (ACS: one DtmfData per digit; browser: one `dtmf` message); false if not connected. */
  sendDtmf(digits: string): boolean {
    if (!DTMF_DIGITS.test(digits))
      throw new SimulatedCallerError(`not DTMF digits: ${JSON.stringify(digits)}`);
    if (this.protocol === 'browser') return this.#sendText(encodeBrowserText({ type: 'dtmf', digits }));
    let sent = true;
    for (const digit of digits) sent = this.#sendText(encodeAcsDtmf(digit)) && sent;
    return sent;
  }

  /** Sends typed text (browser only) as a turn of its own; false if not connected. */
  sendText(text: string): boolean {
    if (this.protocol !== 'browser') throw new SimulatedCallerError('sendText is a browser-protocol message');
    if (!this.#sendText(encodeBrowserText({ type: 'user_text', text }))) return false;
    const now = performance.now();
    const turn = this.#meter.startTurn(now, 'text');
    this.#meter.speechStarted(turn, now);
    this.#meter.speechEnded(turn, now);
    return true;
  }

  /** Ends the call (close 1000) and resolves with its record once the socket has closed. */
  hangup(): Promise<CallRecord> {
    if (this.#state === 'closed') return this.done;
    this.#hangupRequested = true;
    const ws = this.#ws;
    if (this.#state === 'idle' || !ws) {
      this.#finish(undefined, undefined);
    } else if (this.#state === 'connecting') {
      ws.terminate();
    } else {
      ws.close(1000, 'caller hung up');
      // A server that never answers the close frame does not keep the caller alive.
      this.#hangupTimer ??= setTimeout(() => ws.terminate(), 2000);
    }
    return this.done;
  }

  /** What the call measured so far (a snapshot; complete once `done` has resolved). */
  record(): CallRecord {
    const call = { protocol: this.protocol, sessionId: this.sessionId, callId: this.callId };
    return this.#meter.record(call, performance.now());
  }

  /** One beat of the shared clock: the next frame of the current utterance, or silence. */
  onTick(tick: PacingTick): void {
    const ws = this.#ws;
    // Not after hangup() either: the socket is closing then.
    if (this.#state !== 'open' || !ws || ws.readyState !== WebSocket.OPEN) return;
    try {
      const now = performance.now();
      let frame: Buffer;
      let timestampOffset: number;
      const utterance = (this.#current ??= this.#queue.shift());
      if (utterance) {
        const i = utterance.next;
        const turn = (utterance.turn ??= this.#meter.startTurn(now, utterance.label));
        if (i === utterance.frames.firstSpeech) this.#meter.speechStarted(turn, now);
        if (i === utterance.frames.lastSpeech) this.#meter.speechEnded(turn, now);
        frame = utterance.frames.frames[i]!;
        timestampOffset = utterance.frames.timestampOffset;
        utterance.next = i + 1;
      } else {
        frame = this.#silence.frames[0]!;
        timestampOffset = this.#silence.timestampOffset;
      }
      stampTimestamp(frame, timestampOffset, tick.isoTime);
      ws.send(frame, { binary: this.protocol === 'browser' });
      this.#meter.frameSent(frame.length, ws.bufferedAmount);
      if (utterance && utterance.next === utterance.frames.frames.length) {
        this.#current = undefined;
        utterance.done(true);
      }
      if (this.protocol === 'browser' && tick.index % this.#markEveryTicks === 0) this.#sendPlayedMark(now);
      this.#checkWaiters(now);
    } catch (err) {
      this.#error('socket_error', `sending: ${errorMessage(err)}`);
    }
  }

  readonly #onOpen = (): void => {
    const ws = this.#ws!;
    this.#state = 'open';
    this.#everOpen = true;
    const first =
      this.protocol === 'acs'
        ? encodeAcsMetadata(this.sampleRate as AcsSampleRate)
        : encodeBrowserText({ type: 'start', sample_rate: this.sampleRate as BrowserSampleRate });
    ws.send(first);
    this.#meter.opened(performance.now());
    this.#unsubscribe = this.#clock.add(this);
    this.#resolveConnect?.(true);
  };

  readonly #onUnexpectedResponse = (_request: unknown, response: IncomingMessage): void => {
    this.#meter.refused(response.statusCode ?? 0);
    let body = '';
    let refused = false;
    const refuse = () => {
      if (refused) return;
      refused = true;
      const detail = body.trim() ? `: ${body.trim().slice(0, 200)}` : '';
      this.#error(
        'upgrade_refused',
        `HTTP ${response.statusCode} ${response.statusMessage ?? ''}`.trim() + detail,
      );
      this.#ws?.terminate();
    };
    // The body usually says why (overloaded, unauthorized); read a little of it, briefly.
    const timer = setTimeout(refuse, 500);
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      if (body.length < 1000) body += chunk;
    });
    response.on('end', () => {
      clearTimeout(timer);
      refuse();
    });
    response.on('error', () => {
      clearTimeout(timer);
      refuse();
    });
  };

  readonly #onError = (err: Error): void => {
    if (this.#state === 'connecting') {
      // After a refused upgrade, ws reports its own abort of the handshake: already recorded.
      if (this.#meter.refusedStatus !== undefined || this.#hangupRequested) return;
      const timedOut = /handshake has timed out/i.test(err.message);
      this.#error(timedOut ? 'connect_timeout' : 'connect_failed', errorMessage(err));
    } else if (this.#state === 'open' && !this.#hangupRequested) {
      this.#error('socket_error', errorMessage(err));
    }
  };

  readonly #onAbort = (): void => {
    void this.hangup();
  };

  readonly #onMessage = (data: WebSocket.RawData, isBinary: boolean): void => {
    const now = performance.now();
    const bytes = Buffer.isBuffer(data)
      ? data
      : Array.isArray(data)
        ? Buffer.concat(data)
        : Buffer.from(data);
    if (isBinary) {
      if (this.protocol === 'acs') this.#error('malformed_message', 'binary frame on the ACS protocol', now);
      else if (bytes.length % 2 !== 0) this.#meter.agentAudio(undefined, bytes.length, now);
      else this.#meter.agentAudio(bytesToPcm16(bytes), bytes.length, now);
      return;
    }
    const text = bytes.toString('utf8');
    const message: ServerMessage =
      this.protocol === 'acs' ? readAcsServerText(text) : readBrowserServerText(text);
    switch (message.kind) {
      case 'audio':
        this.#meter.agentAudio(message.samples, message.samples.byteLength, now);
        this.#checkWaiters(now);
        return;
      case 'stop':
        this.#onStop(now, message.untilMs);
        return;
      case 'envelope':
        if (message.envelope.type === 'session_end') this.#sessionEnded = true;
        if (this.#envelopes.length < this.#maxEnvelopes)
          this.#envelopes.push({ atMs: this.#meter.sinceStart(now), envelope: message.envelope });
        return;
      case 'invalid_frame':
        // Not whole samples: a frame that arrived (its size is in the reason) but cannot be played.
        this.#meter.agentAudio(undefined, 0, now, message.reason);
        return;
      case 'malformed_message':
        this.#error('malformed_message', `${message.reason} (${text.slice(0, 60)})`, now);
        return;
      case 'control':
        return;
    }
  };

  #onStop(now: number, untilMs: number | undefined): void {
    this.#meter.agentStopped(now);
    // The flushed audio counts as elapsed: our played counter goes on from the server's output position.
    if (untilMs !== undefined) this.#meter.playback.resume(untilMs);
    // Tell the server at once what was heard: it truncates the agent's reply to that.
    if (this.protocol === 'browser') this.#sendPlayedMark(now);
  }

  #sendPlayedMark(now: number): void {
    const played = Math.round(this.#meter.playback.playedMs(now));
    if (played === this.#lastMark) return;
    if (this.#sendText(encodeBrowserText({ type: 'played', until_ms: played }))) this.#lastMark = played;
  }

  #sendText(message: string): boolean {
    const ws = this.#ws;
    if (this.#state !== 'open' || !ws) return false;
    ws.send(message);
    return true;
  }

  #wait(test: (now: number) => boolean, options: WaitOptions, what: string): Promise<WaitResult> {
    const now = performance.now();
    if (this.#state === 'closed') return Promise.resolve({ ok: false, reason: 'closed' });
    if (this.#state === 'open' && test(now))
      return Promise.resolve({ ok: true, atMs: this.#meter.sinceStart(now) });
    if (options.signal?.aborted) return Promise.resolve({ ok: false, reason: 'aborted' });
    return new Promise<WaitResult>((resolve) => {
      const onAbort = () => waiter.settle({ ok: false, reason: 'aborted' });
      const timer = setTimeout(() => {
        this.#error('timeout', `no ${what} within ${options.timeoutMs} ms`);
        waiter.settle({ ok: false, reason: 'timeout' });
      }, options.timeoutMs);
      const waiter: Waiter = {
        test,
        settle: (result) => {
          clearTimeout(timer);
          options.signal?.removeEventListener('abort', onAbort);
          this.#waiters.delete(waiter);
          resolve(result);
        },
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.add(waiter);
    });
  }

  #checkWaiters(now: number): void {
    if (this.#waiters.size === 0) return;
    for (const waiter of this.#waiters)
      if (waiter.test(now)) waiter.settle({ ok: true, atMs: this.#meter.sinceStart(now) });
  }

  #error(kind: CallErrorKind, reason: string, at = performance.now()): void {
    this.#meter.error(kind, reason, at);
  }

  #finish(code: number | undefined, reason: string | undefined): void {
    if (this.#state === 'closed') return;
    const now = performance.now();
    this.#state = 'closed';
    this.#unsubscribe?.();
    clearTimeout(this.#hangupTimer);
    this.#options.signal?.removeEventListener('abort', this.#onAbort);
    if (this.#hangupRequested || !this.#everOpen) {
      this.#meter.ended(now, {
        endedBy: this.#hangupRequested ? 'caller' : 'error',
        ...(this.#everOpen ? { closeCode: code, closeReason: reason } : {}),
      });
    } else {
      // A browser session may end normally after session_end; ACS never expects the server to hang up.
      const normal = this.protocol === 'browser' && this.#sessionEnded && code === 1000;
      if (!normal)
        this.#error('server_closed', `server closed the call: ${code ?? '?'} ${reason ?? ''}`.trim(), now);
      this.#meter.ended(now, { endedBy: 'server', closeCode: code, closeReason: reason });
    }
    for (const utterance of [...(this.#current ? [this.#current] : []), ...this.#queue])
      utterance.done(false);
    this.#current = undefined;
    this.#queue.length = 0;
    for (const waiter of this.#waiters) waiter.settle({ ok: false, reason: 'closed' });
    this.#resolveConnect?.(false);
    this.#resolveDone(this.record());
  }
}
