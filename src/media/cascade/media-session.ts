import { context, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { UserInput } from '../../agents/events.ts';
import type { Orchestrator, TurnStream } from '../../agents/orchestrator.ts';
import type { VoiceSelection } from '../../agents/voices.ts';
import { createResampler, type Resampler } from '../../audio/resampler.ts';
import { NoiseFloor, rms } from '../../audio/levels.ts';
import { concatPcm16, type Pcm16 } from '../../audio/pcm.ts';
import { envelope, type EnvelopeType } from '../../connections/envelope.ts';
import { errorMessage } from '../../errors.ts';
import { builtInGrammar } from '../../speech/grammars.ts';
import type { SpeechServices } from '../../speech/speech-services.ts';
import type { Recognizer, TtsProvider } from '../../speech/types.ts';
import { PIPELINE_SAMPLE_RATE, type VadEvent, type VoiceActivityDetector } from '../../speech/types.ts';
import type { MemoManager } from '../../state/memo-manager.ts';
import type { Logger } from '../../telemetry/logger.ts';
import { tracer } from '../../telemetry/tracing.ts';
import { LatencyTool } from './latency-tool.ts';
import { OutputPacer } from './output-pacer.ts';
import { SpeechOutput } from './speech-output.ts';
import type { CallHandler, MediaTransport } from '../../transports/transport.ts';

/** Turn-taking settings (BARGE_IN_MIN_SPEECH_MS, OUTPUT_LEAD_MS, DTMF_INTERDIGIT_MS; EOU_SILENCE_MS sets the pooled VADs). */
export interface MediaSettings {
  /** Caller speech this long while the agent speaks interrupts it; shorter sounds are backchannels. */
  readonly bargeInMinSpeechMs: number;
  /** How far ahead of playback agent audio is sent. */
  readonly outputLeadMs: number;
  /** Keypad digits end after this pause (or on #). */
  readonly dtmfInterDigitMs: number;
}

export interface MediaSessionDeps {
  readonly speech: SpeechServices;
  readonly orchestrator: Orchestrator;
  readonly memo: MemoManager;
  readonly transport: MediaTransport;
  readonly settings: MediaSettings;
  readonly log: Logger;
  readonly callId: string | undefined;
  /** Where each turn's latencies go besides the session (Prometheus). */
  readonly observeLatency: (stage: string, ms: number) => void;
}

/** The per-turn figures, in the `metrics` envelope and the turn's span. */
export const TURN_METRICS = [
  'eou_delay_ms',
  'stt_final_ms',
  'agent_first_text_ms',
  'tts_first_audio_ms',
  'voice_to_voice_ms',
  'barge_in_stop_ms',
  'barge_in_played_ms',
  'greeting_ttfb_ms',
] as const;

/** How long an interrupted browser turn waits for the page's played mark before its metrics go out. */
const PLAYED_CONFIRMATION_MS = 1000;
/** Caller audio kept from before the VAD fires, so the recognizer hears the word's beginning. */
const PREROLL_MS = 300;

interface ActiveTurn {
  readonly stream: TurnStream;
  readonly controller: AbortController;
  readonly span: Span;
  readonly latency: LatencyTool;
  readonly greeting: boolean;
  /** Set once the agent's first audio frame of the turn is sent. */
  firstFrameSent: boolean;
  spokenText: string;
  interrupted: boolean;
  /** The turn's stream and synthesis have finished (its audio may still be playing). */
  produced: boolean;
  /** Its metrics were published and its span ended. */
  finished: boolean;
}

/** A barge-in being decided: caller speech started while the agent spoke. */
interface BargeInGate {
  /** Wall-clock (performance.now) time the caller started speaking. */
  readonly onsetAt: number;
  /** The same moment on the caller-audio clock. */
  readonly onsetAudioMs: number;
  /** Milliseconds of sound (not silence) since the onset: the gate counts speech, not time. */
  voicedMs: number;
  confirmed: boolean;
  stoppedAt?: number;
}

/**
 * One call in `media` mode: the cascade VAD → STT → end of turn → agent → sentences → TTS → pacer, with
 * barge-in. Caller audio is handled strictly in arrival order, synchronously; the agent's turn runs
 * beside it and is cancelled the moment the caller interrupts for long enough.
 */
export class MediaSession implements CallHandler {
  private readonly deps: MediaSessionDeps;
  private readonly log: Logger;
  private readonly callSpan: Span;
  private state: 'new' | 'starting' | 'live' | 'closed' = 'new';
  private recognizer: Recognizer | undefined;
  private tts: TtsProvider | undefined;
  private vad: VoiceActivityDetector | undefined;
  private inputResampler: Resampler | undefined;
  private pacer: OutputPacer | undefined;
  private voice: VoiceSelection;
  /** Caller audio received, on the caller-audio clock (ms), and when the latest piece arrived. */
  private audioMs = 0;
  private preroll: Pcm16[] = [];
  private prerollMs = 0;
  private userSpeaking = false;
  private bargeIn: BargeInGate | undefined;
  private turn: ActiveTurn | undefined;
  private endingCall = false;
  private dtmfDigits = '';
  private dtmfTimer: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private readonly noise = new NoiseFloor();
  /** Aborted when the call closes: waits for pooled resources stop with it. */
  private readonly lifetime = new AbortController();
  /** The latest `played` mark, once the audio it confirms was flushed (barge-in played variant). */
  private awaitingPlayedStop:
    { readonly gate: BargeInGate; readonly turn: ActiveTurn; readonly timer: NodeJS.Timeout } | undefined;

  constructor(deps: MediaSessionDeps) {
    this.deps = deps;
    this.log = deps.log;
    this.voice = deps.orchestrator.voiceOf(deps.orchestrator.activeAgent(deps.memo));
    this.callSpan = tracer().startSpan('call', {
      attributes: {
        'session.id': deps.memo.sessionId,
        ...(deps.callId ? { 'call.connection.id': deps.callId } : {}),
        'rtvoice.transport': deps.transport.name,
      },
    });
  }

  async start(inputRate: number): Promise<void> {
    if (this.state !== 'new') return;
    this.state = 'starting';
    this.startedAt = performance.now();
    const { speech, memo } = this.deps;
    // The greeting needs only the synthesizer: the recognizer loads while it plays.
    const recognizer = speech.recognizers.acquire({
      sessionId: memo.sessionId,
      signal: this.lifetime.signal,
    });
    recognizer.catch(() => undefined);
    try {
      this.tts = await speech.synthesizers.acquire({
        sessionId: memo.sessionId,
        signal: this.lifetime.signal,
      });
      if (this.isClosed()) return;
      this.vad = await speech.vads.acquire({ signal: this.lifetime.signal });
      if (this.isClosed()) return;
      this.inputResampler =
        inputRate === PIPELINE_SAMPLE_RATE
          ? undefined
          : await createResampler(inputRate, PIPELINE_SAMPLE_RATE);
    } catch (err) {
      void recognizer.then(
        (r) => speech.recognizers.release(r),
        () => undefined,
      );
      await this.refuse(err);
      return;
    }
    if (this.isClosed()) return;

    this.pacer = new OutputPacer({
      sampleRate: this.deps.transport.outputRate,
      leadMs: this.deps.settings.outputLeadMs,
      send: (frame, turn) => this.sendFrame(frame, turn),
    });
    this.state = 'live';
    this.publish('status', { message: 'call started', agent: this.deps.orchestrator.activeAgent(memo).name });
    this.runTurn((signal) => this.deps.orchestrator.start(memo, { signal }), true);
    try {
      const ready = await recognizer;
      if (this.isClosed()) {
        speech.recognizers.release(ready);
        return;
      }
      this.recognizer = ready;
    } catch (err) {
      await this.refuse(err);
      return;
    }
    this.recognizer.on('partial', (text) => this.publish('user_transcript', { text, final: false }));
    this.recognizer.on('error', (err) => this.log.error({ err: err.message }, 'recognizer failed'));
  }

  /** No speech resources for this call: say so and hang up. */
  private async refuse(err: unknown): Promise<void> {
    this.log.error({ err: errorMessage(err) }, 'call could not get speech resources');
    this.publish('error', {
      message: 'the speech service is busy; please call again',
      detail: errorMessage(err),
    });
    this.deps.transport.close(1013, 'speech resources unavailable, try again later');
    await this.close('no speech resources');
  }

  audio(samples: Pcm16): void {
    if (this.state !== 'live') return;
    const audio = this.inputResampler ? this.inputResampler.process(samples) : samples;
    const now = performance.now();
    this.audioMs += (audio.length * 1000) / PIPELINE_SAMPLE_RATE;
    this.remember(audio);
    const voiced = this.noise.voiced(audio);
    const events = this.vad!.process(audio);
    if (this.userSpeaking) this.recognizer?.write(audio);
    const gate = this.bargeIn;
    if (gate && voiced) gate.voicedMs += (audio.length * 1000) / PIPELINE_SAMPLE_RATE;
    for (const event of events) this.onVad(event, now);
    // The VAD's hangover keeps it "speaking" for a while after a short sound: a 100 ms "mm-hm" must not
    // pass a 200 ms gate on silence, so the gate counts voiced audio only.
    const pending = this.bargeIn;
    if (pending && !pending.confirmed && pending.voicedMs >= this.deps.settings.bargeInMinSpeechMs) {
      this.confirmBargeIn(pending);
    }
  }

  dtmf(digits: string): void {
    if (this.state !== 'live') return;
    clearTimeout(this.dtmfTimer);
    this.interruptNow();
    const complete = digits.includes('#');
    this.dtmfDigits += digits.replace(/#/g, '');
    const submit = () => {
      const collected = this.dtmfDigits;
      this.dtmfDigits = '';
      if (collected) this.respond({ kind: 'dtmf', digits: collected }, undefined);
    };
    if (complete) submit();
    else this.dtmfTimer = setTimeout(submit, this.deps.settings.dtmfInterDigitMs);
  }

  text(text: string): void {
    if (this.state !== 'live') return;
    this.interruptNow();
    this.publish('user_transcript', { text, final: true, typed: true });
    this.respond({ kind: 'text', text }, undefined);
  }

  played(): void {
    const waiting = this.awaitingPlayedStop;
    if (!waiting) return;
    this.awaitingPlayedStop = undefined;
    clearTimeout(waiting.timer);
    waiting.turn.latency.record('barge_in_played_ms', performance.now() - waiting.gate.onsetAt);
    this.finishTurn(waiting.turn);
  }

  async close(reason: string): Promise<void> {
    if (this.state === 'closed') return;
    const wasLive = this.state === 'live';
    this.state = 'closed';
    this.lifetime.abort();
    clearTimeout(this.dtmfTimer);
    const waiting = this.awaitingPlayedStop;
    this.awaitingPlayedStop = undefined;
    if (waiting) {
      clearTimeout(waiting.timer);
      this.finishTurn(waiting.turn);
    }
    this.turn?.controller.abort(new Error(`call closed: ${reason}`));
    this.pacer?.close();
    const { speech, memo, orchestrator } = this.deps;
    if (this.recognizer) {
      this.recognizer.setGrammar(undefined); // the next call starts with the open vocabulary
      speech.recognizers.release(this.recognizer);
    }
    if (this.tts) speech.synthesizers.release(this.tts);
    if (this.vad) {
      this.vad.reset();
      speech.vads.release(this.vad);
    }
    this.recognizer = undefined;
    this.tts = undefined;
    this.vad = undefined;
    orchestrator.release(memo);
    if (wasLive) this.publish('session_end', { reason });
    this.callSpan.setAttribute('rtvoice.close_reason', reason);
    this.callSpan.end();
    try {
      await memo.flush(2000);
    } catch (err) {
      this.log.warn({ err: errorMessage(err) }, 'session not fully persisted at the end of the call');
    } finally {
      memo.dispose();
    }
  }

  private isClosed(): boolean {
    return this.state === 'closed';
  }

  /** Keeps the last PREROLL_MS of caller audio. */
  private remember(audio: Pcm16): void {
    this.preroll.push(audio);
    this.prerollMs += (audio.length * 1000) / PIPELINE_SAMPLE_RATE;
    while (this.prerollMs > PREROLL_MS && this.preroll.length > 1) {
      this.prerollMs -= (this.preroll.shift()!.length * 1000) / PIPELINE_SAMPLE_RATE;
    }
  }

  /**
   * Where the sound the VAD just called speech began, on the caller-audio clock: the start of the loud
   * run at the end of `audio` (the preroll). Silero fires 100 ms or more into a soft onset; the barge-in gate
   * counts from the real start.
   */
  private energyOnsetMs(audio: Pcm16): number {
    const window = PIPELINE_SAMPLE_RATE / 100; // 10 ms
    let start = audio.length;
    while (start - window >= 0 && this.noise.isSound(rms(audio.subarray(start - window, start))))
      start -= window;
    return this.audioMs - ((audio.length - start) * 1000) / PIPELINE_SAMPLE_RATE;
  }

  private onVad(event: VadEvent, now: number): void {
    if (event.type === 'speech_start') {
      this.userSpeaking = true;
      // The VAD fires a little after the speech began: the recognizer gets the audio from before too.
      const preroll = concatPcm16(this.preroll);
      this.recognizer?.write(preroll);
      if (this.agentActive() && !this.bargeIn) {
        // Nothing new goes out while the gate decides whether this is an interruption.
        this.pacer!.hold();
        const onsetAudioMs = Math.min(event.speechStartMs, this.energyOnsetMs(preroll));
        this.bargeIn = {
          onsetAt: now - (this.audioMs - onsetAudioMs),
          onsetAudioMs,
          voicedMs: this.audioMs - onsetAudioMs,
          confirmed: false,
        };
      }
      return;
    }
    this.userSpeaking = false;
    const gate = this.bargeIn;
    if (gate && !gate.confirmed) {
      // A cough, "mm-hm": the agent goes on where it paused, and the sound is not a turn.
      this.bargeIn = undefined;
      this.pacer!.resume();
      this.recognizer?.flush().catch(() => undefined);
      return;
    }
    this.bargeIn = undefined;
    const speechEndAt = now - (this.audioMs - event.speechEndMs);
    this.endOfUtterance(speechEndAt, now);
  }

  /** The caller finished speaking: the recognizer's final result makes the turn. */
  private endOfUtterance(speechEndAt: number, decidedAt: number): void {
    const recognizer = this.recognizer;
    if (!recognizer) return; // still loading: the utterance could not be heard
    recognizer.flush().then(
      (result) => {
        if (this.isClosed()) return;
        const text = result.text.trim();
        if (!text) return;
        this.publish('user_transcript', { text, final: true, confidence: result.confidence });
        this.respond({ kind: 'speech', text }, { speechEndAt, decidedAt, finalAt: performance.now() });
      },
      (err: unknown) => this.log.warn({ err: errorMessage(err) }, 'recognition failed for an utterance'),
    );
  }

  /** Starts the agent's turn on the caller's input, interrupting whatever the agent was still saying. */
  private respond(
    input: UserInput,
    timing: { speechEndAt: number; decidedAt: number; finalAt: number } | undefined,
  ): void {
    if (this.endingCall) return;
    this.interruptNow();
    const turn = this.runTurn(
      (signal) => this.deps.orchestrator.runTurn(this.deps.memo, input, { signal }),
      false,
      timing?.speechEndAt,
    );
    if (!turn || !timing) return;
    turn.latency.record('eou_delay_ms', timing.decidedAt - timing.speechEndAt);
    turn.latency.record('stt_final_ms', timing.finalAt - timing.decidedAt);
    turn.latency.start('voice_to_voice_ms', timing.speechEndAt);
    // The recognizer's part of the turn: from the end-of-turn decision to its final result.
    tracer()
      .startSpan(
        'stt',
        {
          startTime: timing.decidedAt,
          attributes: { 'stt.chars': input.kind === 'dtmf' ? 0 : input.text.length },
        },
        trace.setSpan(context.active(), turn.span),
      )
      .end(timing.finalAt);
  }

  /**
   * Runs one agent turn: its sentences are spoken as they come, its frames and transcript published.
   * Aborting the turn's controller (barge-in, hang-up) cancels the agent, its tools and the synthesis.
   */
  private runTurn(
    open: (signal: AbortSignal) => TurnStream,
    greeting: boolean,
    startTime?: number,
  ): ActiveTurn | undefined {
    if (this.isClosed()) return undefined;
    const controller = new AbortController();
    const stream = open(controller.signal);
    const latency = new LatencyTool(this.deps.memo, this.deps.observeLatency);
    latency.beginRun();
    // A spoken turn starts when the caller stopped speaking: its span covers the whole wait.
    const span = tracer().startSpan(
      greeting ? 'turn.greeting' : 'turn',
      {
        attributes: {
          'session.id': this.deps.memo.sessionId,
          ...(this.deps.callId ? { 'call.connection.id': this.deps.callId } : {}),
          'agent.turn': stream.turn,
        },
        ...(startTime !== undefined ? { startTime } : {}),
      },
      trace.setSpan(context.active(), this.callSpan),
    );
    const turn: ActiveTurn = {
      stream,
      controller,
      span,
      latency,
      greeting,
      firstFrameSent: false,
      spokenText: '',
      interrupted: false,
      produced: false,
      finished: false,
    };
    this.turn = turn;
    const started = performance.now();
    if (greeting) latency.start('greeting_ttfb_ms', this.startedAt);
    latency.start('agent_first_text_ms', started);
    void context
      .with(trace.setSpan(context.active(), span), () => this.produce(turn))
      .finally(async () => {
        // The turn's figures are final once its audio has played (or it was interrupted, which finishes it).
        if (!turn.interrupted) await this.pacer?.drained();
        if (!turn.interrupted) this.finishTurn(turn);
      });
    return turn;
  }

  private async produce(turn: ActiveTurn): Promise<void> {
    const signal = turn.controller.signal;
    const output = new SpeechOutput(this.tts!, this.pacer!, this.deps.transport.outputRate);
    let firstSentence = true;
    try {
      for await (const event of abortable(turn.stream, signal)) {
        switch (event.type) {
          case 'text':
            turn.latency.stop('agent_first_text_ms');
            turn.spokenText += event.text;
            this.publish('assistant_streaming', {
              text: event.text,
              agent: event.agent,
              turn: turn.stream.turn,
            });
            break;
          case 'sentence': {
            const measure = firstSentence;
            firstSentence = false;
            output.say(event, turn.stream.turn, this.voice, signal, (requestedAt) => {
              if (measure) turn.latency.record('tts_first_audio_ms', performance.now() - requestedAt);
            });
            break;
          }
          case 'tool_start':
            this.publish('tool_start', {
              tool: event.tool,
              call_id: event.callId,
              args: event.args,
              agent: event.agent,
            });
            break;
          case 'tool_progress':
            this.publish('tool_progress', {
              tool: event.tool,
              call_id: event.callId,
              message: event.message,
              fraction: event.fraction ?? null,
            });
            break;
          case 'tool_end':
            this.publish('tool_end', {
              tool: event.tool,
              call_id: event.callId,
              ok: event.ok,
              result: event.result,
              error: event.error ?? null,
              duration_ms: event.durationMs,
            });
            break;
          case 'handoff':
            this.voice = event.voice;
            this.publish('event', {
              event: 'handoff',
              from: event.from,
              to: event.to,
              reason: event.reason ?? null,
              voice: event.voice.alias,
            });
            break;
          case 'expect':
            this.recognizer?.setGrammar(
              event.grammar === undefined ? undefined : builtInGrammar(event.grammar),
            );
            break;
          case 'end_call':
            this.endingCall = true;
            this.publish('event', {
              event: event.reason === 'human_handoff' ? 'live_agent_transfer' : 'call_ending',
              reason: event.reason,
            });
            break;
        }
      }
      await output.done();
      if (signal.aborted) return;
      this.pacer!.endOfTurn();
      turn.produced = true;
      this.publish('assistant_transcript', { text: turn.spokenText.trim(), turn: turn.stream.turn });
      if (this.endingCall) {
        await this.pacer!.drained();
        if (!this.isClosed()) {
          this.deps.transport.close(1000, 'call ended by the agent');
          await this.close('agent ended the call');
        }
      }
    } catch (err) {
      if (signal.aborted || this.isClosed()) return;
      turn.span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(err) });
      this.log.error({ err: errorMessage(err), turn: turn.stream.turn }, 'agent turn failed');
      this.publish('error', {
        message: 'the agent could not answer',
        detail: errorMessage(err),
        turn: turn.stream.turn,
      });
    }
  }

  private sendFrame(frame: Pcm16, turnNumber: number): void {
    const turn = this.turn;
    if (turn && turn.stream.turn === turnNumber && !turn.firstFrameSent) {
      turn.firstFrameSent = true;
      turn.latency.stop('voice_to_voice_ms');
      turn.latency.stop('greeting_ttfb_ms');
    }
    this.deps.transport.sendAudio(frame);
  }

  /** Whether the agent is answering or its audio is still playing. */
  private agentActive(): boolean {
    const turn = this.turn;
    return (
      (turn !== undefined && !turn.produced && !turn.controller.signal.aborted) || !(this.pacer?.idle ?? true)
    );
  }

  /** Caller speech lasted long enough: stop the agent, keep only what the caller heard. */
  private confirmBargeIn(gate: BargeInGate): void {
    gate.confirmed = true;
    this.interrupt(gate);
  }

  /** Typed text and keypad digits interrupt at once. */
  private interruptNow(): void {
    if (!this.agentActive()) return;
    const now = performance.now();
    this.interrupt({ onsetAt: now, onsetAudioMs: this.audioMs, voicedMs: 0, confirmed: true });
  }

  private interrupt(gate: BargeInGate): void {
    const turn = this.turn;
    const pacer = this.pacer!;
    const played = this.deps.transport.confirmedPlayedMs() ?? pacer.playedMs();
    const heard = turn ? pacer.heardChars(turn.stream.turn, Math.min(played, pacer.playedMs())) : 0;
    const hadAudio = !pacer.idle;
    pacer.clear();
    if (hadAudio) this.deps.transport.stopAudio(pacer.sentPosition);
    gate.stoppedAt = performance.now();
    if (!turn) return;
    turn.controller.abort(new Error('barge-in'));
    if (turn.interrupted) return;
    turn.interrupted = true;
    this.deps.orchestrator.recordHeard(this.deps.memo, turn.stream.turn, heard);
    turn.latency.record('barge_in_stop_ms', gate.stoppedAt - gate.onsetAt);
    turn.span.setAttribute('rtvoice.interrupted', true);
    turn.span.setAttribute('rtvoice.heard_chars', heard);
    this.publish('event', {
      event: 'barge_in',
      turn: turn.stream.turn,
      heard_text: turn.spokenText.slice(0, heard).trim(),
    });
    if (this.deps.transport.name === 'browser' && hadAudio) {
      // The page confirms the flush with its next played mark: the turn's figures wait for it (briefly).
      const timer = setTimeout(() => {
        this.awaitingPlayedStop = undefined;
        this.finishTurn(turn);
      }, PLAYED_CONFIRMATION_MS);
      this.awaitingPlayedStop = { gate, turn, timer };
    } else {
      this.finishTurn(turn);
    }
    if (this.endingCall) {
      // The agent had already ended the call: talking over its goodbye does not keep the line open.
      this.deps.transport.close(1000, 'call ended by the agent');
      void this.close('agent ended the call');
    }
  }

  /** Publishes the turn's metrics (every field, null when it does not apply) and ends its span. */
  private finishTurn(turn: ActiveTurn): void {
    if (turn.finished) return;
    turn.finished = true;
    const values = turn.latency.run;
    const payload: Record<string, unknown> = {
      turn: turn.stream.turn,
      interrupted: turn.interrupted,
      greeting: turn.greeting,
    };
    for (const name of TURN_METRICS) {
      payload[name] = values[name] ?? null;
      if (values[name] !== undefined) turn.span.setAttribute(`rtvoice.${name}`, values[name]);
    }
    const record = this.deps.memo.getContext<unknown[]>('turn_metrics') ?? [];
    this.deps.memo.setContext('turn_metrics', [...record, payload].slice(-200));
    this.publish('metrics', payload);
    turn.span.end();
  }

  private publish(type: EnvelopeType, payload: Record<string, unknown>): void {
    try {
      this.deps.transport.publish(
        envelope(
          type,
          { sessionId: this.deps.memo.sessionId, callId: this.deps.callId, sender: 'rtvoice' },
          payload,
        ),
      );
    } catch (err) {
      this.log.warn({ err: errorMessage(err), type }, 'envelope not published');
    }
  }
}

/** Iterates `source` until `signal` aborts, then stops at once (returning the source iterator). */
async function* abortable<T>(source: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  const aborted = new Promise<never>((_, reject) => {
    const onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), aborted]);
      if (next.done) return;
      yield next.value;
    }
  } finally {
    void iterator.return?.()?.catch(() => undefined);
  }
}
