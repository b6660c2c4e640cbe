import type { AgentDefinition } from '../agent-definition.ts';
import type { UserInput } from '../events.ts';
import {
  appendSpoken,
  templateScope,
  toolScope,
  type AgentRunner,
  type RunnerEvent,
  type RunScope,
} from '../runner.ts';
import { builtInGrammar } from '../../speech/grammars.ts';
import { evaluateCondition, renderSpeech, renderValue } from '../templates.ts';
import { runTool } from '../tools/run-tool.ts';
import { carriedAnswer, markFilled, rememberUtterance } from './carry-over.ts';
import { correctionOf } from './correction.ts';
import { extractSlot, type Extraction, type SlotSpec } from './extractors/index.ts';
import { ok } from './extractors/types.ts';
import type { FlowAction, FlowAsk, FlowDefinition, FlowState } from './flow-definition.ts';
import { META_PHRASES, metaIntentOf, type MetaIntent } from './meta-intents.ts';
import { repairPrompt } from './repair.ts';

/** Where an agent's flow stands: the state waiting for an answer, and how many answers failed. */
interface FlowPosition {
  readonly state: string;
  readonly attempts: number;
  /** The questions answered so far, most recent last: where "that's wrong" goes back to. */
  readonly answered?: readonly string[];
  /** A question revisited to fix its answer: once answered, the flow goes back to this state. */
  readonly returnTo?: string;
  /** An answer only the grammar heard, read back to the caller ("I heard Carol Nguyen. Is that right?"). */
  readonly checking?: { readonly value: string | number | boolean; readonly spoken: string };
}

/** Where something the agent said ends in the spoken text of its turn. */
interface SpokenEnd {
  readonly turn: number;
  readonly end: number;
}

/** More steps than this without waiting for the caller means the flow loops. */
const MAX_STEPS = 50;

/**
 * The offline engine: runs each agent's `flow` state machine. States say things, ask questions whose
 * answers fill slots (names, digits, dates, yes/no, choices), call tools, and branch on conditions; a
 * turn runs until the flow waits for the caller again, hands over, or ends the call.
 */
export class FlowRunner implements AgentRunner {
  async *enter(scope: RunScope): AsyncGenerator<RunnerEvent> {
    yield* this.runFrom(scope, flowOf(scope.agent).start);
  }

  async *turn(input: UserInput, scope: RunScope): AsyncGenerator<RunnerEvent> {
    const flow = flowOf(scope.agent);
    const text = input.kind === 'dtmf' ? input.digits : input.text;
    if (input.kind !== 'dtmf') rememberUtterance(scope.memo, text);
    const vars = variables(scope);
    const intent = flow.intents.find(
      (i) =>
        i.when_said.some((phrase) => mentions(text, phrase)) &&
        (i.if === undefined || evaluateCondition(i.if, vars)),
    );
    if (intent) {
      yield* this.act(scope, intent);
      return;
    }
    let position = positionOf(scope);
    const ask = position ? flow.states[position.state]?.ask : undefined;
    if (!position || !ask) {
      yield* this.runFrom(scope, flow.start);
      return;
    }
    const said = input.kind === 'dtmf' ? undefined : (metaIntentOf(text) ?? metaOfOpenReading(input));
    // A question can also be an answer: at a free-text question it is one ("what would you like to know
    // about your policy?"), and at a choice the options come first ("I have a question about my policy"
    // picks the policy); elsewhere the question wins ("I have a question" is no "I have" to a yes/no).
    // "That's wrong" at a question that reads answers back ("Let me confirm: … Shall I file the claim?") is
    // a no to it; elsewhere it reopens the question answered last.
    const rejectsReadBack = said === 'correction' && ask.type === 'yes_no' && readsBack(ask);
    const meta = (said === 'question' && ask.type === 'text') || rejectsReadBack ? undefined : said;
    const answerFirst = meta === 'question' && ask.type === 'choice';
    const answeredSlots = this.answeredSlots(scope, position);
    const marked = input.kind === 'dtmf' ? undefined : correctionOf(text, answeredSlots, { marked: true });
    if (marked) {
      yield* this.corrected(scope, ask, marked);
      return;
    }
    if (meta && !answerFirst) {
      yield* this.meta(scope, meta, position, text);
      return;
    }
    if (position.checking) {
      // The answer read back is confirmed, or denied; anything else is taken as a new answer.
      const { checking, ...asked } = position;
      const reply = extractSlot(text, { type: 'yes_no' });
      if (reply.ok && reply.value === true) {
        yield* this.answered(
          scope,
          asked,
          { ok: true, value: checking.value, spoken: checking.spoken },
          true,
        );
        return;
      }
      setPosition(scope, asked);
      if (reply.ok) {
        yield* this.failed(scope, ask, asked);
        return;
      }
      position = asked;
    }
    const extraction = rejectsReadBack ? ok(false, 'no') : this.extract(input, ask);
    // A yes or a no means nothing to a question the caller cut off before its end ("yes" then "please",
    // the "please" over the next question): the question is asked again, with no attempt spent.
    if (extraction.ok && ask.type === 'yes_no' && !questionHeard(scope)) {
      yield* this.say(scope, ask.prompt);
      yield expectation(scope.agent, ask);
      return;
    }
    if (extraction.ok) {
      yield* this.answered(scope, position, extraction, input.kind !== 'dtmf');
      return;
    }
    if (meta) {
      yield* this.meta(scope, meta, position, text);
      return;
    }
    const unsure = this.unsureReading(input, ask);
    if (unsure) {
      setPosition(scope, { ...position, checking: { value: unsure.value, spoken: unsure.spoken } });
      yield* this.say(scope, `I heard ${unsure.spoken}. Is that right?`);
      yield {
        ...expectation(scope.agent, ask),
        answer: 'yes_no',
        grammar: builtInGrammar('yes_no'),
        phrases: undefined,
      };
      return;
    }
    // No answer to this question, but a new one to an earlier: "it was on Tuesday" at the confirmation.
    const unmarked = input.kind === 'dtmf' ? undefined : correctionOf(text, answeredSlots, { marked: false });
    if (unmarked) {
      yield* this.corrected(scope, ask, unmarked);
      return;
    }
    scope.log.debug(
      { session_id: scope.memo.sessionId, slot: ask.slot, reason: extraction.reason },
      'answer not understood',
    );
    yield* this.failed(scope, ask, position);
  }

  /** Stores an answer to the open question and goes on: to where a revisit returns, or the next state. */
  private async *answered(
    scope: RunScope,
    position: FlowPosition,
    extraction: Extraction & { ok: true },
    spoken: boolean,
  ): AsyncGenerator<RunnerEvent> {
    const state = flowOf(scope.agent).states[position.state]!;
    const ask = state.ask!;
    this.store(scope, ask.slot, extraction);
    if (spoken) markFilled(scope.memo, { slot: ask.slot, type: ask.type, asked: true });
    const answered = [...(position.answered ?? []), position.state];
    if (position.returnTo) {
      setPosition(scope, { state: position.state, attempts: 0, answered });
      yield* this.runFrom(scope, position.returnTo);
      return;
    }
    setPosition(scope, { ...position, answered });
    yield* this.follow(scope, state, 0);
  }

  /** The open question got no answer: asked again in other words, until `on_fail` takes over. */
  private async *failed(scope: RunScope, ask: FlowAsk, position: FlowPosition): AsyncGenerator<RunnerEvent> {
    const attempts = position.attempts + 1;
    if (attempts >= ask.max_attempts && ask.on_fail) {
      yield* this.runFrom(scope, ask.on_fail);
      return;
    }
    setPosition(scope, { ...position, attempts });
    yield* this.say(scope, repairPrompt(ask, attempts));
    yield expectation(scope.agent, ask);
  }

  /** An earlier answer was corrected: says so, and asks the open question again (a read-back, anew). */
  private async *corrected(
    scope: RunScope,
    ask: FlowAsk,
    correction: NonNullable<ReturnType<typeof correctionOf>>,
  ): AsyncGenerator<RunnerEvent> {
    this.store(scope, correction.slot, correction.extraction);
    yield* this.say(scope, `Got it, ${correction.extraction.spoken}.`);
    yield* this.say(scope, ask.prompt);
    yield expectation(scope.agent, ask);
  }

  /**
   * The answer in what the caller said. Speech the question's grammar does not hold counts only when
   * the open model's words and the grammar's forced reading give the same answer ("yes I think so" and
   * "yes"); keypad digits answer only questions that take digits.
   */
  private extract(input: UserInput, ask: FlowAsk): Extraction {
    if (input.kind === 'dtmf')
      return ask.dtmf || ask.type === 'digits' || ask.type === 'number'
        ? extractSlot(input.digits, slotSpec(ask))
        : { ok: false, reason: 'keypad digits do not answer this question' };
    const extraction = extractSlot(input.text, slotSpec(ask));
    const recognition = input.kind === 'speech' ? input.recognition : undefined;
    if (!extraction.ok || recognition?.inGrammar !== false) return extraction;
    const forced = recognition.alternatives[0];
    const reading = forced === undefined ? undefined : extractSlot(forced, slotSpec(ask));
    return reading?.ok && reading.value === extraction.value
      ? extraction
      : { ok: false, reason: 'the caller said something the question does not expect' };
  }

  /**
   * A name the open model did not hear, though the grammar did (names are where the open model is weakest:
   * "all not even" for "Bob Martinez"): not taken, and not rejected either, but read back to check.
   */
  private unsureReading(input: UserInput, ask: FlowAsk): (Extraction & { ok: true }) | undefined {
    if (ask.type !== 'name' || input.kind !== 'speech' || input.recognition?.inGrammar !== false) return;
    const forced = input.recognition.alternatives[0];
    const reading = forced === undefined ? undefined : extractSlot(forced, slotSpec(ask));
    return reading?.ok ? reading : undefined;
  }

  private store(scope: RunScope, slot: string, extraction: Extraction & { ok: true }): void {
    scope.memo.updateSlots({ [slot]: extraction.value });
    scope.memo.setContext('slots_spoken', {
      ...(scope.memo.getContext<Record<string, string>>('slots_spoken') ?? {}),
      [slot]: extraction.spoken,
    });
  }

  /** The slots this agent's flow has filled, in the order they were answered. */
  private answeredSlots(scope: RunScope, position: FlowPosition) {
    const states = flowOf(scope.agent).states;
    const slots = scope.memo.getContext<Record<string, unknown>>('slots') ?? {};
    return (position.answered ?? []).flatMap((name) => {
      const ask = states[name]?.ask;
      return ask ? [{ slot: ask.slot, spec: slotSpec(ask), value: slots[ask.slot] }] : [];
    });
  }

  /**
   * The caller spoke about the conversation, not the question: nothing is stored as an answer, and the
   * question stays open (a correction reopens the one answered last).
   */
  private async *meta(
    scope: RunScope,
    intent: MetaIntent,
    position: FlowPosition,
    text: string,
  ): AsyncGenerator<RunnerEvent> {
    const flow = flowOf(scope.agent);
    const ask = flow.states[position.state]!.ask!;
    scope.log.debug({ session_id: scope.memo.sessionId, intent, state: position.state }, 'meta intent');
    switch (intent) {
      case 'wait':
        yield* this.say(scope, 'Sure, take your time.');
        break;
      case 'repeat':
        yield* this.say(scope, ask.prompt);
        break;
      case 'question': {
        const questions = scope.memo.getContext<string[]>('caller_questions') ?? [];
        scope.memo.setContext('caller_questions', [...questions, text]);
        yield* this.say(scope, "I've noted your question, and we'll come back to it.");
        yield* this.say(scope, ask.prompt);
        break;
      }
      case 'correction': {
        const previous = position.answered?.at(-1);
        const reopened = previous === undefined ? undefined : flow.states[previous]?.ask;
        yield* this.say(scope, 'Sorry about that.');
        if (previous === undefined || !reopened) {
          yield* this.say(scope, ask.prompt);
          break;
        }
        setPosition(scope, { state: previous, attempts: 0, answered: position.answered!.slice(0, -1) });
        yield* this.say(scope, reopened.prompt);
        yield expectation(scope.agent, reopened);
        return;
      }
    }
    yield expectation(scope.agent, ask);
  }

  /** Runs states from `name` until one asks the caller something, or the flow leaves the agent. */
  private async *runFrom(
    scope: RunScope,
    name: string,
    steps = 0,
    revisit?: string,
  ): AsyncGenerator<RunnerEvent> {
    if (steps > MAX_STEPS)
      throw new Error(`flow of ${scope.agent.name} ran ${MAX_STEPS} steps without asking anything`);
    const state = flowOf(scope.agent).states[name];
    if (!state) throw new Error(`flow of ${scope.agent.name} has no state "${name}"`);
    if (state.say) yield* this.say(scope, state.say);
    if (state.tool) {
      const run = yield* runTool(
        scope.tools,
        {
          id: `flow_${scope.turn}_${steps}`,
          name: state.tool,
          args: renderArgs(state.args, variables(scope)),
        },
        toolScope(scope),
      );
      scope.memo.setContext(
        'flow_result',
        run.outcome.ok
          ? { ...asObject(run.outcome.result), ok: true }
          : { ok: false, error: run.outcome.error },
      );
      if (run.control.endCall) {
        yield { type: 'end_request', ...run.control.endCall };
        return;
      }
      if (run.control.handoff) {
        yield { type: 'handoff_request', ...run.control.handoff };
        return;
      }
    }
    if (state.ask) {
      const answered = positionOf(scope)?.answered ?? [];
      const carried = revisit ? undefined : carriedAnswerTo(scope, state.ask);
      if (carried) {
        this.store(scope, state.ask.slot, carried.extraction);
        markFilled(
          scope.memo,
          { slot: state.ask.slot, type: state.ask.type, asked: false },
          carried.utterance,
        );
        setPosition(scope, { state: name, attempts: 0, answered: [...answered, name] });
        yield* this.follow(scope, state, steps);
        return;
      }
      setPosition(scope, {
        state: name,
        attempts: 0,
        answered,
        ...(revisit ? { returnTo: revisit } : {}),
      });
      yield* this.say(scope, state.ask.prompt);
      yield expectation(scope.agent, state.ask);
      return;
    }
    yield* this.follow(scope, state, steps);
  }

  /** Takes the first branch of `next` whose condition holds. */
  private async *follow(scope: RunScope, state: FlowState, steps: number): AsyncGenerator<RunnerEvent> {
    const scopeVars = variables(scope);
    const branch = state.next?.find((b) => b.if === undefined || evaluateCondition(b.if, scopeVars));
    if (!branch) throw new Error(`flow of ${scope.agent.name}: no branch of next applies`);
    yield* this.act(scope, branch, steps);
  }

  private async *act(scope: RunScope, action: FlowAction, steps = 0): AsyncGenerator<RunnerEvent> {
    const said = action.say === undefined ? undefined : yield* this.say(scope, action.say);
    if (action.handoff) yield { type: 'handoff_request', to: action.handoff, reason: said };
    else if (action.goto) yield* this.runFrom(scope, action.goto, steps + 1);
    else if (action.revisit) yield* this.runFrom(scope, action.revisit, steps + 1, action.return_to);
  }

  /** Says a template; returns what was said. */
  private async *say(scope: RunScope, template: string): AsyncGenerator<RunnerEvent, string> {
    const text = renderSpeech(template, variables(scope));
    if (!text) return text;
    const from = scope.beginSpoken();
    appendSpoken(scope, text, from);
    // Where the agent's last words end in its turn: the question, when the flow waits for an answer.
    const said = scope.memo.getContext<Record<string, SpokenEnd>>('flow_said_last') ?? {};
    scope.memo.setContext('flow_said_last', {
      ...said,
      [scope.agent.name]: { turn: scope.turn, end: from + text.length },
    });
    yield { type: 'text', agent: scope.agent.name, text };
    return text;
  }
}

function flowOf(agent: AgentDefinition): FlowDefinition {
  if (!agent.flow) throw new Error(`agent ${agent.name} has no flow`);
  return agent.flow;
}

function positionOf(scope: RunScope): FlowPosition | undefined {
  return scope.memo.getContext<Record<string, FlowPosition>>('flow_position')?.[scope.agent.name];
}

function setPosition(scope: RunScope, position: FlowPosition): void {
  const positions = scope.memo.getContext<Record<string, FlowPosition>>('flow_position') ?? {};
  scope.memo.setContext('flow_position', { ...positions, [scope.agent.name]: position });
}

/** What flow texts and conditions see: the template scope plus the last tool result and spoken slots. */
function variables(scope: RunScope): Record<string, unknown> {
  return {
    ...templateScope(scope.memo, scope.agent),
    result: scope.memo.getContext('flow_result') ?? {},
    spoken: scope.memo.getContext('slots_spoken') ?? {},
  };
}

function renderArgs(args: Readonly<Record<string, unknown>>, vars: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(args).map(([key, value]) => [key, renderValue(value, vars)]));
}

function slotSpec(ask: FlowAsk): SlotSpec {
  return {
    type: ask.type,
    ...(ask.lengths ? { lengths: ask.lengths } : {}),
    ...(ask.min !== undefined ? { min: ask.min } : {}),
    ...(ask.max !== undefined ? { max: ask.max } : {}),
    ...(ask.options ? { options: ask.options } : {}),
  };
}

/**
 * A meta intent the open language model heard where the question's grammar heard an answer: "hold on" is
 * "oh one" to a digits grammar, and too alike to be rejected, but it is no answer.
 */
function metaOfOpenReading(input: UserInput): MetaIntent | undefined {
  const open =
    input.kind === 'speech' && input.recognition?.inGrammar ? input.recognition.alternatives[0] : undefined;
  return open === undefined ? undefined : metaIntentOf(open);
}

/** The answer to `ask` the caller already gave, where the question takes answers given early. */
function carriedAnswerTo(scope: RunScope, ask: FlowAsk) {
  const carries = ask.carry_over ?? (ask.type === 'choice' || ask.type === 'date');
  return carries ? carriedAnswer(scope.memo, ask.slot, slotSpec(ask)) : undefined;
}

/** Whether the caller heard the agent's last words (the open question) to their end. */
function questionHeard(scope: RunScope): boolean {
  const said = scope.memo.getContext<Record<string, SpokenEnd>>('flow_said_last')?.[scope.agent.name];
  const heard = said === undefined ? undefined : scope.memo.heardOf(said.turn);
  return heard === undefined || heard >= said!.end;
}

/** Whether a question's prompt reads earlier answers back to the caller. */
const readsBack = (ask: FlowAsk) => /\{\{\s*(slots|spoken)\./.test(ask.prompt);

function expectation(agent: AgentDefinition, ask: FlowAsk): Extract<RunnerEvent, { type: 'expect' }> {
  return {
    type: 'expect',
    agent: agent.name,
    slot: ask.slot,
    answer: ask.type,
    lengths: ask.lengths,
    grammar: ask.grammar === undefined ? undefined : agent.grammars[ask.grammar],
    phrases: ask.phrases && [
      ...ask.phrases.flatMap((entry) => agent.phraseFiles[entry] ?? [entry]),
      // Heard in every state, so favoured too: "that's not right" is no description of a loss.
      ...(agent.flow?.intents ?? []).flatMap((intent) => intent.when_said),
      ...META_PHRASES,
    ],
  };
}

function asObject(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : { value };
}

/** Whether `text` says `phrase` as whole words, case and punctuation aside. */
function mentions(text: string, phrase: string): boolean {
  const words = (s: string) =>
    ` ${s
      .toLowerCase()
      .replace(/[^\p{L}\p{N}' ]+/gu, ' ')
      .replace(/\s+/g, ' ')
      .trim()} `;
  return words(text).includes(words(phrase));
}
