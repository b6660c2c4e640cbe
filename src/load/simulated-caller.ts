import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { errorMessage, RtvoiceError } from '../errors.ts';
import { samplesPerFrame, type Pcm16 } from '../audio/pcm.ts';
import type { Envelope } from '../connections/envelope.ts';
import { CallMeter, type MeteredTurn } from './call-meter.ts';
import type { CallErrorKind, CallRecord } from './call-record.ts';
import {
  sharedPacingClock,
  type PacingClock,
  type PacingListener,
  type PacingTick,
} from '../audio/pacing-clock.ts';
import { prepareUtterance, type PreparedUtterance } from './utterance.ts';
import { Waiters, type WaitOptions, type WaitResult } from './waiters.ts';
import { callerUrl, refusalOf, WIRES } from './wire/dial.ts';
import {
  stampTimestamp,
  type CallerProtocol,
  type CallerWire,
  type EncodedFrames,
} from './wire/caller-wire.ts';

export type { CallerProtocol } from './wire/caller-wire.ts';
export { callerUrl } from './wire/dial.ts';
export type { WaitOptions, WaitResult } from './waiters.ts';

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
  /** Every frame of agent audio as it arrives (to record what the caller hears). */
  readonly onAgentAudio?: (samples: Pcm16) => void;
}

export interface SayOptions {
  /** Kept in the turn record. */
  readonly label?: string;
}

export interface SilenceWaitOptions extends WaitOptions {
  /** Quiet needed, on the caller's playback clock. */
  readonly silenceMs: number;
}

export type CallerState = 'idle' | 'connecting' | 'open' | 'closed';

export interface EnvelopeReceived {
  readonly atMs: number;
  readonly envelope: Envelope;
}

interface Utterance {
  readonly frames: PreparedUtterance;
  readonly label: string | undefined;
  next: number;
  turn: MeteredTurn | undefined;
  readonly done: (sent: boolean) => void;
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

  private readonly options: SimulatedCallerOptions;
  private readonly wire: CallerWire;
  private readonly clock: PacingClock;
  private readonly meter: CallMeter;
  private readonly threshold: number;
  private readonly participant: string;
  private readonly markEveryTicks: number;
  private readonly maxEnvelopes: number;
  private readonly silence: EncodedFrames;
  private resolveDone!: (record: CallRecord) => void;
  private callState: CallerState = 'idle';
  private ws: WebSocket | undefined;
  private connecting: Promise<boolean> | undefined;
  private resolveConnect: ((open: boolean) => void) | undefined;
  private unsubscribe: (() => void) | undefined;
  private hangupRequested = false;
  private hangupTimer: NodeJS.Timeout | undefined;
  private sessionEnded = false;
  private everOpen = false;
  private readonly queue: Utterance[] = [];
  private current: Utterance | undefined;
  private readonly waiters = new Waiters();
  private readonly received: EnvelopeReceived[] = [];
  private lastMark = -1;

  constructor(options: SimulatedCallerOptions) {
    this.options = options;
    this.protocol = options.protocol;
    this.sessionId = options.sessionId ?? randomUUID();
    this.wire = WIRES[options.protocol];
    this.callId = this.wire.callId(options.callId);
    this.sampleRate = options.sampleRate ?? 16000;
    const rates = this.wire.sampleRates;
    if (!rates.includes(this.sampleRate))
      throw new SimulatedCallerError(
        `${options.protocol} audio is ${rates.join(', ')} Hz, not ${this.sampleRate}`,
      );
    this.clock = options.clock ?? sharedPacingClock();
    this.threshold = options.speechRmsThreshold ?? 0.01;
    this.meter = new CallMeter({
      sampleRate: this.sampleRate,
      speechRmsThreshold: this.threshold,
      speechHangoverMs: options.speechHangoverMs ?? 200,
    });
    this.participant = options.participantRawId ?? '4:+15551230000';
    this.markEveryTicks = Math.max(1, Math.round((options.playedMarkIntervalMs ?? 100) / this.clock.frameMs));
    this.maxEnvelopes = options.maxEnvelopes ?? 10_000;
    const silence = [new Int16Array(samplesPerFrame(this.sampleRate))];
    // One silence frame per caller: its timestamp slot is rewritten every send.
    this.silence = this.wire.encodeFrames(silence, this.participant);
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  get state(): CallerState {
    return this.callState;
  }

  /** Browser envelopes received so far, oldest first. */
  get envelopes(): readonly EnvelopeReceived[] {
    return this.received;
  }

  /** Payloads of the envelopes of one type, oldest first. */
  envelopesOfType(type: Envelope['type']): Envelope[] {
    return this.received.filter((item) => item.envelope.type === type).map((item) => item.envelope);
  }

  /** Opens the socket and starts the stream; resolves false (with the reason recorded) if that fails. */
  connect(): Promise<boolean> {
    if (this.connecting) return this.connecting;
    this.connecting = new Promise<boolean>((resolve) => (this.resolveConnect = resolve));
    this.meter.started(performance.now());
    this.callState = 'connecting';
    const { signal } = this.options;
    if (signal?.aborted) {
      this.hangupRequested = true;
      this.finish(undefined, undefined);
      return this.connecting;
    }
    signal?.addEventListener('abort', this.onAbort, { once: true });
    let ws: WebSocket;
    try {
      const url = callerUrl(this.options.url, this.protocol, this.sessionId, this.callId);
      ws = new WebSocket(url, {
        headers: { ...this.wire.headers(this.callId), ...this.options.headers },
        handshakeTimeout: this.options.connectTimeoutMs ?? 10_000,
        // Compression would cost the generator more CPU than the whole call; phones do not compress.
        perMessageDeflate: false,
        ...(this.options.zeroMask === false ? {} : { generateMask: (mask: Buffer) => void mask.fill(0) }),
      });
    } catch (err) {
      this.error('connect_failed', errorMessage(err));
      this.finish(undefined, undefined);
      return this.connecting;
    }
    this.ws = ws;
    ws.on('open', this.onOpen);
    ws.on('unexpected-response', this.onUnexpectedResponse);
    ws.on('message', this.onMessage);
    ws.on('error', this.onError);
    ws.on('close', (code: number, reason: Buffer) => this.finish(code, reason.toString()));
    return this.connecting;
  }

  /**
   * Queues `audio` (mono PCM16 at the caller's rate) to be spoken after what is already queued: sent in
   * exact 20 ms frames at real-time pace, the last frame padded with silence. Resolves true once its last
   * frame is sent, false if the call ended first. The array must not change afterwards: its encoded frames
   * are cached for every caller that says it.
   */
  say(audio: Pcm16, options: SayOptions = {}): Promise<boolean> {
    if (this.callState === 'closed') return Promise.resolve(false);
    const frames = prepareUtterance(audio, this.wire, this.sampleRate, this.participant, this.threshold);
    if (frames.frames.length === 0) return Promise.resolve(true);
    return new Promise<boolean>((done) => {
      this.queue.push({ frames, label: options.label, next: 0, turn: undefined, done });
    });
  }

  /** Resolves when agent speech is playing: at once if it is, else with the next speech frame. */
  waitForAgentSpeech(options: WaitOptions): Promise<WaitResult> {
    return this.wait((now) => this.meter.playback.isSpeaking(now), options, 'agent speech');
  }

  /**
   * Resolves once no agent speech has played for `silenceMs` on the caller's playback clock (audio still
   * queued counts as playing). It may resolve at once: wait for agent speech first to wait for a reply.
   */
  waitForAgentSilence(options: SilenceWaitOptions): Promise<WaitResult> {
    return this.wait(
      (now) =>
        Math.min(this.meter.playback.quietForMs(now), this.meter.sinceStream(now)) >= options.silenceMs,
      options,
      `${options.silenceMs} ms of agent silence`,
    );
  }

  /** Sends DTMF now (ACS: one DtmfData per digit; browser: one `dtmf` message); false if not connected. */
  sendDtmf(digits: string): boolean {
    if (!DTMF_DIGITS.test(digits))
      throw new SimulatedCallerError(`not DTMF digits: ${JSON.stringify(digits)}`);
    let sent = true;
    for (const message of this.wire.dtmf(digits)) sent = this.sendMessage(message) && sent;
    return sent;
  }

  /** Sends typed text (browser only) as a turn of its own; false if not connected. */
  sendText(text: string): boolean {
    const { text: encode } = this.wire;
    if (!encode) throw new SimulatedCallerError('sendText is a browser-protocol message');
    if (!this.sendMessage(encode(text))) return false;
    const now = performance.now();
    const turn = this.meter.startTurn(now, 'text');
    this.meter.speechStarted(turn, now);
    this.meter.speechEnded(turn, now);
    return true;
  }

  /** Ends the call (close 1000) and resolves with its record once the socket has closed. */
  hangup(): Promise<CallRecord> {
    if (this.callState === 'closed') return this.done;
    this.hangupRequested = true;
    const ws = this.ws;
    if (this.callState === 'idle' || !ws) {
      this.finish(undefined, undefined);
    } else if (this.callState === 'connecting') {
      ws.terminate();
    } else {
      ws.close(1000, 'caller hung up');
      // A server that never answers the close frame does not keep the caller alive.
      this.hangupTimer ??= setTimeout(() => ws.terminate(), 2000);
    }
    return this.done;
  }

  /** What the call measured so far (a snapshot; complete once `done` has resolved). */
  record(): CallRecord {
    const call = { protocol: this.protocol, sessionId: this.sessionId, callId: this.callId };
    return this.meter.record(call, performance.now());
  }

  /** One beat of the shared clock: the next frame of the current utterance, or silence. */
  onTick(tick: PacingTick): void {
    const ws = this.ws;
    // Not after hangup() either: the socket is closing then.
    if (this.callState !== 'open' || !ws || ws.readyState !== WebSocket.OPEN) return;
    try {
      const now = performance.now();
      let frame: Buffer;
      let timestampOffset: number;
      const utterance = (this.current ??= this.queue.shift());
      if (utterance) {
        const i = utterance.next;
        const turn = (utterance.turn ??= this.meter.startTurn(now, utterance.label));
        if (i === utterance.frames.firstSpeech) this.meter.speechStarted(turn, now);
        if (i === utterance.frames.lastSpeech) this.meter.speechEnded(turn, now);
        frame = utterance.frames.frames[i]!;
        timestampOffset = utterance.frames.timestampOffset;
        utterance.next = i + 1;
      } else {
        frame = this.silence.frames[0]!;
        timestampOffset = this.silence.timestampOffset;
      }
      stampTimestamp(frame, timestampOffset, tick.isoTime);
      ws.send(frame, { binary: this.wire.binaryAudio });
      this.meter.frameSent(frame.length, ws.bufferedAmount);
      if (utterance && utterance.next === utterance.frames.frames.length) {
        this.current = undefined;
        utterance.done(true);
      }
      if (tick.index % this.markEveryTicks === 0) this.sendPlayedMark(now);
      this.checkWaiters(now);
    } catch (err) {
      this.error('socket_error', `sending: ${errorMessage(err)}`);
    }
  }

  private readonly onOpen = (): void => {
    const ws = this.ws!;
    this.callState = 'open';
    this.everOpen = true;
    ws.send(this.wire.startMessage(this.sampleRate));
    this.meter.opened(performance.now());
    this.unsubscribe = this.clock.add(this);
    this.resolveConnect?.(true);
  };

  private readonly onUnexpectedResponse = (_request: unknown, response: IncomingMessage): void => {
    this.meter.refused(response.statusCode ?? 0);
    void refusalOf(response).then((reason) => {
      this.error('upgrade_refused', reason);
      this.ws?.terminate();
    });
  };

  private readonly onError = (err: Error): void => {
    if (this.callState === 'connecting') {
      // After a refused upgrade, ws reports its own abort of the handshake: already recorded.
      if (this.meter.refusedStatus !== undefined || this.hangupRequested) return;
      const timedOut = /handshake has timed out/i.test(err.message);
      this.error(timedOut ? 'connect_timeout' : 'connect_failed', errorMessage(err));
    } else if (this.callState === 'open' && !this.hangupRequested) {
      this.error('socket_error', errorMessage(err));
    }
  };

  private readonly onAbort = (): void => {
    void this.hangup();
  };

  private readonly onMessage = (data: WebSocket.RawData, isBinary: boolean): void => {
    const now = performance.now();
    const bytes = Buffer.isBuffer(data)
      ? data
      : Array.isArray(data)
        ? Buffer.concat(data)
        : Buffer.from(data);
    const message = this.wire.read(bytes, isBinary);
    switch (message.kind) {
      case 'audio':
        this.meter.agentAudio(message.samples, message.samples.byteLength, now);
        this.options.onAgentAudio?.(message.samples);
        this.checkWaiters(now);
        return;
      case 'stop':
        this.onStop(now, message.untilMs);
        return;
      case 'envelope':
        if (message.envelope.type === 'session_end') this.sessionEnded = true;
        if (this.received.length < this.maxEnvelopes)
          this.received.push({ atMs: this.meter.sinceStart(now), envelope: message.envelope });
        return;
      case 'invalid_frame':
        // A frame that arrived but cannot be played (not whole samples, or not 20 ms).
        this.meter.agentAudio(undefined, message.bytes, now, message.reason);
        return;
      case 'malformed_message':
        this.error('malformed_message', message.reason, now);
        return;
      case 'control':
        return;
    }
  };

  private onStop(now: number, untilMs: number | undefined): void {
    this.meter.agentStopped(now);
    // The flushed audio counts as elapsed: our played counter goes on from the server's output position.
    if (untilMs !== undefined) this.meter.playback.resume(untilMs);
    // Tell the server at once what was heard: it truncates the agent's reply to that.
    this.sendPlayedMark(now);
  }

  /** Tells the server how much agent audio played, where the protocol has played marks. */
  private sendPlayedMark(now: number): void {
    const { playedMark } = this.wire;
    if (!playedMark) return;
    const played = Math.round(this.meter.playback.playedMs(now));
    if (played === this.lastMark) return;
    if (this.sendMessage(playedMark(played))) this.lastMark = played;
  }

  private sendMessage(message: string): boolean {
    const ws = this.ws;
    if (this.callState !== 'open' || !ws) return false;
    ws.send(message);
    return true;
  }

  private wait(test: (now: number) => boolean, options: WaitOptions, what: string): Promise<WaitResult> {
    const now = performance.now();
    if (this.callState === 'closed') return Promise.resolve({ ok: false, reason: 'closed' });
    if (this.callState === 'open' && test(now))
      return Promise.resolve({ ok: true, atMs: this.meter.sinceStart(now) });
    return this.waiters.add(test, options, () =>
      this.error('timeout', `no ${what} within ${options.timeoutMs} ms`),
    );
  }

  private checkWaiters(now: number): void {
    this.waiters.check(now, this.meter.sinceStart(now));
  }

  private error(kind: CallErrorKind, reason: string, at = performance.now()): void {
    this.meter.error(kind, reason, at);
  }

  private finish(code: number | undefined, reason: string | undefined): void {
    if (this.callState === 'closed') return;
    const now = performance.now();
    this.callState = 'closed';
    this.unsubscribe?.();
    clearTimeout(this.hangupTimer);
    this.options.signal?.removeEventListener('abort', this.onAbort);
    if (this.hangupRequested || !this.everOpen) {
      this.meter.ended(now, {
        endedBy: this.hangupRequested ? 'caller' : 'error',
        ...(this.everOpen ? { closeCode: code, closeReason: reason } : {}),
      });
    } else {
      if (!this.wire.closesNormally(code, this.sessionEnded))
        this.error('server_closed', `server closed the call: ${code ?? '?'} ${reason ?? ''}`.trim(), now);
      this.meter.ended(now, { endedBy: 'server', closeCode: code, closeReason: reason });
    }
    for (const utterance of [...(this.current ? [this.current] : []), ...this.queue]) utterance.done(false);
    this.current = undefined;
    this.queue.length = 0;
    this.waiters.close();
    this.resolveConnect?.(false);
    this.resolveDone(this.record());
  }
}
