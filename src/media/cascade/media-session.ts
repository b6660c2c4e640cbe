import type { Span } from '@opentelemetry/api';
import type { Recognition, UserInput } from '../../agents/events.ts';
import type { TurnStream } from '../../agents/orchestrator.ts';
import type { EndReason } from '../../agents/tools/tool.ts';
import { soundsUnfinished, type Expectation } from '../../agents/turn-completion.ts';
import type { VoiceSelection } from '../../agents/voices.ts';
import type { Pcm16 } from '../../audio/pcm.ts';
import type { RecognitionHints, SttResult } from '../../speech/types.ts';
import { errorMessage } from '../../errors.ts';
import { tracer } from '../../telemetry/tracing.ts';
import { CALL_CLOSE } from '../../transports/close-codes.ts';
import type { CallHandler } from '../../transports/transport.ts';
import { AgentReply, type ReplyContext } from './agent-reply.ts';
import { BargeInGate } from './barge-in-gate.ts';
import { CallResources } from './call-resources.ts';
import { Keypad } from './keypad.ts';
import { OutputPacer } from './output-pacer.ts';
import { publisher, type Publish } from './publisher.ts';
import type { MediaSessionDeps } from './session-deps.ts';
import { SpeechOutput } from './speech-output.ts';
import { TurnReports } from './turn-metrics.ts';

/** Speech this long that recognises as no words at all is asked for again (shorter: a click, a breath). */
const MIN_WORDS_MS = 200;

/**
 * One call in `media` mode: the cascade VAD → STT → end of turn → agent → sentences → TTS → pacer, with
 * barge-in. It coordinates its parts: the input chain hears the caller, the gate decides interruptions,
 * an `AgentReply` runs each answer, the pacer plays it. Caller audio is handled strictly in arrival order,
 * synchronously; the agent's reply runs beside it and is cancelled the moment the caller interrupts.
 */
export class MediaSession implements CallHandler {
  private readonly deps: MediaSessionDeps;
  private readonly callSpan: Span;
  private readonly gate: BargeInGate;
  private readonly keypad: Keypad;
  /** Aborted when the call closes: waits for pooled resources stop with it. */
  private readonly lifetime = new AbortController();
  private state: 'new' | 'starting' | 'live' | 'closed' = 'new';
  private resources: CallResources | undefined;
  private pacer: OutputPacer | undefined;
  private voice: VoiceSelection;
  private reply: AgentReply | undefined;
  /** Why the agent ended the call, once it has; its last reply plays out, then the call ends. */
  private endingCall: EndReason | undefined;
  private startedAt = 0;
  private readonly publish: Publish;
  private readonly reports: TurnReports;
  /** What the agent's open question takes: an answer that sounds unfinished gets a longer pause. */
  private expected: Expectation | undefined;
  /** What the open question expects, for a recognizer that arrives after it was asked. */
  private hints: RecognitionHints = {};
  /** An utterance that sounded unfinished, waiting for the caller to go on (or for the longer pause). */
  private held: HeldUtterance | undefined;
  private callerSpeaking = false;
  /** When the caller's last utterance before the recognizer loaded ended. */
  private earlyEnd: { speechEndAt: number; decidedAt: number; spokeMs: number } | undefined;
  /** Where the caller's current utterance began in the input audio. */
  private onsetAudioMs = 0;

  constructor(deps: MediaSessionDeps) {
    this.deps = deps;
    const ids = { sessionId: deps.memo.sessionId, callId: deps.callId };
    this.publish = publisher((message) => deps.transport.publish(message), ids, deps.log);
    this.reports = new TurnReports(deps.memo, this.publish);
    this.gate = new BargeInGate(deps.settings.bargeInMinSpeechMs);
    this.keypad = new Keypad(deps.settings.dtmfInterDigitMs, (digits) =>
      this.respond({ kind: 'dtmf', digits }),
    );
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
    const { speech, memo, orchestrator } = this.deps;
    const resources = new CallResources(speech, { sessionId: memo.sessionId, signal: this.lifetime.signal });
    this.resources = resources;
    try {
      await resources.forGreeting(inputRate);
    } catch (err) {
      if (!this.closed) await this.refuse(err);
      return;
    }
    if (this.closed) return;
    this.pacer = new OutputPacer({
      sampleRate: this.deps.transport.outputRate,
      leadMs: this.deps.settings.outputLeadMs,
      send: (frame, turn) => this.sendFrame(frame, turn),
    });
    this.state = 'live';
    this.publish('status', { message: 'call started', agent: orchestrator.activeAgent(memo).name });
    this.runReply((signal) => orchestrator.start(memo, { signal }), { callStartedAt: this.startedAt });
    try {
      const listening = await resources.forListening(() => this.hints);
      if (!listening) return;
      const { recognizer, endedEarly } = listening;
      const partial = (text: string) => this.publish('user_transcript', { text, final: false });
      const failed = (err: Error) => this.deps.log.error({ err: err.message }, 'recognizer failed');
      recognizer.on('partial', partial);
      recognizer.on('error', failed);
      // The recognizer goes back to the pool: the next call's words must not reach this session.
      this.lifetime.signal.addEventListener('abort', () => {
        recognizer.off('partial', partial);
        recognizer.off('error', failed);
      });
      // The caller spoke (and stopped) while the recognizer loaded: that utterance is heard now.
      if (endedEarly && this.earlyEnd) this.endOfUtterance(this.earlyEnd);
      this.earlyEnd = undefined;
    } catch (err) {
      if (!this.closed) await this.refuse(err);
    }
  }

  audio(samples: Pcm16): void {
    if (this.state !== 'live') return;
    const input = this.resources!.input!;
    const now = performance.now();
    const piece = input.process(samples);
    this.gate.heard(piece.voiced ? piece.ms : 0);
    for (const event of piece.events) {
      if (event.type === 'speech_start') {
        this.callerSpeaking = true;
        this.onsetAudioMs = event.onsetAudioMs;
        if (this.held) clearTimeout(this.held.timer);
        this.publish('event', { event: 'speech_started', audio_ms: Math.round(event.onsetAudioMs) });
        const onset = {
          at: input.wallTime(event.onsetAudioMs, now),
          heardSinceMs: input.audioMs - event.onsetAudioMs,
        };
        if (this.gate.speechStarted(this.agentSpeaking(), onset)) this.pacer!.hold();
        continue;
      }
      this.callerSpeaking = false;
      this.publish('event', { event: 'speech_stopped', audio_ms: Math.round(event.speechEndAudioMs) });
      if (this.gate.speechEnded().kind === 'resume') {
        this.pacer!.resume();
        input.recognizer?.flush().catch(() => undefined);
      } else {
        this.endOfUtterance({
          speechEndAt: input.wallTime(event.speechEndAudioMs, now),
          decidedAt: now,
          spokeMs: event.speechEndAudioMs - this.onsetAudioMs,
        });
      }
    }
    const decision = this.gate.check();
    if (decision?.kind === 'interrupt') this.interrupt(decision.onsetAt);
  }

  dtmf(digits: string): void {
    if (this.state !== 'live') return;
    this.interruptNow();
    this.keypad.press(digits);
  }

  text(text: string): void {
    if (this.state !== 'live') return;
    this.interruptNow();
    this.publish('user_transcript', { text, final: true, typed: true });
    this.respond({ kind: 'text', text });
  }

  played(): void {
    this.reports.played();
  }

  cancel(): void {
    if (this.state === 'live') this.interruptNow();
  }

  note(role: 'user' | 'assistant' | 'system', text: string): void {
    const { orchestrator, memo } = this.deps;
    memo.appendToHistory(orchestrator.activeAgent(memo).name, role, text, { context: true });
    memo.schedulePersist();
  }

  heardUntil(turn: number, positionMs: number): void {
    const { pacer } = this;
    if (!pacer) return;
    const { orchestrator, memo } = this.deps;
    orchestrator.recordHeard(memo, turn, pacer.heardChars(turn, positionMs));
  }

  farewell(message: string): void {
    if (this.state !== 'live' || this.endingCall) return;
    this.interruptNow();
    const { orchestrator, memo } = this.deps;
    this.runReply((signal) => orchestrator.farewell(memo, message, { signal }), {});
  }

  async close(reason: string): Promise<void> {
    if (this.state === 'closed') return;
    const wasLive = this.state === 'live';
    this.state = 'closed';
    this.lifetime.abort();
    this.keypad.cancel();
    if (this.held) clearTimeout(this.held.timer);
    this.reports.flush();
    this.reply?.controller.abort(new Error(`call closed: ${reason}`));
    this.pacer?.close();
    this.resources?.release();
    this.deps.orchestrator.release(this.deps.memo);
    if (wasLive) this.publish('session_end', { reason });
    this.callSpan.setAttribute('rtvoice.close_reason', reason);
    this.callSpan.end();
  }

  /** The agent ended the call: a phone call is hung up or transferred through ACS, then the socket closes. */
  private async hangUp(): Promise<void> {
    if (this.closed) return;
    const { control, log } = this.deps;
    if (control) {
      await control
        .end(this.endingCall ?? 'completed')
        .catch((err: unknown) => log.error({ err: errorMessage(err) }, 'ending the phone call failed'));
    }
    this.deps.transport.close(CALL_CLOSE.normal, 'call ended by the agent');
    await this.close('agent ended the call');
  }

  private get closed(): boolean {
    return this.state === 'closed';
  }

  /** No speech resources for this call: say so and hang up. */
  private async refuse(err: unknown): Promise<void> {
    this.deps.log.error({ err: errorMessage(err) }, 'call could not get speech resources');
    this.publish('error', {
      message: 'the speech service is busy; please call again',
      detail: errorMessage(err),
    });
    this.deps.transport.close(CALL_CLOSE.tryAgain, 'speech resources unavailable, try again later');
    await this.close('no speech resources');
  }

  /**
   * The caller stopped speaking: the recognizer's final result makes the turn, unless it sounds unfinished
   * ("my zip code is", three digits of five): then it waits for more, up to EOU_UNFINISHED_SILENCE_MS of
   * silence, and what the caller adds joins it.
   */
  private endOfUtterance(utterance: { speechEndAt: number; decidedAt: number; spokeMs: number }): void {
    const { speechEndAt, decidedAt, spokeMs } = utterance;
    const recognizer = this.resources?.input?.recognizer;
    if (!recognizer) {
      this.earlyEnd = utterance; // still loading: heard when it comes
      return;
    }
    recognizer.flush().then(
      (result) => {
        if (this.closed) return;
        const held = this.held;
        this.held = undefined;
        const heard = held ? joinResults(held.result, result) : result;
        const text = heard.text.trim();
        if (!text) {
          // Speech long enough to be words, not a click or a breath: the caller is asked again.
          if (!held && spokeMs >= MIN_WORDS_MS) this.notHeard();
          return;
        }
        if (soundsUnfinished(text, this.expected)) {
          this.hold(heard, speechEndAt);
          return;
        }
        this.answer(heard, { speechEndAt, decidedAt, finalAt: performance.now() });
      },
      (err: unknown) => this.deps.log.warn({ err: errorMessage(err) }, 'recognition failed for an utterance'),
    );
  }

  private notHeard(): void {
    this.publish('user_transcript', { text: '', final: true, confidence: 0 });
    const { orchestrator, memo } = this.deps;
    this.interruptNow();
    this.runReply(
      (signal) => orchestrator.notHeard(memo, { signal, clientTools: this.deps.transport.clientTools }),
      {},
    );
  }

  private hold(result: SttResult, speechEndAt: number): void {
    this.publish('user_transcript', { text: result.text.trim(), final: false, unfinished: true });
    const wait = this.deps.settings.eouUnfinishedSilenceMs - (performance.now() - speechEndAt);
    const timer = setTimeout(
      () => {
        if (this.held?.timer !== timer || this.callerSpeaking) return;
        this.held = undefined;
        const now = performance.now();
        this.answer(result, { speechEndAt, decidedAt: now, finalAt: now });
      },
      Math.max(0, wait),
    );
    // The caller already went on: the timer is stopped and the next end of speech decides again.
    if (this.callerSpeaking) clearTimeout(timer);
    this.held = { result, timer };
  }

  private answer(
    result: SttResult,
    timing: { speechEndAt: number; decidedAt: number; finalAt: number },
  ): void {
    const text = result.text.trim();
    const recognition: Recognition = {
      confidence: result.confidence,
      ...(result.inGrammar === undefined ? {} : { inGrammar: result.inGrammar }),
      alternatives: result.alternatives ?? [],
    };
    this.publish('user_transcript', {
      text,
      final: true,
      confidence: result.confidence,
      ...(result.inGrammar === undefined ? {} : { in_grammar: result.inGrammar }),
      ...(result.alternatives?.length ? { alternatives: result.alternatives } : {}),
    });
    this.respond({ kind: 'speech', text, recognition }, timing);
  }

  /** Starts the agent's reply to the caller's input, interrupting whatever the agent was still saying. */
  private respond(
    input: UserInput,
    timing?: { speechEndAt: number; decidedAt: number; finalAt: number },
  ): void {
    if (this.endingCall) return;
    if (this.held) {
      // Keys or typing replace a spoken answer that never finished ("my zip code is", then the keypad).
      clearTimeout(this.held.timer);
      this.held = undefined;
    }
    this.interruptNow();
    const { orchestrator, memo } = this.deps;
    const { clientTools } = this.deps.transport;
    const reply = this.runReply((signal) => orchestrator.runTurn(memo, input, { signal, clientTools }), {
      startTime: timing?.speechEndAt,
    });
    if (reply && timing) reply.answersSpeech(timing, input.kind === 'dtmf' ? 0 : input.text.length);
  }

  private runReply(
    open: (signal: AbortSignal) => TurnStream,
    times: { startTime?: number | undefined; callStartedAt?: number },
  ): AgentReply | undefined {
    if (this.closed) return undefined;
    const reply = new AgentReply(open, this.replyContext(), times);
    this.reply = reply;
    void reply.produce().then(async () => {
      // Its figures are final once its audio has played (an interruption finishes it instead).
      if (!reply.interrupted) await this.pacer?.drained();
      if (!reply.interrupted) this.reports.finish(reply);
      if (reply.produced && this.endingCall) await this.hangUp();
    });
    return reply;
  }

  private replyContext(): ReplyContext {
    const { memo, callId, log, observeLatency, transport } = this.deps;
    return {
      memo,
      callId,
      log,
      observeLatency,
      callSpan: this.callSpan,
      endOfTurn: () => this.pacer!.endOfTurn(),
      publish: (type, payload) => this.publish(type, payload),
      speechOutput: () => new SpeechOutput(this.resources!.tts!, this.pacer!, transport.outputRate),
      voice: () => this.voice,
      onHandoff: (voice) => (this.voice = voice),
      onExpect: ({ grammar, phrases, answer, lengths }) => {
        this.expected = { answer, lengths };
        this.hints = { grammar, phrases };
        this.resources?.input?.recognizer?.expect(this.hints);
      },
      onEndCall: (reason) => (this.endingCall = reason),
      recordHeard: (turn, heard) => this.deps.orchestrator.recordHeard(memo, turn, heard),
    };
  }

  private sendFrame(frame: Pcm16, turn: number): void {
    if (this.reply?.number === turn) this.reply.frameSent();
    this.deps.transport.sendAudio(frame);
  }

  /** Whether the agent is answering or its audio is still playing. */
  private agentSpeaking(): boolean {
    return (this.reply?.answering ?? false) || !(this.pacer?.idle ?? true);
  }

  /** Typed text and keypad digits interrupt at once. */
  private interruptNow(): void {
    if (this.agentSpeaking()) this.interrupt(performance.now());
  }

  /** The caller interrupted (speech began at `onsetAt`): stop the agent, keep only what the caller heard. */
  private interrupt(onsetAt: number): void {
    const { transport } = this.deps;
    const { reply, pacer } = this;
    const { heard, hadAudio } = pacer!.interrupt(reply?.number, transport.confirmedPlayedMs());
    if (hadAudio) transport.stopAudio(pacer!.sentPosition);
    if (reply?.interrupt(heard, onsetAt)) {
      // A far end that confirms playback confirms the flush too: the figures wait for it.
      if (transport.capabilities.confirmsPlayback && hadAudio) this.reports.awaitPlayed(reply, onsetAt);
      else this.reports.finish(reply);
    }
    // The agent had already ended the call: talking over its goodbye does not keep the line open.
    if (this.endingCall) void this.hangUp();
  }
}

interface HeldUtterance {
  readonly result: SttResult;
  readonly timer: NodeJS.Timeout;
}

/** An unfinished utterance and what the caller said after the pause, as one. */
function joinResults(first: SttResult, then: SttResult): SttResult {
  if (!then.text.trim()) return first;
  const join = (a: string, b: string) => `${a.trim()} ${b.trim()}`.trim();
  const times = {
    confidence: Math.min(first.confidence, then.confidence),
    startMs: first.startMs,
    endMs: then.endMs,
  };
  if (first.inGrammar === undefined && then.inGrammar === undefined)
    return { ...times, text: join(first.text, then.text), alternatives: [] };
  const grammarText = (r: SttResult) => (r.inGrammar === false ? (r.alternatives?.[0] ?? '') : r.text);
  const openText = (r: SttResult) => (r.inGrammar ? (r.alternatives?.[0] ?? r.text) : r.text);
  // A first part the grammar could not end ("my name is", before the name) is no rejection: it was cut.
  const cut = first.inGrammar === false && !grammarText(first);
  const inGrammar = then.inGrammar !== false && (first.inGrammar !== false || cut);
  const grammar = join(cut ? first.text : grammarText(first), grammarText(then));
  const open = join(openText(first), openText(then));
  return {
    ...times,
    text: inGrammar ? grammar : open,
    inGrammar,
    alternatives: [inGrammar ? open : grammar],
  };
}
