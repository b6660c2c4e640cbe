import { fmt, percentile, printTable, type Row } from '../../lib/stats.ts';
import type { Conversation, Utterance } from './conversation.ts';
import type { UtteranceTiming, Verdict } from './judge.ts';
import { lineLabel } from './line.ts';
import type { CallPlan } from './plan.ts';
import { voiceLabel } from './voice.ts';

export interface CallOutcome {
  readonly plan: CallPlan;
  /** Absent when the bench itself failed to run the call (`error` says why). */
  readonly call?: Conversation;
  readonly error?: string;
  readonly verdict: Verdict;
  readonly timings: readonly UtteranceTiming[];
}

const pct = (part: number, whole: number) => (whole === 0 ? 'n/a' : `${fmt((100 * part) / whole, 1)} %`);
const ratio = (part: number, whole: number) => `${part} / ${whole} (${pct(part, whole)})`;

/** The figures of a run, as printed and as written to the JSON file. */
export function figures(outcomes: readonly CallOutcome[]) {
  const utterances = outcomes.flatMap((o) => (o.call?.utterances ?? []).map((u) => ({ o, u })));
  const timing = new Map(
    outcomes.flatMap((o) => o.timings.map((t) => [`${o.plan.index}:${t.index}`, t] as const)),
  );
  const timed = utterances.flatMap(({ o, u }) => {
    const t = timing.get(`${o.plan.index}:${u.index}`);
    return t ? [{ o, u, t }] : [];
  });
  const paused = timed.filter(({ u }) => u.pauseMs !== undefined);
  const plain = timed.filter(({ u }) => u.pauseMs === undefined && !u.bargeIn);
  const commits = utterances.flatMap(({ u }) => u.commits.filter((c) => c.right !== undefined));
  const bySlot = new Map<string, { right: number; all: number }>();
  for (const c of commits) {
    const entry = bySlot.get(c.slot) ?? { right: 0, all: 0 };
    entry.all += 1;
    if (c.right) entry.right += 1;
    bySlot.set(c.slot, entry);
  }
  const offScript = utterances.filter(({ u }) => u.kind === 'out_of_grammar');
  const rejected = offScript.filter(({ u }) => rejectedLine(u));
  const v2v = timed.flatMap(({ t }) => (t.voiceToVoiceMs === undefined ? [] : [t.voiceToVoiceMs]));
  const byGoal = (kind: CallPlan['goal']['kind']) => {
    const of = outcomes.filter((o) => o.plan.goal.kind === kind);
    return { success: of.filter((o) => o.verdict.success).length, calls: of.length };
  };
  const ends = new Map<string, number>();
  for (const o of outcomes) {
    const end = o.call?.end ?? 'bench_error';
    ends.set(end, (ends.get(end) ?? 0) + 1);
  }
  return {
    calls: outcomes.length,
    success: outcomes.filter((o) => o.verdict.success).length,
    claim: byGoal('claim'),
    policy: byGoal('policy'),
    person: byGoal('person'),
    talking: outcomes.filter((o) => o.plan.goal.kind !== 'person').length,
    verified: outcomes.filter((o) => o.plan.goal.kind !== 'person' && o.verdict.verified).length,
    verifiedMisheard: outcomes.filter((o) => o.plan.goal.kind !== 'person' && o.verdict.verifiedMisheard)
      .length,
    commitsRight: commits.filter((c) => c.right).length,
    commits: commits.length,
    bySlot: Object.fromEntries(bySlot),
    wrongCommitCalls: outcomes.filter((o) => o.verdict.wrongCommits.length > 0).length,
    pausedUtterances: paused.length,
    pausedCutOff: paused.filter(({ t }) => t.cutOff).length,
    spokenUtterances: timed.length,
    cutOff: timed.filter(({ t }) => t.cutOff).length,
    plainUtterances: plain.length,
    plainCutOff: plain.filter(({ t }) => t.cutOff).length,
    voiceToVoice: { p50: percentile(v2v, 50), p95: percentile(v2v, 95), samples: v2v.length },
    outOfGrammar: offScript.length,
    outOfGrammarRejected: rejected.length,
    unanswered: utterances.filter(({ u }) => u.unanswered).length,
    bargeIns: timed.filter(({ u }) => u.bargeIn).length,
    bargeInsStopped: timed.filter(({ u, t }) => u.bargeIn && t.stoppedAgent).length,
    escalatedUnasked: outcomes.filter((o) => o.verdict.escalatedUnasked).length,
    ends: Object.fromEntries(ends),
    utterances: utterances.length,
  };
}

/** An off-script line was rejected: nothing committed from it, and the same question asked again. */
export function rejectedLine(u: Utterance): boolean {
  return u.commits.length === 0 && u.nextStep === u.step;
}

export type Figures = ReturnType<typeof figures>;

export function printFigures(f: Figures, extra: readonly Row[]): void {
  const p = (value: number) => (Number.isNaN(value) ? 'n/a' : fmt(value, 0));
  printTable(`Dialog: ${f.calls} calls, ${f.utterances} caller utterances`, [
    { metric: 'task success', value: ratio(f.success, f.calls) },
    {
      metric: '  claim filed right / policy question answered / escalated',
      value: `${f.claim.success}/${f.claim.calls}, ${f.policy.success}/${f.policy.calls}, ${f.person.success}/${f.person.calls}`,
    },
    {
      metric: '  verified as the right holder (claim and policy calls)',
      value: ratio(f.verified, f.talking),
    },
    { metric: '    with a misheard name (the demo tolerates it)', value: String(f.verifiedMisheard) },
    { metric: 'slot accuracy (committed values right)', value: ratio(f.commitsRight, f.commits) },
    ...Object.entries(f.bySlot).map(([slot, s]) => ({ metric: `  ${slot}`, value: `${s.right} / ${s.all}` })),
    { metric: 'calls with a wrong commit', value: ratio(f.wrongCommitCalls, f.calls), target: '0' },
    {
      metric: 'false cut-offs (utterances with an inner pause)',
      value: ratio(f.pausedCutOff, f.pausedUtterances),
    },
    {
      metric: 'cut-offs, utterances without a planned pause',
      value: ratio(f.plainCutOff, f.plainUtterances),
    },
    { metric: 'cut-offs, all spoken utterances', value: ratio(f.cutOff, f.spokenUtterances) },
    {
      metric: 'voice-to-voice p50 / p95, complete utterances (ms)',
      value: `${p(f.voiceToVoice.p50)} / ${p(f.voiceToVoice.p95)} (${f.voiceToVoice.samples} samples)`,
    },
    { metric: 'out-of-grammar utterances rejected', value: ratio(f.outOfGrammarRejected, f.outOfGrammar) },
    { metric: 'utterances the agent did not answer (6 s)', value: String(f.unanswered) },
    { metric: 'barge-ins that stopped the agent', value: `${f.bargeInsStopped} / ${f.bargeIns}` },
    { metric: 'escalated without being asked', value: String(f.escalatedUnasked) },
    {
      metric: 'how calls ended',
      value: Object.entries(f.ends)
        .map(([end, n]) => `${end} ${n}`)
        .join(', '),
    },
    ...extra,
  ]);
}

/** The failures worth reading, by kind, a few of each: said → heard → what the agent did. */
export function printFindings(outcomes: readonly CallOutcome[], perKind = 6): void {
  const kinds = new Map<string, string[]>();
  const add = (kind: string, line: string) => kinds.set(kind, [...(kinds.get(kind) ?? []), line]);
  for (const o of outcomes) {
    const id = `#${String(o.plan.index).padStart(3, '0')}`;
    if (o.error) add('bench errors', `${id} ${o.error}`);
    for (const w of o.verdict.wrongCommits) add('wrong commits', `${id} ${w}`);
    if (!o.call) continue;
    const timing = new Map(o.timings.map((t) => [t.index, t]));
    for (const u of o.call.utterances) {
      const said = `"${u.text}" → heard ${u.heard.length ? u.heard.map((h) => `"${h}"`).join(' + ') : 'nothing'}`;
      for (const c of u.commits.filter((c) => c.right === false))
        add(`wrong slot values: ${c.slot}`, `${id} ${said} → ${JSON.stringify(c.value)}`);
      const cutOff = timing.get(u.index)?.cutOff;
      if (cutOff && u.pauseMs !== undefined)
        add('cut off in an inner pause', `${id} ${u.pauseMs} ms: ${said}`);
      if (cutOff && u.pauseMs === undefined && !u.bargeIn)
        add('cut off without a planned pause', `${id} ${said}`);
      if (u.kind === 'out_of_grammar' && !rejectedLine(u))
        add('off-script lines not rejected', `${id} at ${u.step}: ${said}, then ${u.nextStep ?? '?'}`);
      if (u.unanswered) add('utterances not answered', `${id} ${said}`);
    }
    if (o.call.end !== 'agent_ended') add(`calls ${o.call.end}`, `${id} ${o.call.note ?? ''}`);
  }
  process.stdout.write('\nWhat went wrong (a few of each; every call in the JSON file)\n');
  for (const [kind, lines] of kinds) {
    process.stdout.write(`  ${kind} (${lines.length}):\n`);
    for (const line of lines.slice(0, perKind)) process.stdout.write(`    ${line}\n`);
  }
}

/** One call as the JSON file keeps it. */
export function callReport(o: CallOutcome) {
  const { plan, call } = o;
  const timing = new Map(o.timings.map((t) => [t.index, t]));
  return {
    index: plan.index,
    persona: plan.persona.name,
    code: plan.code,
    goal: plan.goal,
    voice: voiceLabel(plan.voice),
    line: lineLabel(plan.line),
    paused: plan.paused,
    out_of_grammar_at: plan.outOfGrammarAt ?? null,
    barge_in_at: plan.bargeInAt ?? null,
    dtmf: plan.dtmf,
    checks_read_back: plan.checksReadBack,
    verdict: o.verdict,
    error: o.error ?? null,
    session_id: call?.sessionId ?? null,
    end: call?.end ?? null,
    note: call?.note ?? null,
    utterances: (call?.utterances ?? []).map((u) => ({ ...u, ...timing.get(u.index) })),
    agent_turns: call?.agentTurns ?? [],
    tools: call?.tools ?? [],
    handoffs: call?.handoffs ?? [],
    final_slots: call?.slots ?? {},
    unrecognised_prompts: call?.unrecognisedPrompts ?? [],
    greeting_ttfb_ms: call?.record.greetingTtfbMs ?? null,
    duration_ms: call ? Math.round(call.record.durationMs) : null,
    caller_errors: call?.record.errors ?? [],
  };
}
