import { context, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { AgentEvent } from '../../agents/events.ts';
import type { TurnStream } from '../../agents/orchestrator.ts';
import type { VoiceSelection } from '../../agents/voices.ts';
import type { EndReason } from '../../agents/tools/tool.ts';
import type { EnvelopeType } from '../../connections/envelope.ts';
import { errorMessage } from '../../errors.ts';
import type { MemoManager } from '../../state/memo-manager.ts';
import type { Logger } from '../../telemetry/logger.ts';
import { tracer } from '../../telemetry/tracing.ts';
import { LatencyTool, type LatencyObserver } from './latency-tool.ts';
import type { SentenceToSpeak } from './speech-output.ts';
import type { Publish } from './publisher.ts';
import { turnMetrics } from './turn-metrics.ts';

/** What a reply needs of its call. */
export interface ReplyContext {
  readonly memo: MemoManager;
  readonly callId: string | undefined;
  readonly callSpan: Span;
  readonly log: Logger;
  readonly observeLatency: LatencyObserver;
  readonly publish: Publish;
  /** Speaks a reply's sentences (one per reply). */
  readonly speechOutput: () => SentenceOutput;
  /** The reply's last sentence is out: what follows is silence until the next reply. */
  readonly endOfTurn: () => void;
  /** The voice the agent speaks with now (a handoff changes it). */
  readonly voice: () => VoiceSelection;
  /** What agent events do to the call beyond envelopes. */
  readonly onHandoff: (voice: VoiceSelection, agent: string) => void;
  readonly onExpect: (expected: Extract<AgentEvent, { type: 'expect' }>) => void;
  readonly onEndCall: (reason: EndReason) => void;
  /** Cuts the reply's messages in the history to what the caller heard. */
  readonly recordHeard: (turn: number, heard: number) => void;
}

/** Where a reply's sentences go to be spoken: the TTS and pacer (media), or ACS's play (transcription). */
export interface SentenceOutput {
  /** Queues a sentence; `onAudio` hears when its first audio is ready (for latency figures). */
  say(
    sentence: SentenceToSpeak,
    turn: number,
    voice: VoiceSelection,
    signal: AbortSignal,
    onAudio?: (requestedAt: number) => void,
  ): void;
  /** Resolves when every queued sentence is on its way; rejects with the first failure. */
  done(): Promise<void>;
}

/** The envelope an agent event becomes, if any. */
export function envelopeOf(
  event: AgentEvent,
  turn: number,
): [EnvelopeType, Record<string, unknown>] | undefined {
  switch (event.type) {
    case 'text':
      return ['assistant_streaming', { text: event.text, agent: event.agent, turn }];
    case 'tool_start':
      return [
        'tool_start',
        { tool: event.tool, call_id: event.callId, args: event.args, agent: event.agent },
      ];
    case 'tool_progress':
      return [
        'tool_progress',
        { tool: event.tool, call_id: event.callId, message: event.message, fraction: event.fraction ?? null },
      ];
    case 'tool_end':
      return [
        'tool_end',
        {
          tool: event.tool,
          call_id: event.callId,
          ok: event.ok,
          result: event.result,
          error: event.error ?? null,
          duration_ms: event.durationMs,
        },
      ];
    case 'handoff':
      return [
        'event',
        {
          event: 'handoff',
          from: event.from,
          to: event.to,
          reason: event.reason ?? null,
          voice: event.voice.alias,
        },
      ];
    case 'end_call':
      return [
        'event',
        {
          event: event.reason === 'human_handoff' ? 'live_agent_transfer' : 'call_ending',
          reason: event.reason,
        },
      ];
    default:
      return undefined;
  }
}

/**
 * One agent reply, from the caller's input to its last frame: the agent's stream, its sentences spoken as
 * they come, its envelopes, its latency run and its `turn` span. Aborting its controller (barge-in,
 * hang-up) cancels the agent, its tools and the synthesis.
 */
export class AgentReply {
  readonly stream: TurnStream;
  readonly controller = new AbortController();
  readonly span: Span;
  readonly latency: LatencyTool;
  readonly greeting: boolean;
  spokenText = '';
  interrupted = false;
  /** The stream and its synthesis are done (its audio may still be playing). */
  produced = false;
  private firstFrameSent = false;
  private finished = false;
  private readonly context: ReplyContext;

  /** `startTime`: when the turn began (the caller stopped speaking); `callStartedAt`: for a greeting. */
  constructor(
    open: (signal: AbortSignal) => TurnStream,
    call: ReplyContext,
    times: { startTime?: number | undefined; callStartedAt?: number | undefined },
  ) {
    this.context = call;
    this.greeting = times.callStartedAt !== undefined;
    this.stream = open(this.controller.signal);
    this.latency = new LatencyTool(call.memo, call.observeLatency);
    this.latency.beginRun();
    this.span = tracer().startSpan(
      this.greeting ? 'turn.greeting' : 'turn',
      {
        attributes: {
          'session.id': call.memo.sessionId,
          ...(call.callId ? { 'call.connection.id': call.callId } : {}),
          'agent.turn': this.stream.turn,
        },
        ...(times.startTime !== undefined ? { startTime: times.startTime } : {}),
      },
      trace.setSpan(context.active(), call.callSpan),
    );
    if (times.callStartedAt !== undefined) this.latency.start('greeting_ttfb_ms', times.callStartedAt);
    this.latency.start('agent_first_text_ms');
  }

  get number(): number {
    return this.stream.turn;
  }

  /** The agent is still answering (not yet produced, not cancelled). */
  get answering(): boolean {
    return !this.produced && !this.controller.signal.aborted;
  }

  /** Runs the agent and speaks its sentences; resolves once produced, cancelled or failed. */
  produce(): Promise<void> {
    return context.with(trace.setSpan(context.active(), this.span), () => this.run());
  }

  /**
   * The reply answers speech: the caller stopped at `speechEndAt`, the VAD decided at `decidedAt`, the
   * recognizer's final result came at `finalAt` (the `stt` span covers that last part).
   */
  answersSpeech(timing: { speechEndAt: number; decidedAt: number; finalAt: number }, chars: number): void {
    this.latency.record('eou_delay_ms', timing.decidedAt - timing.speechEndAt);
    this.latency.record('stt_final_ms', timing.finalAt - timing.decidedAt);
    this.latency.start('voice_to_voice_ms', timing.speechEndAt);
    tracer()
      .startSpan(
        'stt',
        { startTime: timing.decidedAt, attributes: { 'stt.chars': chars } },
        trace.setSpan(context.active(), this.span),
      )
      .end(timing.finalAt);
  }

  /** The reply's first frame went out: the voice-to-voice and greeting figures end here. */
  frameSent(): void {
    if (this.firstFrameSent) return;
    this.firstFrameSent = true;
    this.latency.stop('voice_to_voice_ms');
    this.latency.stop('greeting_ttfb_ms');
  }

  /**
   * The caller cut the reply, whose speech began at `onsetAt`, after hearing `heard` characters: the agent
   * stops, its history keeps only what was heard, and `barge_in_stop_ms` is taken. False when already cut.
   */
  interrupt(heard: number, onsetAt: number): boolean {
    const stoppedAt = performance.now();
    this.controller.abort(new Error('barge-in'));
    if (this.interrupted) return false;
    this.interrupted = true;
    this.context.recordHeard(this.number, heard);
    this.latency.record('barge_in_stop_ms', stoppedAt - onsetAt);
    this.span.setAttribute('rtvoice.interrupted', true);
    this.span.setAttribute('rtvoice.heard_chars', heard);
    const heardText = this.spokenText.slice(0, heard).trim();
    this.context.publish('event', { event: 'barge_in', turn: this.number, heard_text: heardText });
    return true;
  }

  /** Ends the reply's span; the first call returns its metrics payload, later ones undefined. */
  finish(): Record<string, unknown> | undefined {
    if (this.finished) return undefined;
    this.finished = true;
    const values = this.latency.run;
    for (const [name, value] of Object.entries(values)) this.span.setAttribute(`rtvoice.${name}`, value);
    this.span.end();
    return turnMetrics(this, values);
  }

  private async run(): Promise<void> {
    const { publish, log } = this.context;
    const signal = this.controller.signal;
    const output = this.context.speechOutput();
    let firstSentence = true;
    try {
      for await (const event of abortable(this.stream, signal)) {
        if (event.type === 'text') {
          this.latency.stop('agent_first_text_ms');
          this.spokenText += event.text;
        } else if (event.type === 'sentence') {
          const measure = firstSentence;
          firstSentence = false;
          output.say(event, this.number, this.context.voice(), signal, (requestedAt) => {
            if (measure) this.latency.record('tts_first_audio_ms', performance.now() - requestedAt);
          });
        } else if (event.type === 'handoff') this.context.onHandoff(event.voice, event.to);
        else if (event.type === 'expect') this.context.onExpect(event);
        else if (event.type === 'end_call') this.context.onEndCall(event.reason);
        const envelope = envelopeOf(event, this.number);
        if (envelope) publish(...envelope);
      }
      await output.done();
      if (signal.aborted) return;
      this.context.endOfTurn();
      this.produced = true;
      publish('assistant_transcript', { text: this.spokenText.trim(), turn: this.number });
    } catch (err) {
      if (signal.aborted) return;
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(err) });
      log.error({ err: errorMessage(err), turn: this.number }, 'agent turn failed');
      publish('error', {
        message: 'the agent could not answer',
        detail: errorMessage(err),
        turn: this.number,
      });
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
