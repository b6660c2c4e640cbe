import { setTimeout as sleep } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import type { CallRecord } from './call-record.ts';
import { LiveStats, type TimelinePoint } from './report.ts';
import type { Scenario, PreparedTurn } from './scenario.ts';
import { SimulatedCaller, type CallerProtocol } from './simulated-caller.ts';

export interface LoadOptions {
  /** ws:// or wss:// base of the server (http(s):// is accepted and converted). */
  readonly url: string;
  readonly protocol: CallerProtocol;
  /** Calls in flight at once. */
  readonly concurrency: number;
  /** Calls to make in all. */
  readonly conversations: number;
  /** Caller turns per call (the scenario's turns, repeated when it has fewer). */
  readonly turns: number;
  /** The first `concurrency` calls start spread over this many seconds. */
  readonly rampUpS: number;
  /** Stop starting calls after this many seconds, and hang up the ones still running. */
  readonly durationS?: number | undefined;
  readonly scenario: Scenario;
  readonly signal?: AbortSignal | undefined;
  /** Called about once a second with the run so far (for a progress line). */
  readonly onProgress?: ((progress: TimelinePoint) => void) | undefined;
}

export interface LoadRun {
  readonly records: readonly CallRecord[];
  readonly timeline: readonly TimelinePoint[];
  readonly startedAt: Date;
  readonly finishedAt: Date;
}

/** How long to wait for the agent to answer or to finish, before the turn counts as failed. */
const REPLY_TIMEOUT_MS = 15_000;
const FINISH_TIMEOUT_MS = 60_000;
/** Agent silence that ends its reply. */
const REPLY_END_SILENCE_MS = 800;

/**
 * The seed's ConversationSimulator: many simulated callers having whole conversations with a server over
 * the ACS or browser protocol, measured from the caller's side. It never throws for a failing server: a
 * call that cannot connect, is refused, is cut or gets garbage records its errors and the run goes on.
 */
export class ConversationSimulator {
  private readonly options: LoadOptions;
  private readonly records: CallRecord[] = [];
  private readonly active = new Set<SimulatedCaller>();
  private readonly timeline: TimelinePoint[] = [];
  private readonly live = new LiveStats();
  private started = 0;
  private readonly seenTurns = new WeakMap<SimulatedCaller, number>();

  constructor(options: LoadOptions) {
    if (options.concurrency < 1 || options.conversations < 1 || options.turns < 1) {
      throw new RangeError('concurrency, conversations and turns must be at least 1');
    }
    this.options = { ...options, url: options.url.replace(/^http/, 'ws') };
  }

  async run(): Promise<LoadRun> {
    const { concurrency, conversations, rampUpS, durationS, signal } = this.options;
    const startedAt = new Date();
    const t0 = performance.now();
    const stop = new AbortController();
    const stopSignal = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
    const deadline = durationS === undefined ? undefined : setTimeout(() => stop.abort(), durationS * 1000);
    const sampler = setInterval(() => this.sample(t0), 1000);
    try {
      const lanes = Array.from({ length: Math.min(concurrency, conversations) }, async (_, lane) => {
        await pause((rampUpS * 1000 * lane) / concurrency, stopSignal);
        while (!stopSignal.aborted && this.started < conversations) {
          this.started += 1;
          this.records.push(await this.call(stopSignal));
        }
      });
      await Promise.all(lanes);
    } finally {
      clearTimeout(deadline);
      clearInterval(sampler);
      this.sample(t0);
    }
    return { records: this.records, timeline: this.timeline, startedAt, finishedAt: new Date() };
  }

  /** One conversation: connect, hear the greeting, then the scenario's turns. */
  private async call(signal: AbortSignal): Promise<CallRecord> {
    const sessionId = `load-${randomUUID()}`;
    const caller = new SimulatedCaller({
      url: this.options.url,
      protocol: this.options.protocol,
      sessionId,
      ...(this.options.protocol === 'acs' ? { callId: `call-${sessionId}` } : {}),
      signal,
    });
    this.active.add(caller);
    this.live.callStarted();
    try {
      if (!(await caller.connect())) return caller.record();
      const turns = this.options.scenario.turns;
      if (turns[0]!.bargeInMs !== undefined)
        await caller.waitForAgentSpeech({ timeoutMs: REPLY_TIMEOUT_MS, signal });
      else await this.finishReply(caller, signal);
      for (let i = 0; i < this.options.turns && !signal.aborted && caller.state === 'open'; i += 1) {
        const next = i + 1 < this.options.turns ? turns[(i + 1) % turns.length] : undefined;
        await this.turn(caller, turns[i % turns.length]!, next?.bargeInMs !== undefined, signal);
      }
      const record = await caller.hangup();
      this.collect(caller, record);
      this.live.callEnded(record);
      return record;
    } finally {
      if (caller.state !== 'closed') await caller.hangup();
      this.active.delete(caller);
    }
  }

  /**
   * One caller turn and the agent's reply. When the next turn barges in, only the start of this reply
   * is awaited: the next turn talks over the rest.
   */
  private async turn(
    caller: SimulatedCaller,
    turn: PreparedTurn,
    nextBargesIn: boolean,
    signal: AbortSignal,
  ): Promise<void> {
    // A barge-in speaks this long into the reply that is playing; otherwise the caller pauses first.
    await pause(turn.bargeInMs ?? turn.pauseMs, signal);
    if (signal.aborted) return;
    if (turn.kind === 'dtmf') caller.sendDtmf(turn.digits);
    else await caller.say(turn.samples, { label: turn.label });
    if (nextBargesIn) await caller.waitForAgentSpeech({ timeoutMs: REPLY_TIMEOUT_MS, signal });
    else await this.finishReply(caller, signal);
  }

  private async finishReply(caller: SimulatedCaller, signal: AbortSignal): Promise<void> {
    const speech = await caller.waitForAgentSpeech({ timeoutMs: REPLY_TIMEOUT_MS, signal });
    if (!speech.ok) return;
    await caller.waitForAgentSilence({
      silenceMs: REPLY_END_SILENCE_MS,
      timeoutMs: FINISH_TIMEOUT_MS,
      signal,
    });
  }

  /** Hands the live figures the turns of `caller` that finished since it last looked. */
  private collect(caller: SimulatedCaller, record: CallRecord): void {
    const seen = this.seenTurns.get(caller) ?? 0;
    const complete = record.turns.filter((t) => t.agentFirstAudioMs !== undefined);
    // A barge-in's "reply" is the answer to the interruption, not a voice-to-voice figure.
    for (const turn of complete.slice(seen)) this.live.addTurn(turn.bargeIn ? {} : turn);
    this.seenTurns.set(caller, Math.max(seen, complete.length));
  }

  private sample(t0: number): void {
    for (const caller of this.active) this.collect(caller, caller.record());
    const point = this.live.timelinePoint(performance.now() - t0);
    this.timeline.push(point);
    this.options.onProgress?.(point);
  }
}

/** Waits `ms`, or less when `signal` aborts (the run is stopping). */
const pause = (ms: number, signal: AbortSignal): Promise<unknown> =>
  sleep(ms, undefined, { signal }).catch(() => undefined);
