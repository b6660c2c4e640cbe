import pino from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { AgentSet } from '../../../src/agents/agent-set.ts';
import { INSURANCE_TOOLS } from '../../../src/agents/demo/insurance-tools.ts';
import type { AgentEvent, UserInput } from '../../../src/agents/events.ts';
import { FlowRunner } from '../../../src/agents/flow/flow-runner.ts';
import { Orchestrator } from '../../../src/agents/orchestrator.ts';
import { ToolRegistry } from '../../../src/agents/tools/tool-registry.ts';
import { builtInGrammar } from '../../../src/speech/grammars.ts';
import { MemoManager } from '../../../src/state/memo-manager.ts';
import { MemorySessionStore } from '../../../src/state/memory-store.ts';

let orchestrator: Orchestrator;
const log = pino({ level: 'silent' });
const signal = new AbortController().signal;

beforeAll(async () => {
  const tools = new ToolRegistry(INSURANCE_TOOLS);
  const agents = await AgentSet.load('agents', 'flow', tools);
  orchestrator = new Orchestrator({ agents, tools, runner: new FlowRunner(), log, ttsProvider: 'flite' });
});

const newMemo = () =>
  MemoManager.load(`t-${Math.random().toString(36).slice(2)}`, new MemorySessionStore(60), {
    budget: { maxMessages: 100, maxChars: 100_000 },
    log,
  });

async function collect(stream: AsyncIterable<AgentEvent>): Promise<AgentEvent[]> {
  const events: AgentEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

const say = (memo: MemoManager, text: string) =>
  collect(orchestrator.runTurn(memo, { kind: 'speech', text }, { signal }));
const spoken = (events: AgentEvent[]) => events.flatMap((e) => (e.type === 'text' ? [e.text] : [])).join('');

describe('Orchestrator with the flow engine', () => {
  it('streams sentences whose offsets locate them in the turn’s spoken text', async () => {
    const memo = await newMemo();
    const events = await collect(orchestrator.start(memo, { signal }));
    const text = spoken(events);
    expect(text).toBe('Hi there from XYZ Insurance! To get started, may I have your full name?');
    const sentences = events.flatMap((e) => (e.type === 'sentence' ? [e] : []));
    expect(sentences.map((s) => s.text)).toEqual([
      'Hi there from XYZ Insurance!',
      'To get started, may I have your full name?',
    ]);
    for (const s of sentences) expect(text.slice(s.start, s.end)).toBe(s.text);
    // The question is spoken (flushed) before the agent says what it expects next.
    expect(events.slice(-2)).toEqual([
      { type: 'sentence', agent: 'AuthAgent', text: sentences[1]!.text, start: 29, end: text.length },
      {
        type: 'expect',
        agent: 'AuthAgent',
        slot: 'full_name',
        answer: 'name',
        lengths: undefined,
        grammar: expect.stringContaining('<holder> = alice brown | bob martinez | carol nguyen'),
      },
    ]);
  });

  it('tells the recognizer which grammar fits the next answer', async () => {
    const memo = await newMemo();
    await collect(orchestrator.start(memo, { signal }));
    const events = await say(memo, 'alice brown');
    expect(events).toContainEqual({
      type: 'expect',
      agent: 'AuthAgent',
      slot: 'verifier',
      answer: 'digits',
      lengths: [4, 5],
      grammar: builtInGrammar('digits'),
    });
  });

  it('asks again when speech held no words, leaving the question and its attempts as they were', async () => {
    const memo = await newMemo();
    await collect(orchestrator.start(memo, { signal }));
    for (let i = 0; i < 4; i += 1)
      expect(spoken(await collect(orchestrator.notHeard(memo, { signal })))).toBe(
        "Sorry, I didn't catch that. Could you say it again?",
      );
    // Four misses would have ended a question of three attempts; the name is still taken.
    expect(spoken(await say(memo, 'alice brown'))).toContain('ZIP code');
    expect(memo.getContext<Record<string, unknown>>('slots')).toMatchObject({ full_name: 'Alice Brown' });
  });

  it('takes keypad digits for a question that accepts them, and not for one that does not', async () => {
    const memo = await newMemo();
    await collect(orchestrator.start(memo, { signal }));
    const dtmfName = await collect(orchestrator.runTurn(memo, { kind: 'dtmf', digits: '1234' }, { signal }));
    expect(spoken(dtmfName)).toContain("Sorry, I didn't catch your name.");
    await say(memo, 'Alice Brown');
    const events = await collect(orchestrator.runTurn(memo, { kind: 'dtmf', digits: '60601' }, { signal }));
    expect(events.find((e) => e.type === 'tool_end')).toMatchObject({
      tool: 'authenticate_caller',
      ok: true,
    });
    expect(memo.getContext('caller')).toMatchObject({ name: 'Alice Brown', policy_id: 'POL-A10001' });
  });

  it('hands over with the new agent’s voice and greeting in the same turn, each agent keeping its thread', async () => {
    const memo = await newMemo();
    await collect(orchestrator.start(memo, { signal }));
    await say(memo, 'Alice Brown');
    await say(memo, '60601');
    const events = await say(memo, 'I had an accident');
    const handoff = events.find((e) => e.type === 'handoff');
    expect(handoff).toMatchObject({
      from: 'AuthAgent',
      to: 'ClaimsAgent',
      voice: { alias: 'claims_specialist', voice: 'rms' },
    });
    expect(spoken(events)).toBe(
      "Hi Alice, this is the claims specialist. I'm sorry to hear about your loss. When did it happen?",
    );
    expect(orchestrator.activeAgent(memo).name).toBe('ClaimsAgent');
    expect(memo.history('ClaimsAgent').map((m) => m.role)).toEqual(['assistant', 'assistant']);
    expect(memo.history('AuthAgent').at(-1)).toMatchObject({ role: 'user', content: 'I had an accident' });
  });

  it('keeps only what the caller heard when a turn is interrupted, across a handoff', async () => {
    const memo = await newMemo();
    await collect(orchestrator.start(memo, { signal }));
    await say(memo, 'Alice Brown');
    await say(memo, '60601');
    const stream = orchestrator.runTurn(memo, { kind: 'speech', text: 'I want to file a claim' }, { signal });
    const text = spoken(await collect(stream));
    // The caller heard "Hi Alice, this is the claims" and then spoke over the rest.
    const heard = text.indexOf('claims') + 'claims'.length + 3;
    orchestrator.recordHeard(memo, stream.turn, heard);
    const thread = memo.history('ClaimsAgent');
    expect(thread).toEqual([
      {
        role: 'assistant',
        content: 'Hi Alice, this is the claims',
        meta: { turn: stream.turn, spoken_from: 0, interrupted: true },
      },
    ]);
  });

  it('ends the call on a global intent and then only repeats the end', async () => {
    const memo = await newMemo();
    await collect(orchestrator.start(memo, { signal }));
    const events = await say(memo, 'I need an ambulance');
    expect(events.at(-1)).toMatchObject({ type: 'end_call', reason: 'emergency' });
    expect(spoken(events)).toContain('call nine one one');
    expect(orchestrator.ended(memo)).toMatchObject({ reason: 'emergency' });
    expect(await say(memo, 'hello?')).toEqual([
      { type: 'end_call', agent: 'AuthAgent', reason: 'emergency' },
    ]);
  });

  it('stops a turn at once when its signal aborts', async () => {
    const memo = await newMemo();
    const controller = new AbortController();
    const seen: AgentEvent[] = [];
    const turn = async () => {
      for await (const event of orchestrator.start(memo, { signal: controller.signal })) {
        seen.push(event);
        controller.abort();
      }
    };
    await expect(turn()).rejects.toThrow();
    expect(seen).toHaveLength(1);
  });
});

describe('the flow engine hears callers who go off-script', () => {
  const slots = (memo: MemoManager) => memo.getContext<Record<string, unknown>>('slots') ?? {};

  it('waits, repeats, and notes a question, storing none of them as an answer', async () => {
    const memo = await newMemo();
    await collect(orchestrator.start(memo, { signal }));
    expect(spoken(await say(memo, 'um, hold on'))).toBe('Sure, take your time.');
    expect(spoken(await say(memo, 'sorry, can you repeat that'))).toBe(
      'To get started, may I have your full name?',
    );
    expect(slots(memo)).toEqual({});
    expect(spoken(await say(memo, 'alice brown'))).toMatch(/ZIP code/);
    const asked = await say(memo, 'what are your office hours');
    expect(spoken(asked)).toMatch(/noted your question.*ZIP code/);
    expect(asked.at(-1)).toMatchObject({ type: 'expect', slot: 'verifier' });
    expect(memo.getContext('caller_questions')).toEqual(['what are your office hours']);
    expect(Object.keys(slots(memo))).toEqual(['full_name']);
    expect(spoken(await say(memo, 'six oh six oh one'))).toMatch(/verified/);
  });

  it('takes a question that answers a choice as the answer ("a question about my policy")', async () => {
    const memo = await newMemo();
    await collect(orchestrator.start(memo, { signal }));
    await say(memo, 'alice brown');
    await say(memo, 'six oh six oh one');
    const events = await say(memo, 'I have a question about my policy');
    expect(events).toContainEqual(expect.objectContaining({ type: 'handoff', to: 'PolicyAgent' }));
    expect(memo.getContext('caller_questions')).toBeUndefined();
    // At a free-text question, a question is the answer.
    expect(spoken(await say(memo, 'what is my deductible'))).toMatch(/deductible is/);
    expect(memo.getContext('caller_questions')).toBeUndefined();
    // "No thanks" heard as "thanks" at "anything else?" ends the call; it is no question.
    expect(await say(memo, 'thanks')).toContainEqual(expect.objectContaining({ type: 'end_call' }));
  });

  it('never stores an interruption as the accident description', async () => {
    const memo = await newMemo();
    await collect(orchestrator.start(memo, { signal }));
    await say(memo, 'alice brown');
    await say(memo, 'six oh six oh one');
    await say(memo, 'I want to report a claim');
    expect(spoken(await say(memo, 'yesterday'))).toMatch(/what happened/);
    expect(spoken(await say(memo, 'wait, stop, I have a question'))).toBe('Sure, take your time.');
    expect(slots(memo)['description']).toBeUndefined();
    expect(spoken(await say(memo, 'a tree fell on my car'))).toMatch(/injured/);
    expect(slots(memo)['description']).toMatch(/tree fell on my car/);
  });

  it('goes back to the last question on "that\'s wrong", and on from there', async () => {
    const memo = await newMemo();
    await collect(orchestrator.start(memo, { signal }));
    await say(memo, 'alice brown');
    const corrected = await say(memo, "no, that's wrong");
    expect(spoken(corrected)).toBe('Sorry about that. To get started, may I have your full name?');
    expect(corrected.at(-1)).toMatchObject({ type: 'expect', slot: 'full_name' });
    expect(spoken(await say(memo, 'bob martinez'))).toMatch(/ZIP code/);
    expect(slots(memo)['full_name']).toMatch(/bob martinez/i);
    expect(spoken(await say(memo, 'nine four one zero five'))).toMatch(/Bob, you're verified/);
  });
});

describe('MemoManager.truncateSpoken', () => {
  it('cuts at a word boundary, drops unheard messages and leaves other turns alone', async () => {
    const memo = await newMemo();
    const spokenMessage = (turn: number, from: number, content: string) =>
      memo.appendMessage('A', { role: 'assistant', content, meta: { turn, spoken_from: from } });
    spokenMessage(1, 0, 'Earlier turn.');
    memo.appendMessage('A', { role: 'user', content: 'question', meta: { turn: 2 } });
    spokenMessage(2, 0, 'Your deductible is five hundred dollars.');
    spokenMessage(2, 41, 'Anything else?');
    memo.truncateSpoken(2, 22); // "Your deductible is fiv|e": the half-heard word goes
    expect(memo.history('A').map((m) => [m.content, m.meta?.interrupted])).toEqual([
      ['Earlier turn.', undefined],
      ['question', undefined],
      ['Your deductible is', true],
    ]);
    const input: UserInput = { kind: 'text', text: 'x' };
    expect(input.kind).toBe('text');
  });

  it('cuts a message of the turn recorded after the cut (an LLM stream ending after barge-in)', async () => {
    const memo = await newMemo();
    memo.truncateSpoken(3, 12);
    memo.appendMessage('A', {
      role: 'assistant',
      content: 'It is sunny in Paris today.',
      meta: { turn: 3, spoken_from: 0 },
    });
    memo.appendMessage('A', { role: 'assistant', content: 'Unheard.', meta: { turn: 3, spoken_from: 28 } });
    memo.appendMessage('A', { role: 'assistant', content: 'Next turn.', meta: { turn: 4, spoken_from: 0 } });
    // A later, larger figure for the same turn does not bring words back.
    memo.truncateSpoken(3, 20);
    expect(memo.history('A').map((m) => [m.content, m.meta?.interrupted])).toEqual([
      ['It is sunny', true],
      ['Next turn.', undefined],
    ]);
  });
});

describe('the flow engine understands callers who go off-script', () => {
  const slots = (memo: MemoManager) => memo.getContext<Record<string, unknown>>('slots') ?? {};
  const heard = (memo: MemoManager, text: string, inGrammar: boolean, forced: string) =>
    collect(
      orchestrator.runTurn(
        memo,
        { kind: 'speech', text, recognition: { confidence: 0.6, inGrammar, alternatives: [forced] } },
        { signal },
      ),
    );
  const isoDaysAgo = (days: number) => {
    const d = new Date();
    d.setDate(d.getDate() - days);
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  };
  async function verified(memo: MemoManager, intent = 'I want to report a claim'): Promise<AgentEvent[]> {
    await collect(orchestrator.start(memo, { signal }));
    await say(memo, 'alice brown');
    await say(memo, 'six oh six oh one');
    return say(memo, intent);
  }

  it("tells the recognizer the phrases an open answer is like, from the flow's files and inline", async () => {
    const memo = await newMemo();
    await collect(orchestrator.start(memo, { signal }));
    await say(memo, 'alice brown');
    const intent = (await say(memo, 'six oh six oh one')).at(-1);
    expect(intent).toMatchObject({ type: 'expect', slot: 'intent', grammar: undefined });
    const phrases = intent?.type === 'expect' ? (intent.phrases ?? []) : [];
    expect(phrases).toEqual(
      expect.arrayContaining(['I want to report a claim', 'another car hit me', "what's my deductible"]),
    );
    const claims = await say(memo, 'I want to report a claim');
    expect(claims.at(-1)).toMatchObject({ type: 'expect', slot: 'loss_date', phrases: undefined });
    const description = (await say(memo, 'yesterday')).at(-1);
    expect(description).toMatchObject({ type: 'expect', slot: 'description' });
    // With what is heard in every state: the agent's intents and what callers say about the conversation.
    expect(description?.type === 'expect' && description.phrases).toEqual(
      expect.arrayContaining(['a water pipe burst', 'real person', "that's not right", 'hold on']),
    );
  });

  it('reads back a name only the grammar heard, and takes it once the caller says it is right', async () => {
    const memo = await newMemo();
    await collect(orchestrator.start(memo, { signal }));
    const check = await heard(memo, 'all not even', false, 'bob martinez');
    expect(spoken(check)).toBe('I heard Bob Martinez. Is that right?');
    expect(check.at(-1)).toMatchObject({
      type: 'expect',
      answer: 'yes_no',
      grammar: builtInGrammar('yes_no'),
    });
    expect(spoken(await say(memo, 'no'))).toMatch(/didn't catch your name/);
    expect(slots(memo)['full_name']).toBeUndefined();
    await heard(memo, 'all not even', false, 'bob martinez');
    expect(spoken(await say(memo, 'yes'))).toMatch(/ZIP code/);
    expect(slots(memo)['full_name']).toBe('Bob Martinez');
    // Said anew instead of yes or no: taken as the answer.
    const other = await newMemo();
    await collect(orchestrator.start(other, { signal }));
    await heard(other, 'all not even', false, 'bob martinez');
    await say(other, 'carol nguyen');
    expect(slots(other)['full_name']).toBe('Carol Nguyen');
  });

  it('commits nothing from speech out of the grammar, and takes an answer both readings agree on', async () => {
    const memo = await newMemo();
    await verified(memo);
    await say(memo, 'yesterday');
    await say(memo, 'a tree fell on my car');
    // The grammar forced "um that's right thanks" onto a question: the open model's words are the input.
    const asked = await heard(memo, 'i have a question about my policy', false, "um that's right thanks");
    expect(spoken(asked)).toMatch(/noted your question.*Was anyone injured\?/);
    expect(slots(memo)['injuries']).toBeUndefined();
    // Out of grammar, and no answer: re-asked, not committed.
    expect(spoken(await heard(memo, 'my wife was driving', false, 'um right thank you'))).toMatch(
      /yes or no/,
    );
    expect(slots(memo)['injuries']).toBeUndefined();
    // Out of grammar but both readings say no.
    expect(spoken(await heard(memo, 'no nobody was hurt', false, 'no one'))).toMatch(/Let me confirm/);
    expect(slots(memo)['injuries']).toBe(false);
  });

  it('carries what the caller said to pick claims into the claims questions', async () => {
    const memo = await newMemo();
    const events = await verified(memo, 'someone hit my car in a parking lot yesterday');
    expect(events).toContainEqual(expect.objectContaining({ type: 'handoff', to: 'ClaimsAgent' }));
    // Neither "when" nor "what happened" is asked again.
    expect(spoken(events)).not.toMatch(/When did it happen|what happened/);
    expect(spoken(events)).toMatch(/Was anyone injured\?$/);
    expect(slots(memo)['loss_date']).toBe(isoDaysAgo(1));
    expect(slots(memo)['description']).toBe('someone hit my car in a parking lot yesterday');
  });

  it('never takes a failed answer to another question as a description or a date', async () => {
    const memo = await newMemo();
    await collect(orchestrator.start(memo, { signal }));
    await say(memo, 'alice brown');
    await say(memo, 'the last four are one two oh two four five two eight on the ninth');
    await say(memo, 'six oh six oh one');
    const events = await say(memo, 'I want to report a claim');
    expect(spoken(events)).toMatch(/When did it happen\?$/);
    expect(spoken(await say(memo, 'yesterday'))).toMatch(/what happened\?$/);
  });

  it('keeps an intent said before its question, and asks for it no more', async () => {
    const memo = await newMemo();
    await collect(orchestrator.start(memo, { signal }));
    expect(spoken(await say(memo, 'I want to file a claim'))).toMatch(/name/);
    await say(memo, 'alice brown');
    const events = await say(memo, 'six oh six oh one');
    expect(spoken(events)).toMatch(/you're verified/);
    expect(spoken(events)).not.toMatch(/report a claim, or/);
    expect(events).toContainEqual(expect.objectContaining({ type: 'handoff', to: 'ClaimsAgent' }));
    // "I want to file a claim" says nothing about what happened: that is still asked.
    expect(spoken(await say(memo, 'yesterday'))).toMatch(/what happened/);
  });

  it('corrects an earlier answer by its value ("no, it was Tuesday"), then asks on', async () => {
    const memo = await newMemo();
    await verified(memo);
    await say(memo, 'yesterday');
    const corrected = await say(memo, 'no, it was on Tuesday');
    expect(spoken(corrected)).toMatch(/^Got it, [A-Z][a-z]+ \d+, \d{4}\. In a few words, what happened\?$/);
    expect(slots(memo)['loss_date']).not.toBe(isoDaysAgo(1));
    expect(slots(memo)['description']).toBeUndefined();
  });

  it('takes a new value for an earlier answer where the open question got none ("it was on Tuesday")', async () => {
    const memo = await newMemo();
    await verified(memo);
    await say(memo, 'yesterday');
    await say(memo, 'a tree fell on my car');
    await say(memo, 'no');
    const corrected = spoken(await say(memo, 'it was on Tuesday'));
    expect(corrected).toMatch(/^Got it, [A-Z][a-z]+ \d+, \d{4}\. Let me confirm: on [A-Z]/);
    expect(slots(memo)['loss_date']).not.toBe(isoDaysAgo(1));
    expect(slots(memo)['confirmed']).toBeUndefined();
  });

  it('asks what to fix after a "no" at the confirmation, fixes it, and confirms again', async () => {
    const memo = await newMemo();
    await verified(memo);
    await say(memo, 'yesterday');
    await say(memo, 'a tree fell on my car');
    expect(spoken(await say(memo, 'no'))).toMatch(/on .*, a tree fell on my car, and no one was injured\./);
    expect(spoken(await say(memo, 'no'))).toMatch(/What should I change/);
    expect(spoken(await say(memo, 'what happened'))).toMatch(/what happened\?$/);
    const confirm = spoken(await say(memo, 'a branch fell on my car'));
    expect(confirm).toMatch(
      /^Let me confirm: .*, a branch fell on my car, and no one was injured\. Shall I file/,
    );
    expect(slots(memo)['loss_date']).toBe(isoDaysAgo(1));
  });

  it('takes "that\'s wrong" at the read-back as a no to it, not as a fix to the last answer', async () => {
    const memo = await newMemo();
    await verified(memo);
    await say(memo, 'yesterday');
    await say(memo, 'a tree fell on my car');
    await say(memo, 'no');
    expect(spoken(await say(memo, "no, that's wrong"))).toMatch(/What should I change/);
    expect(slots(memo)['injuries']).toBe(false);
  });

  it('takes no yes or no to a question the caller cut off, and asks it again', async () => {
    const memo = await newMemo();
    await verified(memo);
    await say(memo, 'yesterday');
    const stream = orchestrator.runTurn(memo, { kind: 'speech', text: 'a tree fell on my car' }, { signal });
    const text = spoken(await collect(stream));
    expect(text).toMatch(/Was anyone injured\?$/);
    orchestrator.recordHeard(memo, stream.turn, text.length - 'injured?'.length);
    expect(spoken(await say(memo, 'please do'))).toBe('Was anyone injured?');
    expect(slots(memo)['injuries']).toBeUndefined();
    expect(spoken(await say(memo, 'no'))).toMatch(/^Let me confirm/);
    expect(slots(memo)['injuries']).toBe(false);
  });

  it('varies its re-asks, offers the keypad, and hands over after repeated failures', async () => {
    const memo = await newMemo();
    await collect(orchestrator.start(memo, { signal }));
    await say(memo, 'alice brown');
    const first = spoken(await say(memo, 'banana'));
    const second = spoken(await say(memo, 'banana'));
    expect(first).toMatch(/five digits for a ZIP code/);
    expect(second).not.toBe(first);
    expect(second).toMatch(/one at a time.*keypad/);
    const third = await say(memo, 'banana');
    expect(third).toContainEqual(expect.objectContaining({ type: 'tool_start', tool: 'escalate_human' }));
  });
});

describe('the flow engine and the open reading of in-grammar speech', () => {
  it('hears "hold on" that a digits grammar took for "oh one"', async () => {
    const memo = await newMemo();
    await collect(orchestrator.start(memo, { signal }));
    await say(memo, 'alice brown');
    const events = await collect(
      orchestrator.runTurn(
        memo,
        {
          kind: 'speech',
          text: 'oh one',
          recognition: { confidence: 0.3, inGrammar: true, alternatives: ['hold on'] },
        },
        { signal },
      ),
    );
    expect(spoken(events)).toBe('Sure, take your time.');
  });
});
