import type { Conversation, Utterance } from './conversation.ts';
import { label } from './conversation.ts';
import { describes } from './meaning.ts';
import type { CallPlan } from './plan.ts';

/** How a call went, against what the caller wanted. */
export interface Verdict {
  readonly success: boolean;
  /** Why it did not succeed. */
  readonly failures: readonly string[];
  /** What the agent acted on wrongly: a wrong identity, a claim field, an intent. */
  readonly wrongCommits: readonly string[];
  readonly verified: boolean;
  /** Verified as the right holder though the name given to the tool was not theirs (the demo's tolerance). */
  readonly verifiedMisheard: boolean;
  readonly escalated: boolean;
  /** Escalated without the caller asking (a fallback, not a wrong commit). */
  readonly escalatedUnasked: boolean;
  readonly claimsFiled: number;
}

/** Per utterance, from the caller's audio: whether the agent's reply began before it ended, and its latency. */
export interface UtteranceTiming {
  readonly index: number;
  /** Agent speech began while the caller was still speaking (not counting a prompt already playing). */
  readonly cutOff: boolean;
  /** Speech end → first agent audio, for utterances that ran to their end uninterrupted. */
  readonly voiceToVoiceMs?: number;
  /** The server stopped its audio for this utterance (the caller's record saw a barge-in stop). */
  readonly stoppedAgent: boolean;
}

export function judge(plan: CallPlan, call: Conversation): Verdict {
  const { goal, persona } = plan;
  const wrong: string[] = [];
  const failures: string[] = [];
  const codes = [persona.policy.zip, persona.policy.ssnLast4];
  const auths = call.tools.filter(
    (t) => t.tool === 'authenticate_caller' && t.result?.authenticated === true,
  );
  for (const auth of auths) {
    if (auth.result?.policy_id !== persona.policy.policyId)
      wrong.push(`verified as ${String(auth.result?.caller_name)} (${JSON.stringify(auth.args)})`);
    else if (!codes.includes(String(auth.args.verifier)))
      wrong.push(`verified with code ${String(auth.args.verifier)}`);
  }
  const rightAuths = auths.filter((a) => a.result?.policy_id === persona.policy.policyId);
  const verified = rightAuths.length > 0;
  const verifiedMisheard = rightAuths.some((a) => !sameName(String(a.args.full_name), persona.name));

  for (const handoff of call.handoffs) {
    const wanted =
      handoff.to === 'ClaimsAgent' ? 'claim' : handoff.to === 'PolicyAgent' ? 'policy' : undefined;
    if (wanted && wanted !== goal.kind)
      wrong.push(`handed to ${handoff.to} (the caller wanted ${goal.kind})`);
  }

  const filings = call.tools.filter((t) => t.tool === 'record_fnol' && t.ok);
  for (const filing of filings) {
    if (goal.kind !== 'claim') {
      wrong.push('filed a claim the caller did not report');
      continue;
    }
    const { loss_date, description, injuries } = filing.args;
    if (loss_date !== goal.date.iso)
      wrong.push(`claim filed with date ${String(loss_date)}, not ${goal.date.iso}`);
    if (!describes(String(description), goal.description))
      wrong.push(`claim filed as "${String(description)}", not "${goal.description.text}"`);
    if (injuries !== goal.injuries) wrong.push(`claim filed with injuries ${String(injuries)}`);
  }

  const answers = call.tools.filter(
    (t) => t.tool === 'find_information_for_policy' && t.result?.found === true,
  );
  const rightAnswer =
    goal.kind === 'policy' && answers.some((a) => a.result?.answer === goal.question.answer);
  if (goal.kind === 'policy')
    for (const a of answers)
      if (a.result?.answer !== goal.question.answer) wrong.push(`answered "${String(a.result?.answer)}"`);

  const ended = call.tools.find((t) => t.tool === 'end_call' && t.ok);
  if (
    ended &&
    !call.utterances.some((u) => u.sentAt < ended.at && (u.step === 'done' || u.step === 'policy_more'))
  )
    wrong.push('ended the call though the caller had not said they were done');

  const personAt = call.utterances.find((u) => u.kind === 'ask_for_person')?.sentAt;
  const escalation = call.tools.find((t) => t.tool === 'escalate_human' && t.ok);
  const escalated = escalation !== undefined;
  const escalatedUnasked = escalated && (personAt === undefined || escalation.at < personAt);

  if (call.end !== 'agent_ended')
    failures.push(`call ${call.end.replace('_', ' ')}${call.note ? `: ${call.note}` : ''}`);
  if (wrong.length) failures.push('wrong commit');
  if (escalatedUnasked) failures.push('escalated unasked');
  if (goal.kind !== 'person' && !verified) failures.push('not verified');
  if (goal.kind === 'claim' && filings.length === 0) failures.push('no claim filed');
  if (goal.kind === 'policy' && !rightAnswer) failures.push('question not answered');
  if (goal.kind === 'person' && !(escalated && !escalatedUnasked)) failures.push('not escalated');
  const reached =
    goal.kind === 'claim'
      ? verified && filings.length > 0
      : goal.kind === 'policy'
        ? verified && rightAnswer
        : escalated && !escalatedUnasked;
  return {
    success: reached && wrong.length === 0,
    failures: reached && wrong.length === 0 ? [] : failures,
    wrongCommits: wrong,
    verified,
    verifiedMisheard,
    escalated,
    escalatedUnasked,
    claimsFiled: filings.length,
  };
}

const sameName = (a: string, b: string) => {
  const plain = (name: string) =>
    name
      .toLowerCase()
      .replace(/[^a-z]+/g, ' ')
      .trim();
  return plain(a) === plain(b);
};

/** Cut-offs and voice-to-voice from the caller's record and the agent speech it heard. */
export function timings(call: Conversation): UtteranceTiming[] {
  const turns = new Map(call.record.turns.map((t) => [t.label, t] as const));
  return call.utterances.flatMap((u: Utterance) => {
    const turn = turns.get(label(u.index));
    if (u.kind === 'dtmf' || !turn || turn.userSpeechEndMs === undefined) return [];
    const start = turn.userSpeechStartMs + call.recordOffset;
    const end = turn.userSpeechEndMs + call.recordOffset;
    const cutOff = call.agentSpurts.some((at) => at > start && at < end);
    const complete = u.pauseMs === undefined && !u.bargeIn && !turn.bargeIn && !cutOff;
    return [
      {
        index: u.index,
        cutOff,
        ...(complete && turn.voiceToVoiceMs !== undefined ? { voiceToVoiceMs: turn.voiceToVoiceMs } : {}),
        stoppedAgent: turn.bargeInStopMs !== undefined,
      },
    ];
  });
}
