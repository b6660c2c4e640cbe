import { setTimeout as sleep } from 'node:timers/promises';
import type { Orchestrator } from '../../agents/orchestrator.ts';
import type { EndReason } from '../../agents/tools/tool.ts';
import { base64ToPcm16, pcm16ToBase64, type Pcm16 } from '../../audio/pcm.ts';
import { createResampler, type Resampler } from '../../audio/resampler.ts';
import type { VoiceLiveConfig } from '../../config/config.ts';
import { errorMessage } from '../../errors.ts';
import { cutAtWord } from '../../state/memo-manager.ts';
import { CALL_CLOSE } from '../../transports/close-codes.ts';
import type { CallHandler } from '../../transports/transport.ts';
import type { CallContext, VoiceLiveSessions } from '../call-context.ts';
import { envelopeOf } from '../cascade/agent-reply.ts';
import { LatencyTool } from '../cascade/latency-tool.ts';
import { OutputPacer } from '../cascade/output-pacer.ts';
import { publisher, type Publish } from '../cascade/publisher.ts';
import type { MediaSettings } from '../cascade/session-deps.ts';
import { turnMetrics } from '../cascade/turn-metrics.ts';
import type { RealtimeService, ServiceEvent } from './realtime-service.ts';
import { runServiceCalls } from './service-tools.ts';
import { newResponse, recordFunctionCall, textOf, type ServiceResponse } from './service-response.ts';
import { seedConversation, SERVICE_RATE, sessionUpdate, type ServiceClientEvent } from './session-config.ts';

/** What the caller hears when the realtime service drops the session mid-call. */
export const SERVICE_LOST =
  "I'm sorry, our voice service stopped responding. Please hold while I connect you, or call again.";
/** The longest the fallback line may take to play before the call ends anyway. */
const FALLBACK_MAX_MS = 10_000;
/** Caller audio kept while a service session opens, so nothing said in the first moments is lost. */
const MAX_EARLY_AUDIO_MS = 5000;
/** A rollover the service refused is tried again this much later, on the old session meanwhile. */
const ROLLOVER_RETRY_MS = 30_000;

export interface VoiceLiveDeps extends CallContext {
  readonly service: VoiceLiveConfig;
  readonly sessions: VoiceLiveSessions;
  readonly orchestrator: Orchestrator;
  readonly settings: MediaSettings;
  readonly observeLatency: (stage: string, ms: number) => void;
}

/**
 * One call in `voice_live` mode: the caller's audio goes to a realtime speech-to-speech service, which
 * detects turns, understands and answers; its audio is paced to the caller. On the service's
 * `speech_started` while the agent speaks, the caller's far end is flushed, the answer cancelled and
 * truncated at what the caller heard (`conversation.item.truncate`, never past the item's audio), and
 * late audio of the cancelled answer dropped. Both sides' transcripts go to the dashboards and the history.
 * A session near the service's time limit is rolled over at a pause to a new one seeded with the
 * conversation, and one the service ends for its age is replaced at once, so long calls go on.
 */
export class VoiceLiveSession implements CallHandler {
  private readonly deps: VoiceLiveDeps;
  private readonly publish: Publish;
  private readonly lifetime = new AbortController();
  private state: 'new' | 'starting' | 'live' | 'closed' = 'new';
  /** A new service session is being connected: caller audio waits in `early` if the old one is gone. */
  private rollingOver = false;
  private rolloverDue = false;
  private rolloverTimer: NodeJS.Timeout | undefined;
  /** The service said the session reached its time limit (`session_expired`): its close is a rollover. */
  private expired = false;
  /** Between the caller's speech_started and the answer's end: no rollover in the middle of a turn. */
  private callerTurnOpen = false;
  private toolsRunning = 0;
  private service: RealtimeService | undefined;
  private toService: Resampler | undefined;
  private fromService: Resampler | undefined;
  private pacer: OutputPacer | undefined;
  private response: ServiceResponse | undefined;
  private readonly cancelled = new Set<string>();
  private early: Pcm16[] = [];
  private earlyMs = 0;
  private inputRate = 16000;
  /** When the caller's stream began and how much of it was sent: the service's audio_ms on our clock. */
  private inputStartedAt: number | undefined;
  private speechEndedAt: number | undefined;
  private turns = 0;
  /** Why a tool ended the call; the answer after it plays out, then the call ends. */
  private endingCall: EndReason | undefined;

  constructor(deps: VoiceLiveDeps) {
    this.deps = deps;
    const { memo, callId, transport, log } = deps;
    this.publish = publisher((m) => transport.publish(m), { sessionId: memo.sessionId, callId }, log);
  }

  async start(inputRate: number): Promise<void> {
    if (this.state !== 'new') return;
    this.state = 'starting';
    this.inputRate = inputRate;
    const { transport, log } = this.deps;
    let service: RealtimeService;
    try {
      [service, this.toService, this.fromService] = await Promise.all([
        this.deps.sessions.take(this.lifetime.signal),
        createResampler(inputRate, SERVICE_RATE),
        createResampler(SERVICE_RATE, transport.outputRate),
      ]);
      if (this.closed) return service.close();
    } catch (err) {
      if (this.closed) return;
      log.error({ err: errorMessage(err) }, 'voice live service unavailable');
      this.publish('error', {
        message: 'the voice service is unavailable; please call again',
        detail: errorMessage(err),
      });
      transport.close(CALL_CLOSE.tryAgain, 'voice live service unavailable, try again later');
      await this.close('voice live service unavailable');
      return;
    }
    this.pacer = new OutputPacer({
      sampleRate: transport.outputRate,
      leadMs: this.deps.settings.outputLeadMs,
      send: (frame, turn) => this.sendFrame(frame, turn),
    });
    this.attach(service);
    this.state = 'live';
    this.publish('status', { message: 'call started', mode: 'voice_live', agent: this.agentName() });
    this.sendEarlyAudio();
  }

  audio(samples: Pcm16): void {
    if (this.state === 'starting' || (this.rollingOver && !this.service?.open)) {
      if (this.earlyMs >= MAX_EARLY_AUDIO_MS) return;
      this.early.push(samples);
      this.earlyMs += (samples.length * 1000) / this.inputRate;
      return;
    }
    if (this.state !== 'live') return;
    this.inputStartedAt ??= performance.now();
    const resampled = this.toService!.process(samples);
    if (resampled.length > 0)
      this.service!.send({ type: 'input_audio_buffer.append', audio: pcm16ToBase64(resampled) });
  }

  dtmf(digits: string): void {
    this.text(`(keypad) ${digits}`);
  }

  text(text: string): void {
    if (this.state !== 'live') return;
    this.interrupt(performance.now());
    this.publish('user_transcript', { text, final: true, typed: true });
    this.service!.send({
      type: 'conversation.item.create',
      item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] },
    });
    this.service!.send({ type: 'response.create' });
  }

  played(): void {}

  /** Context a realtime client added: the service gets it as an item, with no answer asked for. */
  note(role: 'user' | 'assistant' | 'system', text: string): void {
    if (this.state !== 'live') return;
    const [event] = seedConversation([{ role, content: text }], this.service!.dialect);
    if (event) this.service!.send(event);
  }

  cancel(): void {
    if (this.state === 'live') this.interrupt(performance.now());
  }

  /** The service speaks for the agent; the call is ended from outside: it just ends. */
  farewell(): void {
    const { control, transport } = this.deps;
    if (control) void control.end('completed').catch(() => undefined);
    else transport.close(CALL_CLOSE.normal, 'call ended');
  }

  async close(reason: string): Promise<void> {
    if (this.state === 'closed') return;
    const wasLive = this.state === 'live';
    this.state = 'closed';
    this.lifetime.abort();
    clearTimeout(this.rolloverTimer);
    this.service?.close();
    this.pacer?.close();
    if (wasLive) this.publish('session_end', { reason });
    return Promise.resolve();
  }

  private get closed(): boolean {
    return this.state === 'closed';
  }

  /**
   * Makes `service` the call's session: its events are read (an old session's no longer are), it is
   * configured for the active agent, and its rollover is timed from when it opened.
   */
  private attach(service: RealtimeService): void {
    this.service = service;
    this.expired = false;
    service.listen(
      (event) => {
        if (this.service === service) this.serviceEvent(event);
      },
      (code, reason) => {
        if (this.service === service) void this.serviceClosed(code, reason);
      },
    );
    service.send(this.sessionUpdate());
    this.scheduleRollover(this.deps.service.rolloverMs - (performance.now() - service.openedAt));
  }

  /** A rollover falls due in `ms`, and happens at the next pause from then. */
  private scheduleRollover(ms: number): void {
    clearTimeout(this.rolloverTimer);
    this.rolloverTimer = setTimeout(
      () => {
        this.rolloverDue = true;
        this.rolloverWhenIdle();
      },
      Math.max(0, ms),
    );
    this.rolloverTimer.unref();
  }

  private sendEarlyAudio(): void {
    const early = this.early;
    this.early = [];
    this.earlyMs = 0;
    for (const samples of early) this.audio(samples);
  }

  /** A due rollover happens when nobody speaks and no tool runs: no turn is split across sessions. */
  private rolloverWhenIdle(): void {
    if (!this.rolloverDue || this.state !== 'live' || this.rollingOver) return;
    if (this.agentSpeaking() || this.callerTurnOpen || this.toolsRunning > 0) return;
    void this.rollover('age');
  }

  /**
   * Replaces the service session with a new one, configured for the active agent and seeded with the
   * conversation so far; the old one is closed once the new one takes the caller's audio.
   */
  private async rollover(why: 'age' | 'expired'): Promise<void> {
    const { memo, log } = this.deps;
    const old = this.service;
    this.rollingOver = true;
    this.rolloverDue = false;
    // An answer the expired session left unfinished ends where the caller stopped hearing it.
    if (why === 'expired' && this.agentSpeaking()) this.interrupt(performance.now());
    const started = performance.now();
    try {
      const next = await this.deps.sessions.take(this.lifetime.signal);
      if (this.closed) return next.close();
      this.attach(next);
      const seed = seedConversation(memo.history(this.agentName()), next.dialect);
      for (const event of seed) next.send(event);
      old?.close();
      const rollovers = (memo.getContext<number>('voice_live_rollovers') ?? 0) + 1;
      memo.setContext('voice_live_rollovers', rollovers);
      memo.schedulePersist();
      const ms = Math.round(performance.now() - started);
      log.info({ reason: why, seeded: seed.length, ms }, 'voice live session rolled over');
      this.publish('event', { event: 'service_rollover', reason: why, seeded_items: seed.length, ms });
    } catch (err) {
      if (this.closed) return;
      log.warn({ err: errorMessage(err), reason: why }, 'voice live session rollover failed');
      if (old?.open) {
        this.scheduleRollover(ROLLOVER_RETRY_MS);
      } else {
        return this.lost(`the voice live session expired and no new one opened: ${errorMessage(err)}`);
      }
    } finally {
      this.rollingOver = false;
    }
    this.sendEarlyAudio();
  }

  private sessionUpdate(): ServiceClientEvent {
    const { orchestrator, memo, service } = this.deps;
    return sessionUpdate(orchestrator, memo, service.dialect);
  }

  private agentName(): string {
    const { orchestrator, memo } = this.deps;
    return orchestrator.activeAgent(memo).name;
  }

  private serviceEvent(event: ServiceEvent): void {
    if (this.closed) return;
    switch (event.type) {
      case 'input_audio_buffer.speech_started': {
        const onsetAt = this.streamTime(event['audio_start_ms']) ?? performance.now();
        this.callerTurnOpen = true;
        this.publish('event', { event: 'speech_started', audio_ms: event['audio_start_ms'] ?? null });
        if (this.agentSpeaking()) this.interrupt(onsetAt);
        return;
      }
      case 'input_audio_buffer.speech_stopped':
        this.speechEndedAt = this.streamTime(event['audio_end_ms']) ?? performance.now();
        this.publish('event', { event: 'speech_stopped', audio_ms: event['audio_end_ms'] ?? null });
        return;
      case 'conversation.item.input_audio_transcription.delta':
        this.publish('user_transcript', { text: textOf(event['delta']), final: false });
        return;
      case 'conversation.item.input_audio_transcription.completed': {
        const text = textOf(event['transcript']).trim();
        if (!text) return;
        this.publish('user_transcript', { text, final: true });
        this.deps.memo.appendToHistory(this.agentName(), 'user', text, { voice_live: true });
        this.deps.memo.schedulePersist();
        return;
      }
      case 'response.created':
        return this.responseCreated(event);
      case 'response.output_audio.delta':
        return this.audioDelta(event);
      case 'response.output_audio_transcript.delta': {
        const response = this.current(event);
        if (!response) return;
        const delta = textOf(event['delta']);
        response.transcript += delta;
        this.publish('assistant_streaming', { text: delta, agent: this.agentName(), turn: response.turn });
        return;
      }
      case 'response.function_call_arguments.done':
      case 'response.output_item.done':
        return this.functionCall(event);
      case 'response.output_audio.done':
        if (this.current(event)) this.pacer!.endOfTurn();
        return;
      case 'response.done':
        return this.responseDone(event);
      case 'error':
        if ((event['error'] as { code?: unknown } | undefined)?.code === 'session_expired')
          this.expired = true;
        this.deps.log.warn({ error: event['error'] }, 'the voice live service reported an error');
        this.publish('error', {
          message: 'the voice service reported an error',
          detail: event['error'] ?? null,
        });
        return;
      default:
        return;
    }
  }

  private responseCreated(event: ServiceEvent): void {
    const id = textOf((event['response'] as { id?: unknown } | undefined)?.id);
    this.turns += 1;
    const latency = new LatencyTool(this.deps.memo, this.deps.observeLatency);
    latency.beginRun();
    latency.start('service_first_audio_ms');
    if (this.speechEndedAt !== undefined) latency.start('voice_to_voice_ms', this.speechEndedAt);
    else if (this.turns === 1) latency.start('greeting_ttfb_ms');
    this.speechEndedAt = undefined;
    this.response = newResponse(id, this.turns, latency);
  }

  /** The response an event belongs to, unless it was cancelled (its late deltas are dropped). */
  private current(event: ServiceEvent): ServiceResponse | undefined {
    const id = event['response_id'];
    if (typeof id === 'string' && this.cancelled.has(id)) return undefined;
    const response = this.response;
    if (!response || response.cancelled || (typeof id === 'string' && id !== response.id)) return undefined;
    return response;
  }

  private audioDelta(event: ServiceEvent): void {
    const response = this.current(event);
    if (!response || typeof event['delta'] !== 'string') return;
    response.itemId ??= typeof event['item_id'] === 'string' ? event['item_id'] : undefined;
    const samples = this.fromService!.process(base64ToPcm16(event['delta']));
    if (samples.length === 0) return;
    if (response.outStart === undefined) response.latency.stop('service_first_audio_ms');
    response.outStart ??= this.pacer!.queuedPosition;
    response.audioMs += (samples.length * 1000) / this.deps.transport.outputRate;
    this.pacer!.enqueue(samples, { turn: response.turn, textStart: 0, textEnd: 0 });
  }

  private functionCall(event: ServiceEvent): void {
    const response = this.current(event);
    if (response) recordFunctionCall(response, event);
  }

  /** The service called the agent's tools: rtvoice runs them, then asks for the answer. */
  private async runCalls(response: ServiceResponse): Promise<void> {
    const { orchestrator, memo } = this.deps;
    this.toolsRunning += 1;
    await runServiceCalls(response.calls, {
      orchestrator,
      memo,
      signal: this.lifetime.signal,
      publish: (event) => {
        const envelope = envelopeOf(event, response.turn);
        if (envelope) this.publish(...envelope);
      },
      send: (event) => this.service?.send(event),
      onHandoff: (from, to, reason) => this.handOff(from, to, reason),
      onEndCall: (reason) => (this.endingCall = reason),
    }).finally(() => (this.toolsRunning -= 1));
    if (!this.closed) this.service?.send({ type: 'response.create' });
  }

  /** The call goes to another agent: the session is reconfigured with its instructions, voice and tools. */
  private handOff(from: string, to: string, reason: string | undefined): void {
    const { orchestrator, memo } = this.deps;
    const target = orchestrator.switchAgent(memo, from, to, reason);
    if (!target) return;
    memo.schedulePersist();
    this.publish('event', {
      event: 'handoff',
      from,
      to,
      reason: reason ?? null,
      voice: orchestrator.voiceOf(target).alias,
    });
    this.service?.send(this.sessionUpdate());
  }

  private responseDone(event: ServiceEvent): void {
    const response = this.current(event);
    if (!response) return;
    response.done = true;
    this.callerTurnOpen = false;
    if (response.calls.size > 0)
      void this.runCalls(response).catch((err: unknown) =>
        this.deps.log.error({ err: errorMessage(err) }, 'a tool call failed'),
      );
    const status = (event['response'] as { status?: unknown } | undefined)?.status;
    if (status === 'cancelled' && this.agentSpeaking()) return this.interrupt(performance.now());
    void this.pacer!.drained().then(() => {
      if (this.closed || response.cancelled) return;
      const text = response.transcript.trim();
      this.publish('assistant_transcript', { text, turn: response.turn });
      if (text)
        this.deps.memo.appendToHistory(this.agentName(), 'assistant', text, {
          voice_live: true,
          turn: response.turn,
        });
      this.deps.memo.schedulePersist();
      this.finish(response, false);
      // The agent ended the call (a tool did) and its last words have played.
      if (this.endingCall && response.calls.size === 0) return void this.endCall(this.endingCall);
      this.rolloverWhenIdle();
    });
  }

  /**
   * The caller spoke over the agent: the far end is flushed, the answer cancelled (if the service is still
   * making it) and truncated at what was played of it, and only the heard words are kept.
   */
  private interrupt(onsetAt: number): void {
    const pacer = this.pacer;
    const response = this.response;
    if (!pacer) return;
    const playedMs = pacer.playedMs();
    const { hadAudio } = pacer.interrupt(undefined, undefined);
    if (hadAudio) this.deps.transport.stopAudio(pacer.sentPosition);
    if (!response || response.cancelled) return;
    response.cancelled = true;
    this.cancelled.add(response.id);
    if (!response.done) this.service?.send({ type: 'response.cancel' });
    const heardMs =
      response.outStart === undefined
        ? 0
        : Math.max(0, Math.min(playedMs - response.outStart, response.audioMs));
    if (response.itemId !== undefined)
      this.service?.send({
        type: 'conversation.item.truncate',
        item_id: response.itemId,
        content_index: 0,
        audio_end_ms: Math.floor(heardMs),
      });
    const share = response.audioMs > 0 ? heardMs / response.audioMs : 0;
    const heard = cutAtWord(response.transcript, Math.floor(response.transcript.length * share)).trim();
    if (heard)
      this.deps.memo.appendToHistory(this.agentName(), 'assistant', heard, {
        voice_live: true,
        turn: response.turn,
        interrupted: true,
      });
    this.deps.memo.schedulePersist();
    response.latency.record('barge_in_stop_ms', performance.now() - onsetAt);
    this.publish('event', {
      event: 'barge_in',
      turn: response.turn,
      heard_text: heard,
      heard_ms: Math.round(heardMs),
    });
    this.finish(response, true);
  }

  private finish(response: ServiceResponse, interrupted: boolean): void {
    const payload = turnMetrics(
      {
        number: response.turn,
        interrupted,
        greeting: response.turn === 1 && !response.latency.has('voice_to_voice_ms'),
      },
      response.latency.run,
    );
    this.publish('metrics', payload);
  }

  private sendFrame(frame: Pcm16, turn: number): void {
    const response = this.response;
    if (response?.turn === turn && !response.firstFrameSent) {
      response.firstFrameSent = true;
      response.latency.stop('voice_to_voice_ms');
      response.latency.stop('greeting_ttfb_ms');
    }
    this.deps.transport.sendAudio(frame);
  }

  private agentSpeaking(): boolean {
    const response = this.response;
    return (response !== undefined && !response.cancelled && !response.done) || !(this.pacer?.idle ?? true);
  }

  private async endCall(reason: EndReason): Promise<void> {
    const { control, transport, log } = this.deps;
    if (control)
      await control
        .end(reason)
        .catch((err: unknown) => log.error({ err: errorMessage(err) }, 'ending the call failed'));
    transport.close(CALL_CLOSE.normal, 'call ended by the agent');
    await this.close('agent ended the call');
  }

  /** performance.now() of a position in the caller's stream (ms), sent in real time from its first frame. */
  private streamTime(ms: unknown): number | undefined {
    return typeof ms === 'number' && this.inputStartedAt !== undefined ? this.inputStartedAt + ms : undefined;
  }

  /**
   * The service ended the session mid-call: an expired one is replaced, a normal closure ends the call;
   * otherwise the caller hears why (the local speech stack says it), the session records it, and a phone
   * call goes to a person (ACS_TRANSFER_NUMBER) or ends; a socket closes.
   */
  private async serviceClosed(code: number, reason: string): Promise<void> {
    // A rollover under way replaces this session anyway (or ends the call if it cannot).
    if (this.closed || this.rollingOver) return;
    const age = performance.now() - (this.service?.openedAt ?? 0);
    if (this.expired || age >= this.deps.service.rolloverMs) return this.rollover('expired');
    if (code === 1000) return this.serviceEnded(reason);
    const why = `the voice live service closed the session (${code}${reason ? `: ${reason}` : ''})`;
    this.deps.log.error({ code, reason }, 'voice live service closed mid-call');
    await this.lost(why);
  }

  /**
   * The service closed the session normally, not for its age (another rtvoice's agent ended its call): the
   * last words play out, then the call ends as the agent ending it would.
   */
  private async serviceEnded(reason: string): Promise<void> {
    const why = `the voice live service ended the conversation${reason ? ` (${reason})` : ''}`;
    this.deps.log.info({ reason }, 'voice live service ended the conversation');
    this.deps.memo.setContext('voice_live_ended', why);
    if (this.pacer) await Promise.race([this.pacer.drained(), sleep(FALLBACK_MAX_MS)]);
    if (!this.closed) await this.endCall('completed');
  }

  /** The call cannot go on with the service: see serviceClosed. */
  private async lost(why: string): Promise<void> {
    this.deps.memo.setContext('voice_live_ended', why);
    this.publish('error', { message: 'the voice service ended the call', detail: why });
    if (this.response && !this.response.cancelled) this.interrupt(performance.now());
    await this.sayFallback();
    const { control, transport } = this.deps;
    if (control) await control.handOver(why, { apologize: false }).catch(() => undefined);
    transport.close(CALL_CLOSE.tryAgain, 'voice service ended the session, please call again');
    await this.close(why);
  }

  /** Says SERVICE_LOST with the local synthesizer, when the machine has one, and waits for it to play. */
  private async sayFallback(): Promise<void> {
    const { services, transport, memo, log } = this.deps;
    const pacer = this.pacer;
    if (!services.speech || !pacer) return;
    const turn = ++this.turns;
    try {
      await services.speech.synthesizers.lease(
        async (tts) => {
          const speech = tts.synthesize({
            text: SERVICE_LOST,
            sampleRate: transport.outputRate,
            signal: this.lifetime.signal,
          });
          for await (const chunk of speech) pacer.enqueue(chunk, { turn, textStart: 0, textEnd: 0 });
          pacer.endOfTurn();
        },
        { sessionId: memo.sessionId, signal: this.lifetime.signal },
      );
      await Promise.race([pacer.drained(), sleep(FALLBACK_MAX_MS)]);
    } catch (err) {
      log.warn({ err: errorMessage(err) }, 'the fallback line could not be said');
    }
  }
}
