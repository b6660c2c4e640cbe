import {
  confirmLine,
  correctionLine,
  dateLine,
  descriptionLine,
  doneLine,
  fixLine,
  heardLine,
  injuriesLine,
  intentLine,
  nameLine,
  noMoreQuestionsLine,
  outOfGrammarLine,
  personLine,
  questionLine,
  rejectReadBackLine,
  repeatRequestLine,
  verifierLine,
  type Attempt,
  type Line,
} from './corpus.ts';
import { describes, type ReadBackPart } from './meaning.ts';
import type { CallPlan } from './plan.ts';
import type { Step } from './prompts.ts';
import type { Rng } from './rng.ts';

/** What the caller knows of how the call went so far (from what the agent said). */
export interface Progress {
  /** The agent's whole last turn. */
  readonly prompt: string;
  readonly claimFiled: boolean;
  /** The answer to the caller's policy question has been given. */
  readonly policyAnswered: boolean;
}

/** What the caller does next: say a line, or key digits in (the line then stands for them). */
export interface Action {
  readonly line: Line;
  readonly dtmf?: string;
  /** Said more slowly: the agent has asked the same thing several times. */
  readonly slow?: boolean;
}

/** Read-backs a caller rejects before giving up and asking for a person. */
const MAX_READ_BACK_REJECTIONS = 2;
/** Prompts the caller does not understand before hanging up. */
const MAX_REPEAT_REQUESTS = 2;
/** The same question asked this often in a row: the caller asks for a person, then gives up. */
const MAX_SAME_PROMPT = 3;
/** From this many asks in a row, the caller speaks more slowly. */
const SLOW_FROM = 3;

/**
 * The caller's side of the conversation: given the step the agent is at (and what it just said), the next
 * line. First answers vary and may carry the plan's pause, an off-script question or a slip; the same step
 * asked again gets a plain answer, as a real caller would give.
 */
export class CallerScript {
  private readonly answers = new Map<Step, number>();
  private outOfGrammarDone = false;
  private slip: 'pending' | 'said' | 'corrected' | 'none';
  private readBackRejections = 0;
  /** The part of the last read-back the caller said was wrong. */
  private toFix: ReadBackPart | undefined;
  private repeatRequests = 0;
  private askedForPerson = 0;
  private policyAsked = 0;
  private lastStep: Step | undefined;
  private streak = 0;
  /** Why the caller gave up, once it has. */
  gaveUp: string | undefined;

  private readonly plan: CallPlan;
  private readonly rng: Rng;

  constructor(plan: CallPlan, rng: Rng) {
    this.plan = plan;
    this.rng = rng;
    this.slip = plan.goal.kind === 'claim' && plan.goal.slip ? 'pending' : 'none';
  }

  /** Whether the caller has asked for a person (an escalation is then what they wanted). */
  get personAsked(): boolean {
    return this.askedForPerson > 0;
  }

  /** The answer for `step` said over the agent's prompt (a barge-in): a first answer, no pause. */
  bargeIn(step: 'intent' | 'confirm'): Action {
    this.count(step);
    if (step === 'confirm') return { line: confirmLine(this.rng, 'first') };
    return { line: intentLine(this.rng, this.plan.goal.kind === 'policy' ? 'policy' : 'claim', 'first') };
  }

  /** The next action at `step` (undefined: the caller cannot go on). */
  next(step: Step | undefined, progress: Progress): Action | undefined {
    const { prompt } = progress;
    if (step === undefined) {
      if (this.repeatRequests >= MAX_REPEAT_REQUESTS) {
        this.gaveUp = `did not understand the agent: "${prompt}"`;
        return undefined;
      }
      this.repeatRequests += 1;
      return { line: repeatRequestLine() };
    }
    this.streak = step === this.lastStep ? this.streak + 1 : 1;
    this.lastStep = step;
    if (this.streak > MAX_SAME_PROMPT) {
      if (this.askedForPerson > 0) {
        this.gaveUp = `asked for the ${step} ${this.streak} times in a row`;
        return undefined;
      }
      return this.person();
    }
    const action = this.answer(step, progress);
    return this.streak >= SLOW_FROM ? { ...action, slow: true } : action;
  }

  private answer(step: Step, { prompt, claimFiled, policyAnswered }: Progress): Action {
    const attempt = this.attempt(step);
    this.count(step);
    const { goal, persona } = this.plan;
    const rng = this.rng;
    if (
      goal.kind === 'person' &&
      (step === goal.at || this.askedForPerson > 0 || this.answers.get(step)! > 2)
    )
      return this.person();
    if (this.slip === 'said' && step !== 'date') {
      this.slip = 'corrected';
      const claim = goal.kind === 'claim' ? goal : undefined;
      if (claim?.slip) return { line: correctionLine(rng, claim.date, claim.slip.style) };
    }
    switch (step) {
      case 'name':
        return { line: nameLine(rng, persona, attempt) };
      case 'verifier': {
        if (this.offScript('verifier')) return { line: outOfGrammarLine(rng, 'verifier') };
        const line = verifierLine(rng, persona, this.plan.code, attempt);
        if (!this.plan.dtmf) return { line };
        const digits = line.means.verifier!;
        return { line: { text: `#${digits}`, means: line.means, kind: 'answer' }, dtmf: `${digits}#` };
      }
      case 'intent':
        return { line: intentLine(rng, goal.kind === 'policy' ? 'policy' : 'claim', attempt) };
      case 'date': {
        if (goal.kind !== 'claim') return this.wrongAgent();
        if (this.slip === 'pending' && goal.slip) {
          this.slip = 'said';
          return { line: dateLine(rng, goal.slip.date, attempt) };
        }
        if (this.slip === 'said') this.slip = 'corrected';
        return { line: dateLine(rng, goal.date, attempt) };
      }
      case 'description':
        return goal.kind === 'claim'
          ? { line: descriptionLine(goal.description, attempt) }
          : this.wrongAgent();
      case 'injuries':
        if (goal.kind !== 'claim') return this.wrongAgent();
        if (this.offScript('injuries')) return { line: outOfGrammarLine(rng, 'injuries') };
        return { line: injuriesLine(rng, goal.injuries, attempt) };
      case 'confirm':
        if (goal.kind !== 'claim') return this.wrongAgent();
        if (this.offScript('confirm')) return { line: outOfGrammarLine(rng, 'confirm') };
        this.toFix = this.plan.checksReadBack ? this.readBackProblem(prompt) : undefined;
        if (this.toFix) {
          if (this.readBackRejections >= MAX_READ_BACK_REJECTIONS) return this.person();
          this.readBackRejections += 1;
          return { line: rejectReadBackLine(rng) };
        }
        return { line: confirmLine(rng, attempt) };
      case 'fix':
        return { line: fixLine(rng, this.toFix) };
      case 'heard':
        return { line: heardLine(rng, persona, prompt) };
      case 'done':
        return { line: doneLine(rng, attempt) };
      case 'policy_question':
        if (goal.kind !== 'policy') return this.wrongAgent(claimFiled);
        this.policyAsked += 1;
        return { line: questionLine(rng, goal.question, attempt) };
      case 'policy_more':
        if (goal.kind !== 'policy') return this.wrongAgent(claimFiled);
        // A caller who got the answer to something else asks again, once.
        if (!policyAnswered && this.policyAsked < 2) {
          this.policyAsked += 1;
          return { line: questionLine(rng, goal.question, 'clean') };
        }
        return { line: noMoreQuestionsLine(rng, attempt) };
    }
  }

  /** A first answer varies (with the plan's pause, if any); the same step asked again gets a plain one. */
  private attempt(step: Step): Attempt {
    if ((this.answers.get(step) ?? 0) > 0) return 'clean';
    return this.plan.paused.includes(step) ? 'paused' : 'first';
  }

  private count(step: Step): void {
    this.answers.set(step, (this.answers.get(step) ?? 0) + 1);
  }

  private offScript(step: 'verifier' | 'injuries' | 'confirm'): boolean {
    if (this.plan.outOfGrammarAt !== step || this.outOfGrammarDone) return false;
    this.outOfGrammarDone = true;
    return true;
  }

  private person(): Action {
    const attempt: Attempt =
      this.askedForPerson > 0
        ? 'clean'
        : this.plan.goal.kind === 'person' && this.plan.paused.length
          ? 'paused'
          : 'first';
    this.askedForPerson += 1;
    return { line: personLine(this.rng, attempt) };
  }

  /**
   * The caller reached an agent for the other goal: they say what they want, plainly; a caller whose claim
   * is filed wants nothing more.
   */
  private wrongAgent(claimFiled = false): Action {
    const { goal } = this.plan;
    if (goal.kind === 'person') return this.person();
    if (claimFiled) return { line: noMoreQuestionsLine(this.rng, 'first') };
    return { line: intentLine(this.rng, goal.kind, 'clean') };
  }

  /**
   * The first part of the claim's read-back that is not what the caller meant; a part the caller cannot find
   * in it (the prompt was reworded) is not held against it.
   */
  private readBackProblem(prompt: string): ReadBackPart | undefined {
    const { goal } = this.plan;
    if (goal.kind !== 'claim') return undefined;
    const text = prompt.toLowerCase();
    const month =
      /(january|february|march|april|may|june|july|august|september|october|november|december) \d+\b/;
    if (month.test(text) && !text.includes(goal.date.readBack.toLowerCase())) return 'date';
    const described = / on [a-z]+ \d+, \d{4}, (.*?), and /.exec(text);
    if (described && !describes(described[1]!, goal.description)) return 'description';
    const injured = /(someone|no one|nobody) (was|were) (hurt|injured)/.exec(text);
    if (injured && (injured[1] === 'someone') !== goal.injuries) return 'injuries';
    return undefined;
  }
}
