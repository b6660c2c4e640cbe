import type { Span } from '@opentelemetry/api';
import type { UserInput } from '../../agents/events.ts';
import type { Orchestrator, TurnStream } from '../../agents/orchestrator.ts';
import type { EndReason } from '../../agents/tools/tool.ts';
import type { VoiceSelection } from '../../agents/voices.ts';
import { errorMessage } from '../../errors.ts';
import type { CallEvent } from '../../calls/call-events.ts';
import { CALL_RECORD_KEY, callerOf, toneDigit, type CallRecord } from '../../calls/call-records.ts';
import { tracer } from '../../telemetry/tracing.ts';
import type {
  TranscriptionMetadata,
  TranscriptionResult,
} from '../../transports/acs-transcription/transcription-codec.ts';
import { CALL_CLOSE } from '../../transports/close-codes.ts';
import type { TranscriptHandler } from '../../transports/transport.ts';
import type { CallControl, TranscriptContext } from '../call-context.ts';
import { AgentReply, type ReplyContext } from '../cascade/agent-reply.ts';
import { Keypad } from '../cascade/keypad.ts';
import { publisher, type Publish } from '../cascade/publisher.ts';
import type { MediaSettings } from '../cascade/session-deps.ts';
import { TurnReports } from '../cascade/turn-metrics.ts';
import { PlayQueue } from './play-queue.ts';
import { speakerOf, speechEndOf, StreamClock, transcriptPayload } from './speakers.ts';

/** What the caller hears when rtvoice can no longer hear or speak to them, before a person takes over. */
export const TROUBLE_MESSAGE =
  "I'm sorry, I'm having trouble hearing you. Let me connect you with a colleague.";

/** Session context: the call was greeted (a restarted transcription does not greet again). */
const GREETED_KEY = 'transcription_greeted';

export interface TranscriptionSessionDeps extends TranscriptContext {
  readonly callId: string;
  readonly control: CallControl;
  readonly orchestrator: Orchestrator;
  readonly settings: MediaSettings;
  readonly observeLatency: (stage: string, ms: number) => void;
}

/**
 * One call in `transcription` mode with an agent: ACS recognises the caller and speaks the agent's
 * replies. A caller's Final result is a turn; an Intermediate result while the agent speaks interrupts it
 * (ACS cancels the play, the history keeps the sentences that played in full); the replies' sentences are
 * played one at a time by ACS. If ACS can no longer play, the caller is handed to a person
 * (ACS_TRANSFER_NUMBER), or the call ends; telephony restarts a failed transcription, then does the same.
 */
export class TranscriptionSession implements TranscriptHandler {
  private readonly deps: TranscriptionSessionDeps;
  private readonly publish: Publish;
  private readonly reports: TurnReports;
  private readonly plays: PlayQueue;
  private readonly keypad: Keypad;
  private readonly clock = new StreamClock();
  private readonly callSpan: Span;
  private state: 'new' | 'live' | 'closed' = 'new';
  private reply: AgentReply | undefined;
  private voice: VoiceSelection;
  private locale: string;
  /** Why the agent ended the call, once it has; its last reply plays out, then the call ends. */
  private endingCall: EndReason | undefined;
  /** An interruption whose play has not yet reported how it ended: the next turn waits for it. */
  private settling: Promise<void> = Promise.resolve();
  private givingUp = false;

  constructor(deps: TranscriptionSessionDeps) {
    this.deps = deps;
    const { memo, callId, transport, log, orchestrator } = deps;
    this.publish = publisher((m) => transport.publish(m), { sessionId: memo.sessionId, callId }, log);
    this.reports = new TurnReports(memo, this.publish);
    this.voice = this.azureVoice();
    this.locale = this.voice.language;
    this.plays = new PlayQueue({
      media: deps.control.media,
      log,
      prefix: `rtvoice-play:${memo.sessionId}`,
      events: {
        requested: (turn) => this.replyOf(turn)?.latency.stop('final_to_play_ms'),
        started: (turn) => this.replyOf(turn)?.frameSent(),
        failed: (detail) => void this.giveUp(`ACS could not play the agent's reply: ${detail}`),
      },
    });
    this.keypad = new Keypad(deps.settings.dtmfInterDigitMs, (digits) =>
      this.respond({ kind: 'dtmf', digits }),
    );
    this.callSpan = tracer().startSpan('call', {
      attributes: {
        'session.id': memo.sessionId,
        'call.connection.id': callId,
        'rtvoice.transport': transport.name,
        'rtvoice.agent': orchestrator.activeAgent(memo).name,
      },
    });
  }

  begin(metadata: TranscriptionMetadata): void {
    if (metadata.callId !== undefined && metadata.callId !== this.deps.callId)
      this.deps.log.warn({ metadata_call: metadata.callId }, 'transcription metadata names another call');
    this.goLive();
  }

  result(result: TranscriptionResult, receivedAt: number): void {
    this.goLive();
    if (this.state !== 'live') return;
    const end = speechEndOf(result);
    if (end !== undefined) this.clock.observe(end, receivedAt);
    const speaker = speakerOf(result.participantRawId, this.deps.memo);
    this.publish('user_transcript', transcriptPayload(result, speaker));
    // Someone else on the call (a person the call was transferred to, a supervisor) does not drive the agent.
    if (speaker.role === 'participant' || !result.text.trim()) return;
    if (!result.final) {
      const heardMs = result.durationMs ?? 0;
      if (this.agentSpeaking() && heardMs >= this.deps.settings.bargeInMinSpeechMs)
        this.interrupt(this.clock.wallTime(result.offsetMs ?? 0) ?? receivedAt);
      return;
    }
    // A short sound over the agent ("mm-hm") is not a turn, as in media mode.
    if (this.agentSpeaking() && (result.durationMs ?? Infinity) < this.deps.settings.bargeInMinSpeechMs)
      return;
    const speechEndAt = end === undefined ? receivedAt : (this.clock.wallTime(end) ?? receivedAt);
    this.respond({ kind: 'speech', text: result.text.trim() }, { speechEndAt, finalAt: receivedAt });
  }

  callEvent(event: CallEvent): void {
    if (event.type.startsWith('Play')) this.plays.callEvent(event);
    else if (event.type === 'ContinuousDtmfRecognitionToneReceived') {
      const digit = toneDigit(event.data['tone']);
      if (this.state !== 'live' || digit === undefined) return;
      this.interruptNow();
      this.keypad.press(digit);
    }
  }

  farewell(message: string): void {
    if (this.state !== 'live' || this.endingCall) return;
    this.interruptNow();
    const { orchestrator, memo } = this.deps;
    this.runReply((signal) => orchestrator.farewell(memo, message, { signal }));
  }

  async close(reason: string): Promise<void> {
    if (this.state === 'closed') return;
    const wasLive = this.state === 'live';
    this.state = 'closed';
    this.keypad.cancel();
    this.reports.flush();
    this.reply?.controller.abort(new Error(`call closed: ${reason}`));
    this.plays.close();
    this.deps.orchestrator.release(this.deps.memo);
    if (wasLive) this.publish('session_end', { reason });
    this.callSpan.setAttribute('rtvoice.close_reason', reason);
    this.callSpan.end();
    return Promise.resolve();
  }

  /**
   * The first message from ACS: the call is live and the agent greets the caller, unless ACS restarted
   * the transcription of a call that was greeted already (the conversation goes on).
   */
  private goLive(): void {
    if (this.state !== 'new') return;
    this.state = 'live';
    const { orchestrator, memo } = this.deps;
    const resumed = memo.getContext<boolean>(GREETED_KEY) === true;
    this.publish('status', {
      message: resumed ? 'transcription resumed' : 'call started',
      mode: 'transcription',
      agent: orchestrator.activeAgent(memo).name,
    });
    this.listenToKeypad();
    if (resumed) return;
    memo.setContext(GREETED_KEY, true);
    this.runReply((signal) => orchestrator.start(memo, { signal }), { callStartedAt: performance.now() });
  }

  /** ACS reports the caller's keys (the agents ask for digits: ZIP codes, menu choices). */
  private listenToKeypad(): void {
    const record = this.deps.memo.getContext<CallRecord>(CALL_RECORD_KEY);
    const caller = record && callerOf(record);
    if (caller === undefined || !caller.startsWith('+')) return;
    this.deps.control.media.startContinuousDtmf(caller).catch((err: unknown) => {
      this.deps.log.warn({ err: errorMessage(err) }, 'keypad tones not recognised on this call');
    });
  }

  /** A Final result from the caller: the agent answers it, once an interruption before it has settled. */
  private respond(input: UserInput, timing?: { speechEndAt: number; finalAt: number }): void {
    if (this.endingCall) return;
    this.interruptNow();
    const { orchestrator, memo } = this.deps;
    const settled = this.settling;
    const reply = this.runReply(
      (signal) => afterSettling(orchestrator.runTurn(memo, input, { signal }), settled),
      { startTime: timing?.speechEndAt },
    );
    if (!reply || !timing) return;
    reply.latency.record('eou_delay_ms', timing.finalAt - timing.speechEndAt);
    reply.latency.start('voice_to_voice_ms', timing.speechEndAt);
    reply.latency.start('final_to_play_ms', timing.finalAt);
  }

  private runReply(
    open: (signal: AbortSignal) => TurnStream,
    times: { startTime?: number | undefined; callStartedAt?: number } = {},
  ): AgentReply | undefined {
    if (this.state !== 'live') return undefined;
    const reply = new AgentReply(open, this.replyContext(), times);
    this.reply = reply;
    void reply.produce().then(async () => {
      if (!reply.interrupted) this.reports.finish(reply);
      if (reply.produced && this.endingCall) await this.endCall(this.endingCall);
    });
    return reply;
  }

  private replyContext(): ReplyContext {
    const { memo, callId, log, observeLatency, orchestrator } = this.deps;
    return {
      memo,
      callId,
      log,
      observeLatency,
      callSpan: this.callSpan,
      publish: (type, payload) => this.publish(type, payload),
      speechOutput: () => this.plays.output(),
      endOfTurn: () => undefined,
      voice: () => this.voice,
      onHandoff: (_voice, agent) => this.handedOff(agent),
      onExpect: () => undefined,
      onEndCall: (reason) => (this.endingCall = reason),
      recordHeard: (turn, heard) => orchestrator.recordHeard(memo, turn, heard),
    };
  }

  /** The agent changed: its voice, and ACS's recognition language when the new agent speaks another. */
  private handedOff(agent: string): void {
    this.voice = this.azureVoice(agent);
    if (this.voice.language === this.locale) return;
    this.locale = this.voice.language;
    this.deps.control.media.updateTranscription(this.locale).catch((err: unknown) => {
      this.deps.log.warn({ err: errorMessage(err), locale: this.locale }, 'transcription locale not updated');
    });
  }

  /** ACS speaks with Azure neural voices: the agent's voice as the `azure` provider maps it. */
  private azureVoice(agent?: string): VoiceSelection {
    const { orchestrator, memo } = this.deps;
    const definition =
      (agent !== undefined ? orchestrator.agents.get(agent) : undefined) ?? orchestrator.activeAgent(memo);
    return orchestrator.voiceOf(definition, 'azure');
  }

  private replyOf(turn: number): AgentReply | undefined {
    return this.reply?.number === turn ? this.reply : undefined;
  }

  private agentSpeaking(): boolean {
    return (this.reply?.answering ?? false) || this.plays.busy;
  }

  private interruptNow(): void {
    if (this.agentSpeaking()) this.interrupt(performance.now());
  }

  /**
   * The caller spoke over the agent (from `onsetAt`): the reply stops, ACS stops playing, and once ACS has
   * said how the play in progress ended, the history keeps the sentences the caller heard in full.
   */
  private interrupt(onsetAt: number): void {
    const reply = this.reply;
    const cancelled = this.plays.cancel();
    if (reply && !reply.interrupted) {
      reply.controller.abort(new Error('barge-in'));
      this.settling = cancelled.then(() => {
        if (reply.interrupt(this.plays.heard(reply.number), onsetAt)) this.reports.finish(reply);
      });
    }
    if (this.endingCall) void this.endCall(this.endingCall);
  }

  /** ACS cannot play the agent's replies: the caller goes to a person (or the call ends). */
  private async giveUp(why: string): Promise<void> {
    if (this.givingUp || this.state === 'closed') return;
    this.givingUp = true;
    this.publish('error', { message: 'the call is handed to a person', detail: why });
    const reply = this.reply;
    reply?.controller.abort(new Error(why));
    await this.plays.cancel();
    // The history keeps what the caller heard: none of what could not be played.
    if (reply)
      this.deps.orchestrator.recordHeard(this.deps.memo, reply.number, this.plays.heard(reply.number));
    await this.deps.control.handOver(why, { apologize: false });
    this.deps.transport.close(CALL_CLOSE.normal, 'call handed to a person');
    await this.close('handed to a person');
  }

  private async endCall(reason: EndReason): Promise<void> {
    if (this.state === 'closed') return;
    await this.deps.control
      .end(reason)
      .catch((err: unknown) =>
        this.deps.log.error({ err: errorMessage(err) }, 'ending the phone call failed'),
      );
    this.deps.transport.close(CALL_CLOSE.normal, 'call ended by the agent');
    await this.close('agent ended the call');
  }
}

/** A turn that starts once `settled` resolves: the agent reads a history already cut to what was heard. */
function afterSettling(stream: TurnStream, settled: Promise<void>): TurnStream {
  return {
    turn: stream.turn,
    async *[Symbol.asyncIterator]() {
      await settled;
      yield* stream;
    },
  };
}
