import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CallRecord } from '../../../src/load/call-record.ts';
import { SimulatedCaller } from '../../../src/load/simulated-caller.ts';
import type { Line } from './corpus.ts';
import { AgentEar } from './ear.ts';
import { onTheLine } from './line.ts';
import { JUDGED_SLOTS, type Meaning } from './meaning.ts';
import type { CallPlan } from './plan.ts';
import { stepOf, stepOfState, type Step } from './prompts.ts';
import type { Rng } from './rng.ts';
import { CallerScript, type Action, type Progress } from './script.ts';
import { slower, type CallerSpeech } from './voice.ts';
import { sessionState, SessionWatch, type SessionState, type ToolCall } from './watch.ts';

/** No agent speech this long after the caller's utterance: the caller says it again, once. */
const NUDGE_MS = 6000;
/** No agent speech this long: the call has stalled and is ended. */
const STALL_MS = 15_000;
/** The agent has finished its turn once it has been quiet this long (and the caller too, this long). */
const SETTLE_AGENT_MS = 500;
const SETTLE_CALLER_MS = 1200;
/** A recognised utterance that made no reply by then never will. */
const PENDING_REPLY_MS = 4000;
const MAX_UTTERANCES = 25;
const MAX_CALL_MS = 180_000;
/** A barge-in starts this long into the agent's prompt. */
const BARGE_IN_DELAY_MS: readonly [number, number] = [800, 1300];
const PAUSE_MS: readonly [number, number] = [300, 800];

export interface Commit {
  readonly slot: string;
  readonly value: unknown;
  /** Undefined for a slot the bench does not know. */
  readonly right: boolean | undefined;
}

export interface Utterance {
  readonly index: number;
  /** The step the caller took the agent to be at, and the agent's words it answered. */
  readonly step: Step | undefined;
  readonly prompt: string;
  readonly text: string;
  readonly kind: Line['kind'] | 'dtmf';
  readonly means: Meaning;
  readonly pauseMs?: number;
  /** Said over the agent's prompt on purpose. */
  readonly bargeIn: boolean;
  /** Said again because the agent did not answer the utterance of this index. */
  readonly repeatOf?: number;
  /** Clock of the conversation: sending began, the last frame was sent (set once it has been). */
  readonly sentAt: number;
  endAt: number;
  /** What the recognizer made of it (every final result until the next utterance). */
  heard: string[];
  /** Slot values committed after it (until the next look at the session). */
  commits: Commit[];
  /** The agent said nothing for NUDGE_MS after it. */
  unanswered: boolean;
  /** The next prompt's step (an off-script line should get the same step asked again). */
  nextStep?: Step | undefined;
}

export type CallEnd = 'agent_ended' | 'stalled' | 'too_long' | 'gave_up' | 'connect_failed' | 'server_closed';

export interface Conversation {
  readonly sessionId: string;
  readonly end: CallEnd;
  readonly note?: string;
  readonly utterances: readonly Utterance[];
  readonly agentTurns: readonly { turn: number; text: string }[];
  readonly tools: readonly ToolCall[];
  readonly handoffs: readonly { to: string; at: number }[];
  readonly ending?: { reason: string; at: number };
  /** Arrival of each spurt of agent speech (conversation clock). */
  readonly agentSpurts: readonly number[];
  readonly slots: Record<string, unknown>;
  /** Prompts whose step the cues did not recognise (the flow's position told it, or nothing did). */
  readonly unrecognisedPrompts: readonly string[];
  readonly personAsked: boolean;
  readonly record: CallRecord;
  /** The record's times are ms after connect(), which was this far into the conversation's clock. */
  readonly recordOffset: number;
}

export interface ConversationContext {
  /** http://host:port of the server. */
  readonly url: string;
  readonly speech: CallerSpeech;
  readonly slotRight: (slot: string, value: unknown, meaning: Meaning) => boolean | undefined;
  /** Aborting hangs up: a hard limit on the call, whatever it is waiting for. */
  readonly signal: AbortSignal;
}

/**
 * One reactive call: the caller listens (the agent's audio on the line, its words through the session's
 * relay), answers the step the agent is at, and keeps going until the agent ends the call, the call
 * stalls, or it runs too long. Nothing here throws for what the agent does; it is all recorded.
 */
export async function converse(
  plan: CallPlan,
  rng: Rng,
  context: ConversationContext,
): Promise<Conversation> {
  const call = new Call(plan, rng, context);
  return call.run();
}

class Call {
  private readonly plan: CallPlan;
  private readonly rng: Rng;
  private readonly context: ConversationContext;
  private readonly sessionId: string;
  private readonly t0 = performance.now();
  private readonly clock = () => performance.now() - this.t0;
  private readonly ear = new AgentEar(this.clock);
  private readonly script: CallerScript;
  private readonly utterances: Utterance[] = [];
  private readonly unrecognised: string[] = [];
  private caller!: SimulatedCaller;
  private watch!: SessionWatch;
  private slots: Record<string, unknown> = {};
  /** Utterances before this index have had their commits looked at. */
  private judgedUpTo = 0;
  private bargedIn = false;

  constructor(plan: CallPlan, rng: Rng, context: ConversationContext) {
    this.plan = plan;
    this.rng = rng;
    this.context = context;
    this.sessionId = `dialog-${String(plan.index).padStart(3, '0')}-${randomUUID().slice(0, 8)}`;
    this.script = new CallerScript(plan, rng.fork('script'));
  }

  async run(): Promise<Conversation> {
    this.watch = await SessionWatch.open(this.context.url, this.sessionId, this.clock);
    this.caller = new SimulatedCaller({
      url: this.context.url.replace('http', 'ws'),
      protocol: 'acs',
      sessionId: this.sessionId,
      onAgentAudio: this.ear.hear,
      signal: this.context.signal,
    });
    let end: CallEnd;
    let note: string | undefined;
    const recordOffset = this.clock();
    try {
      ({ end, note } = (await this.caller.connect())
        ? await this.talk()
        : { end: 'connect_failed', note: this.caller.record().errors[0]?.reason });
    } finally {
      await this.caller.hangup();
      // The last envelopes (the goodbye's) and the session's final slots.
      await sleep(300);
      this.watch.close();
    }
    await this.lookAtSession();
    this.utterances.forEach((u, i) => (u.heard = this.watch.heard(u.sentAt, this.utterances[i + 1]?.sentAt)));
    const ending = this.watch.ending();
    return {
      sessionId: this.sessionId,
      end,
      ...(note ? { note } : {}),
      utterances: this.utterances,
      agentTurns: this.watch.agentTurns(),
      tools: this.watch.tools(),
      handoffs: this.watch.handoffs(),
      ...(ending ? { ending } : {}),
      agentSpurts: this.ear.spurts,
      slots: this.slots,
      unrecognisedPrompts: this.unrecognised,
      personAsked: this.script.personAsked,
      record: await this.caller.done,
      recordOffset,
    };
  }

  private async talk(): Promise<{ end: CallEnd; note?: string }> {
    let since = 0;
    for (;;) {
      if (this.utterances.length >= MAX_UTTERANCES || this.clock() > MAX_CALL_MS)
        return {
          end: 'too_long',
          note: `${this.utterances.length} utterances, ${Math.round(this.clock() / 1000)} s`,
        };
      const reply = await this.awaitReply(since);
      if (reply === 'closed') return this.closed();
      if (reply === 'stalled')
        return {
          end: 'stalled',
          note: `no agent speech after: ${this.lastText()} (server since: ${this.serverSince(this.utterances.at(-1)?.sentAt ?? 0)})`,
        };
      const bargeIn = await this.bargeInStep();
      if (bargeIn) {
        const prompt = this.watch.latestTurn()?.text ?? '';
        since = await this.perform(this.script.bargeIn(bargeIn), bargeIn, prompt, { bargeIn: true });
        continue;
      }
      if (!(await this.settle())) return this.closed();
      const state = await this.lookAtSession();
      if (this.watch.ending()) {
        await this.closing();
        return this.closed();
      }
      const prompt = this.watch.latestTurn()?.text ?? '';
      const step = this.stepAt(prompt, state);
      const previous = this.utterances.at(-1);
      if (previous) previous.nextStep = step;
      const action = this.script.next(step, this.progress(prompt));
      if (!action) return { end: 'gave_up', note: this.script.gaveUp ?? '' };
      since = await this.perform(action, step, prompt, {});
    }
  }

  private closed(): { end: CallEnd; note?: string } {
    if (this.context.signal.aborted) return { end: 'too_long', note: 'hung up at the hard time limit' };
    return this.watch.ending()
      ? { end: 'agent_ended' }
      : { end: 'server_closed', note: this.caller.record().closeReason ?? 'closed without an ending' };
  }

  /** The agent ended the call: its goodbye plays, then it closes the socket. */
  private async closing(): Promise<void> {
    for (const deadline = this.clock() + 15_000; this.caller.state !== 'closed' && this.clock() < deadline;)
      await sleep(100);
  }

  /**
   * Waits for agent speech that began after `since`. An utterance left unanswered is said again once (as
   * a caller would); after that, or STALL_MS after the greeting, the call has stalled.
   */
  private async awaitReply(since: number): Promise<'reply' | 'closed' | 'stalled'> {
    let deadline = this.clock() + (this.utterances.length ? NUDGE_MS : STALL_MS);
    let nudged = false;
    for (;;) {
      if (this.caller.state === 'closed') return 'closed';
      if (this.ear.spurtSince(since) !== undefined) return 'reply';
      if (this.clock() >= deadline) {
        const last = this.utterances.at(-1);
        if (!last || nudged) return 'stalled';
        last.unanswered = true;
        nudged = true;
        since = await this.repeat(last);
        deadline = this.clock() + STALL_MS - NUDGE_MS;
      }
      await sleep(25);
    }
  }

  /** The step the plan barges in on, if the agent has just begun it (its text comes before its audio). */
  private async bargeInStep(): Promise<'intent' | 'confirm' | undefined> {
    const target = this.plan.bargeInAt;
    if (!target || this.bargedIn) return undefined;
    const turn = this.watch.latestTurn();
    if (!turn || stepOf(turn.text) !== target) return undefined;
    this.bargedIn = true;
    const start = this.ear.spurts.at(-1) ?? this.clock();
    await sleep(Math.max(0, start + this.rng.between(...BARGE_IN_DELAY_MS) - this.clock()));
    return this.caller.state === 'open' ? target : undefined;
  }

  /** Until the agent has been quiet SETTLE_AGENT_MS, the caller SETTLE_CALLER_MS, and no reply is on its way. */
  private async settle(): Promise<boolean> {
    for (;;) {
      const quiet = await this.caller.waitForAgentSilence({ silenceMs: SETTLE_AGENT_MS, timeoutMs: 60_000 });
      if (!quiet.ok) return false;
      const now = this.clock();
      const heardAt = this.watch.lastHeardAt();
      const pending = this.watch.replyPending() && heardAt !== undefined && now - heardAt < PENDING_REPLY_MS;
      const callerEnd = this.utterances.at(-1)?.endAt ?? 0;
      if (
        now - callerEnd >= SETTLE_CALLER_MS &&
        !pending &&
        now - (this.ear.spurts.at(-1) ?? 0) >= SETTLE_AGENT_MS
      )
        return true;
      await sleep(50);
    }
  }

  /** The step by the prompt's words, else by where the agent's flow stands. */
  private stepAt(prompt: string, state: SessionState | undefined): Step | undefined {
    const step = stepOf(prompt);
    if (step) return step;
    this.unrecognised.push(prompt);
    const agent = state?.activeAgent;
    return stepOfState(agent === undefined ? undefined : state?.flowPosition[agent]?.state);
  }

  /** Reads the session's slots; what changed since the last look was committed by the utterances since. */
  private async lookAtSession(): Promise<SessionState | undefined> {
    const state = await sessionState(this.context.url, this.sessionId).catch(() => undefined);
    if (!state) return undefined;
    const sources = this.utterances.slice(this.judgedUpTo);
    this.judgedUpTo = this.utterances.length;
    for (const [slot, value] of Object.entries(state.slots)) {
      if (JSON.stringify(this.slots[slot]) === JSON.stringify(value)) continue;
      // Right when one of the utterances since meant it; a value nobody said is wrong. It is kept with the
      // utterance that gave that slot, else with the last one.
      const verdicts = sources.map((u) => this.context.slotRight(slot, value, u.means));
      const source =
        sources[verdicts.lastIndexOf(true)] ?? sources[verdicts.lastIndexOf(false)] ?? sources.at(-1);
      const right = JUDGED_SLOTS.has(slot) ? verdicts.includes(true) : undefined;
      source?.commits.push({ slot, value, right });
    }
    this.slots = { ...state.slots };
    return state;
  }

  private progress(prompt: string): Progress {
    const tools = this.watch.tools();
    const { goal } = this.plan;
    return {
      prompt,
      claimFiled: tools.some((t) => t.tool === 'record_fnol' && t.ok),
      policyAnswered:
        goal.kind === 'policy' &&
        tools.some(
          (t) => t.tool === 'find_information_for_policy' && t.result?.answer === goal.question.answer,
        ),
    };
  }

  /** What the server published of the caller's speech since `at`: its VAD events and transcripts. */
  private serverSince(at: number): string {
    const seen = this.watch.seen.filter((s) => s.at >= at);
    const said = seen.flatMap(({ envelope: { type, payload } }) =>
      type === 'event' && String(payload['event']).startsWith('speech_')
        ? [String(payload['event'])]
        : type === 'user_transcript' && payload['final'] === true
          ? [`"${String(payload['text'])}"`]
          : [],
    );
    return said.join(', ') || 'nothing';
  }

  private lastText(): string {
    return this.utterances.at(-1)?.text ?? '(the greeting)';
  }

  /** Says (or keys in) an action's line; returns when it began, for the reply to come after. */
  private async perform(
    action: Action,
    step: Step | undefined,
    prompt: string,
    options: { bargeIn?: boolean; repeatOf?: number },
  ): Promise<number> {
    const index = this.utterances.length;
    const base = {
      index,
      step,
      prompt,
      text: action.line.text,
      means: action.line.means,
      bargeIn: options.bargeIn ?? false,
      ...(options.repeatOf === undefined ? {} : { repeatOf: options.repeatOf }),
      heard: [],
      commits: [],
      unanswered: false,
    };
    if (action.dtmf) {
      const at = this.clock();
      this.caller.sendDtmf(action.dtmf);
      this.utterances.push({ ...base, kind: 'dtmf', sentAt: at, endAt: at });
      return at;
    }
    const parts = action.line.text.split('|').map((part) => part.trim());
    const voice = action.slow ? slower(this.plan.voice) : this.plan.voice;
    const audio = await Promise.all(parts.map((part) => this.context.speech.speak(part, voice)));
    const pauseMs = parts.length > 1 ? this.rng.int(...PAUSE_MS) : undefined;
    const samples = onTheLine(audio, pauseMs === undefined ? [] : [pauseMs], this.plan.line, this.rng);
    const sentAt = this.clock();
    const utterance: Utterance = {
      ...base,
      kind: action.line.kind,
      ...(pauseMs === undefined ? {} : { pauseMs }),
      sentAt,
      endAt: sentAt,
    };
    this.utterances.push(utterance);
    await this.caller.say(samples, { label: label(index) });
    utterance.endAt = this.clock();
    return sentAt;
  }

  /** The same thing again, without the pause, because the agent said nothing. */
  private repeat(last: Utterance): Promise<number> {
    const line: Line = {
      text: last.text.replace(/\s*\|\s*/g, ' '),
      means: last.means,
      kind: last.kind === 'dtmf' ? 'answer' : last.kind,
    };
    const dtmf = last.kind === 'dtmf' ? `${last.means.verifier}#` : undefined;
    return this.perform({ line, ...(dtmf ? { dtmf } : {}) }, last.step, last.prompt, {
      repeatOf: last.index,
    });
  }
}

/** The SimulatedCaller turn label of utterance `index`. */
export const label = (index: number) => `u${index}`;
