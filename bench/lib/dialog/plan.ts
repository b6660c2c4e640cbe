import { descriptions, policyQuestions, type OutOfGrammarStep } from './corpus.ts';
import { drawLossDate, type LossDate } from './dates.ts';
import { drawLine, type LineSpec } from './line.ts';
import type { Description, PolicyQuestion } from './meaning.ts';
import { PERSONAS, type Persona } from './personas.ts';
import type { Step } from './prompts.ts';
import type { Rng } from './rng.ts';
import { drawVoice, type CallerVoice } from './voice.ts';

export type Goal =
  | {
      readonly kind: 'claim';
      readonly date: LossDate;
      /** Said first by a caller who then corrects it, inline ("no, it was …") or bare ("that's wrong"). */
      readonly slip?: { readonly date: LossDate; readonly style: 'inline' | 'bare' };
      readonly description: Description;
      readonly injuries: boolean;
    }
  | { readonly kind: 'policy'; readonly question: PolicyQuestion }
  /** Asks for a person at this step. */
  | { readonly kind: 'person'; readonly at: 'name' | 'verifier' | 'intent' };

export interface CallPlan {
  readonly index: number;
  readonly persona: Persona;
  readonly code: 'zip' | 'ssn';
  readonly goal: Goal;
  readonly voice: CallerVoice;
  readonly line: LineSpec;
  /** Steps whose first answer has an inner pause. */
  readonly paused: readonly Step[];
  readonly outOfGrammarAt?: OutOfGrammarStep;
  /** The caller answers this prompt about 1 s into it. */
  readonly bargeInAt?: 'intent' | 'confirm';
  /** The code goes in on the keypad. */
  readonly dtmf: boolean;
  /** The caller listens to the claim's read-back and says no when it is wrong. */
  readonly checksReadBack: boolean;
}

/** Shares of the calls: goals, and the perturbations (of the calls each can apply to). */
const SHARE = {
  claim: 0.45,
  policy: 0.3,
  paused: 0.5,
  outOfGrammar: 0.35,
  slip: 0.4,
  bargeIn: 0.35,
  dtmf: 0.2,
  bandPass: 0.2,
  ssn: 0.35,
  checksReadBack: 0.75,
};

/**
 * `n` conversations from `rng`: goals and perturbations are dealt out in proportion (not drawn call by call),
 * so even a quick pass of 6 calls has some of each.
 */
export function planCalls(n: number, rng: Rng, today: Date): CallPlan[] {
  const deal = (what: string, indexes: readonly number[], share: number) =>
    new Set(
      rng
        .fork(`deal:${what}`)
        .shuffle(indexes)
        .slice(0, Math.round(indexes.length * share)),
    );
  const all = Array.from({ length: n }, (_, i) => i);
  const claims = deal('claim', all, SHARE.claim);
  const policies = deal(
    'policy',
    all.filter((i) => !claims.has(i)),
    SHARE.policy / (1 - SHARE.claim),
  );
  const kindOf = (i: number) => (claims.has(i) ? 'claim' : policies.has(i) ? 'policy' : 'person');
  const talking = all.filter((i) => kindOf(i) !== 'person');
  const sets = {
    paused: deal('paused', all, SHARE.paused),
    outOfGrammar: deal('outOfGrammar', talking, SHARE.outOfGrammar),
    slip: deal('slip', [...claims], SHARE.slip),
    bargeIn: deal('bargeIn', talking, SHARE.bargeIn),
    dtmf: deal('dtmf', all, SHARE.dtmf),
    bandPass: deal('bandPass', all, SHARE.bandPass),
    ssn: deal('ssn', all, SHARE.ssn),
  };
  const personas = rng.fork('personas').shuffle(PERSONAS);
  return all.map((i) => {
    const r = rng.fork(`call:${i}`);
    const persona = personas[i % personas.length]!;
    const goal = drawGoal(r, kindOf(i), persona, today, sets.slip.has(i));
    const dtmf = sets.dtmf.has(i) && !(goal.kind === 'person' && goal.at === 'verifier');
    const bargeInAt = !sets.bargeIn.has(i)
      ? undefined
      : goal.kind === 'claim' && r.chance(0.4)
        ? 'confirm'
        : 'intent';
    return {
      index: i,
      persona,
      code: sets.ssn.has(i) ? 'ssn' : 'zip',
      goal,
      voice: drawVoice(r),
      line: drawLine(r, sets.bandPass.has(i)),
      paused: sets.paused.has(i) ? pausedSteps(r, goal, dtmf) : [],
      ...(sets.outOfGrammar.has(i) ? { outOfGrammarAt: r.pick(outOfGrammarSteps(goal)) } : {}),
      ...(bargeInAt ? { bargeInAt } : {}),
      dtmf,
      checksReadBack: bargeInAt !== 'confirm' && r.chance(SHARE.checksReadBack),
    };
  });
}

function drawGoal(r: Rng, kind: Goal['kind'], persona: Persona, today: Date, slip: boolean): Goal {
  if (kind === 'policy') return { kind, question: r.pick(policyQuestions(persona.policy)) };
  if (kind === 'person') return { kind, at: r.pick(['name', 'verifier', 'intent'] as const) };
  const date = drawLossDate(r, today);
  return {
    kind,
    date,
    ...(slip
      ? { slip: { date: drawLossDate(r, today, date), style: r.pick(['inline', 'bare'] as const) } }
      : {}),
    description: r.pick(descriptions(persona.policy)),
    injuries: r.chance(0.35),
  };
}

/** One or two of the steps this call goes through, for an answer with a pause inside. */
function pausedSteps(r: Rng, goal: Goal, dtmf: boolean): Step[] {
  const steps: Step[] = ['name'];
  if (!dtmf) steps.push('verifier');
  if (goal.kind === 'claim') steps.push('intent', 'date', 'description');
  if (goal.kind === 'policy') steps.push('intent', 'policy_question');
  if (goal.kind === 'person') return [goal.at];
  return r.shuffle(steps).slice(0, r.int(1, 2));
}

function outOfGrammarSteps(goal: Goal): OutOfGrammarStep[] {
  return goal.kind === 'claim' ? ['verifier', 'injuries', 'confirm'] : ['verifier'];
}
