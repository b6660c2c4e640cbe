import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { INSURANCE_TOOLS } from '../../../src/agents/demo/insurance-tools.ts';
import type { AgentEvent, UserInput } from '../../../src/agents/events.ts';
import type { Orchestrator } from '../../../src/agents/orchestrator.ts';
import type { Tool } from '../../../src/agents/tools/tool.ts';
import { ToolRegistry } from '../../../src/agents/tools/tool-registry.ts';
import { createOpenAiClient, type LlmTimeouts } from '../../../src/llm/openai-client.ts';
import { LlmError, type LlmClient } from '../../../src/llm/types.ts';
import type { MemoManager } from '../../../src/state/memo-manager.ts';
import {
  collect,
  collectSettled,
  createTestOrchestrator,
  eventsOf,
  newMemo,
  spokenText,
  TEST_MODEL,
} from '../../helpers/agents.ts';
import { capturingLogger } from '../../helpers/server.ts';
import {
  errorReply,
  startChatCompletionsSimulator,
  textReply,
  toolCallReply,
  type ChatCompletionsSimulator,
  type ChatRequestBody,
  type OllamaQuirks,
  type Responder,
  type ScriptedResponse,
  type ScriptedToolCall,
  type SimulatedMessage,
  type StreamReply,
} from '../../helpers/simulators/chat-completions.ts';
import { until } from '../../helpers/wait.ts';

const AZURE_KEY = 'azure-test-key';
const AUTH_PROMPT = readFileSync(
  new URL('../../../agents/prompts/auth.liquid', import.meta.url),
  'utf8',
).trim();
const GREETING = 'Hi there from XYZ Insurance!';
const CLAIMS_GREETING = "Hi Alice, this is the claims specialist. I'm sorry to hear about your loss.";
const VERIFIED = "Thank you, Alice, you're verified. Is this about a claim, or a question about your policy?";
const TRANSFER = 'I am transferring you to a representative now. Please hold.';
const AUTH_TOOLS = [
  'authenticate_caller',
  'handoff_to_agent',
  'escalate_human',
  'escalate_emergency',
  'end_call',
];

let sim: ChatCompletionsSimulator;
let orchestrator: Orchestrator;
let requestsBefore = 0;
/** Requests the scripted model found malformed (it answered them with a 400, as the API would). */
const rejected: string[] = [];

const fastRetry = { baseDelayMs: 10, maxDelayMs: 40, jitterMs: 0 };
const timeouts: LlmTimeouts = { firstChunkMs: 2000, idleMs: 1500, totalMs: 8000 };

function openAiClient(overrides: Partial<LlmTimeouts> = {}): LlmClient {
  return createOpenAiClient({
    provider: 'openai',
    baseUrl: sim.baseUrl,
    retry: fastRetry,
    timeouts: { ...timeouts, ...overrides },
  });
}

beforeAll(async () => {
  sim = await startChatCompletionsSimulator({ azureApiKey: AZURE_KEY });
  orchestrator = await createTestOrchestrator({ engine: 'llm', client: openAiClient() });
});
afterAll(() => sim.close());
beforeEach(() => {
  sim.respondWith(undefined);
  requestsBefore = sim.requests.length;
  rejected.length = 0;
});
afterEach(() => {
  expect(rejected, 'requests with an invalid message sequence').toEqual([]);
  expect(sim.pending).toBe(0);
});

/** The bodies of the requests the current test made. */
const bodies = (): ChatRequestBody[] => sim.requests.slice(requestsBefore).map((r) => r.body!);
const live = () => ({ signal: new AbortController().signal });
const speech = (text: string): UserInput => ({ kind: 'speech', text });

// ---------------------------------------------------------------------------------------------------
// A scripted model: it reads the request the way a model would (which agent's prompt, the caller's last
// words, the last tool result) and answers with text or tool calls. It also checks what the API checks:
// a request whose messages break the tool-call rules gets a 400.

interface Seen {
  readonly body: ChatRequestBody;
  readonly agent: 'AuthAgent' | 'ClaimsAgent' | 'PolicyAgent' | 'unknown';
  /** The caller's words, when the last message is theirs. */
  readonly user: string | undefined;
  /** The tool result, when the last message is one. */
  readonly tool:
    { readonly id: string; readonly name: string; readonly result: Record<string, unknown> } | undefined;
}
type Rule = (seen: Seen) => ScriptedResponse | undefined;

const calls = (...list: ScriptedToolCall[]) => toolCallReply(list, { argumentFragmentSize: 5 });

/** How the demo's model behaves when no rule of the test says otherwise. */
const insuranceBrain: Rule = ({ agent, user, tool }) => {
  if (tool) {
    if ('error' in tool.result)
      return textReply('Sorry, something went wrong there. Could you say that again?');
    if (tool.name === 'authenticate_caller')
      return textReply(
        tool.result.authenticated === true
          ? VERIFIED
          : "I couldn't find a policy with that name and code. Could you repeat them?",
      );
    if (tool.name === 'record_fnol')
      return textReply(`Your claim is filed. The claim number is ${String(tool.result.claim_id_spoken)}.`);
    return textReply('Done.');
  }
  const text = user ?? '';
  if (/representative|real person/i.test(text))
    return calls({
      id: 'call_escalate',
      name: 'escalate_human',
      arguments: { reason: 'caller asked for a person' },
    });
  if (agent === 'AuthAgent') {
    const identity = /([A-Z][a-z]+ [A-Z][a-z]+)\D*(\d{4,5})/.exec(text);
    if (identity)
      return calls({
        id: 'call_auth',
        name: 'authenticate_caller',
        arguments: { full_name: identity[1]!, verifier: identity[2]! },
      });
    if (/claim/i.test(text))
      return calls({
        id: 'call_handoff',
        name: 'handoff_to_agent',
        arguments: { agent: 'ClaimsAgent', reason: 'file a claim' },
      });
  }
  if (agent === 'ClaimsAgent' && /hit my car/i.test(text))
    return calls({
      id: 'call_fnol',
      name: 'record_fnol',
      arguments: {
        loss_date: '2026-05-01',
        description: 'Another car hit mine at a stop light',
        injuries: false,
        location: 'Chicago',
      },
    });
  return textReply('How can I help you today?');
};

/** The scripted model: the test's rules first, then the demo's; `stream` adds options to every stream. */
function model(rules: readonly Rule[] = [], stream: Omit<StreamReply, 'type'> = {}): Responder {
  return (body) => {
    const problem = sequenceProblem(body);
    if (problem) {
      rejected.push(problem);
      return errorReply(400, { body: { error: { message: problem, type: 'invalid_request_error' } } });
    }
    const seen = read(body);
    let reply: ScriptedResponse | undefined;
    for (const rule of [...rules, insuranceBrain]) if ((reply = rule(seen))) break;
    return reply!.type === 'stream' ? { ...reply!, ...stream } : reply!;
  };
}

function read(body: ChatRequestBody): Seen {
  const system = body.messages[0]?.content ?? '';
  const agent = system.startsWith('You are the front-desk')
    ? 'AuthAgent'
    : system.startsWith('You are the claims specialist')
      ? 'ClaimsAgent'
      : system.startsWith('You are the policy specialist')
        ? 'PolicyAgent'
        : 'unknown';
  const last = body.messages.at(-1)!;
  let tool: Seen['tool'];
  if (last.role === 'tool') {
    const id = last.tool_call_id!;
    const name =
      body.messages.flatMap((m) => m.tool_calls ?? []).find((call) => call.id === id)?.function.name ?? '';
    tool = { id, name, result: JSON.parse(last.content ?? 'null') as Record<string, unknown> };
  }
  return { body, agent, user: last.role === 'user' ? (last.content ?? '') : undefined, tool };
}

/** What the Chat Completions API would reject in a request's messages and tools, if anything. */
function sequenceProblem(body: ChatRequestBody): string | undefined {
  for (const tool of body.tools ?? []) {
    if (tool.type !== 'function' || typeof tool.function?.name !== 'string')
      return `tool not nested under function: ${JSON.stringify(tool)}`;
  }
  const messages: SimulatedMessage[] = body.messages;
  if (messages[0]?.role !== 'system') return 'the first message is not the system prompt';
  for (let i = 0; i < messages.length; i += 1) {
    const message = messages[i]!;
    if (message.role === 'tool') {
      let j = i - 1;
      while (j >= 0 && messages[j]!.role === 'tool') j -= 1;
      const ids = (messages[j]?.tool_calls ?? []).map((call) => call.id);
      if (!ids.includes(message.tool_call_id ?? ''))
        return `messages[${i}]: tool message ${message.tool_call_id} does not follow its call`;
    }
    if (message.role === 'assistant' && message.tool_calls) {
      for (const call of message.tool_calls) {
        if (
          call.type !== 'function' ||
          !call.id ||
          !call.function.name ||
          typeof call.function.arguments !== 'string'
        )
          return `messages[${i}]: malformed tool call ${JSON.stringify(call)}`;
      }
      const answers: string[] = [];
      for (let j = i + 1; messages[j]?.role === 'tool'; j += 1) answers.push(messages[j]!.tool_call_id ?? '');
      const ids = message.tool_calls.map((call) => call.id);
      if ([...ids].sort().join() !== [...answers].sort().join())
        return `messages[${i}]: tool calls ${ids.join()} answered by ${answers.join() || 'nothing'}`;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------

/** Each sentence's offsets cut it out of the turn's spoken text, and the sentences say all of it. */
function expectSentencesLocated(events: readonly AgentEvent[]): void {
  const spoken = spokenText(events);
  const sentences = eventsOf(events, 'sentence');
  for (const sentence of sentences)
    expect(spoken.slice(sentence.start, sentence.end).replace(/\s+/g, ' ')).toBe(sentence.text);
  expect(sentences.map((s) => s.text).join(' ')).toBe(spoken.trim().replace(/\s+/g, ' '));
}

async function collectEvents<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const event of stream) out.push(event);
  return out;
}

/** A new call, greeted, and Alice Brown verified through the model. */
async function verifiedCall(agents = orchestrator): Promise<{ memo: MemoManager; events: AgentEvent[] }> {
  const memo = await newMemo();
  await collect(agents.start(memo, live()));
  const events = await collect(agents.runTurn(memo, speech("I'm Alice Brown, zip 60601"), live()));
  return { memo, events };
}

/** Verified and handed over to the claims specialist. */
async function withClaimsAgent(): Promise<{ memo: MemoManager; events: AgentEvent[] }> {
  const { memo } = await verifiedCall();
  const events = await collect(orchestrator.runTurn(memo, speech("I'd like to file a claim"), live()));
  return { memo, events };
}

describe('the scripted model', () => {
  it('rejects a request whose tool call has no tool message, as the API does', async () => {
    sim.respondWith(model());
    const stream = openAiClient().stream({
      model: TEST_MODEL,
      messages: [
        { role: 'system', content: AUTH_PROMPT },
        { role: 'user', content: 'Hi' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_x', name: 'end_call', arguments: '{}' }],
        },
        { role: 'user', content: 'Hello?' },
      ],
    });
    await expect(collectEvents(stream)).rejects.toMatchObject({ code: 'LLM_HTTP_400' });
    expect(rejected).toEqual(['messages[2]: tool calls call_x answered by nothing']);
    rejected.length = 0;
  });
});

describe('the insurance demo on the LLM engine', () => {
  it('greets with the entry agent’s greeting without asking the model', async () => {
    const memo = await newMemo();
    const stream = orchestrator.start(memo, live());
    expect(stream.turn).toBe(1);
    const events = await collect(stream);
    expect(events).toEqual([
      { type: 'text', agent: 'AuthAgent', text: GREETING },
      { type: 'sentence', agent: 'AuthAgent', text: GREETING, start: 0, end: GREETING.length },
    ]);
    expect(bodies()).toHaveLength(0);
    expect(memo.getContext('active_agent')).toBe('AuthAgent');
    expect(memo.history('AuthAgent')).toEqual([
      { role: 'assistant', content: GREETING, meta: { turn: 1, spoken_from: 0 } },
    ]);
  });

  it('runs a tool the model calls and sends its result back in the follow-up request', async () => {
    sim.respondWith(model());
    const { memo, events } = await verifiedCall();

    const [start, end] = events;
    expect(start).toEqual({
      type: 'tool_start',
      agent: 'AuthAgent',
      callId: 'call_auth',
      tool: 'authenticate_caller',
      args: { full_name: 'Alice Brown', verifier: '60601' },
    });
    const result = {
      authenticated: true,
      caller_name: 'Alice Brown',
      policy_id: 'POL-A10001',
      policy_type: 'auto',
    };
    expect(end).toMatchObject({ type: 'tool_end', callId: 'call_auth', ok: true, result });
    expect(events.slice(2).every((e) => e.type === 'text' || e.type === 'sentence')).toBe(true);
    expect(spokenText(events)).toBe(VERIFIED);
    expectSentencesLocated(events);
    expect(memo.getContext('caller')).toMatchObject({
      name: 'Alice Brown',
      first_name: 'Alice',
      authenticated: true,
    });

    const [first, second, ...more] = bodies();
    expect(more).toHaveLength(0);
    expect(first).toMatchObject({
      model: TEST_MODEL,
      stream: true,
      temperature: 0.4,
      max_tokens: 300,
      tool_choice: 'auto',
    });
    expect(first!.messages).toEqual([
      { role: 'system', content: AUTH_PROMPT },
      { role: 'assistant', content: GREETING },
      { role: 'user', content: "I'm Alice Brown, zip 60601" },
    ]);
    expect(AUTH_PROMPT).toMatch(/^You are the front-desk voice agent of XYZ Insurance/);
    expect(first!.tools!.map((t) => t.function.name)).toEqual(AUTH_TOOLS);
    expect(first!.tools![0]).toEqual({
      type: 'function',
      function: {
        name: 'authenticate_caller',
        description: expect.stringContaining("Verifies the caller's identity"),
        parameters: expect.objectContaining({
          type: 'object',
          required: ['full_name', 'verifier'],
          properties: expect.objectContaining({ full_name: expect.objectContaining({ type: 'string' }) }),
        }),
      },
    });
    // The arguments came in 5-character fragments; the follow-up carries them reassembled, exactly.
    expect(second!.messages.slice(0, 3)).toEqual(first!.messages);
    expect(second!.messages.slice(3)).toEqual([
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'call_auth',
            type: 'function',
            function: {
              name: 'authenticate_caller',
              arguments: '{"full_name":"Alice Brown","verifier":"60601"}',
            },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'call_auth', content: JSON.stringify(result) },
    ]);
  });

  it('hands over to the claims specialist with its voice, greeting and prompt', async () => {
    sim.respondWith(model());
    const { memo, events } = await withClaimsAgent();

    expect(events.map((e) => e.type)).toEqual([
      'tool_start',
      'tool_end',
      'handoff',
      'text',
      'sentence',
      'sentence',
    ]);
    expect(eventsOf(events, 'tool_end')[0]).toMatchObject({ tool: 'handoff_to_agent', ok: true });
    expect(eventsOf(events, 'handoff')[0]).toEqual({
      type: 'handoff',
      from: 'AuthAgent',
      to: 'ClaimsAgent',
      reason: 'file a claim',
      voice: expect.objectContaining({ alias: 'claims_specialist', provider: 'flite', voice: 'rms' }),
    });
    expect(eventsOf(events, 'text')).toEqual([{ type: 'text', agent: 'ClaimsAgent', text: CLAIMS_GREETING }]);
    expectSentencesLocated(events);
    expect(memo.getContext('active_agent')).toBe('ClaimsAgent');
    // The handoff ends the model's turn: no follow-up request, but the call has its tool message.
    expect(bodies()).toHaveLength(3);
    expect(memo.history('AuthAgent').at(-1)).toMatchObject({ role: 'tool', tool_call_id: 'call_handoff' });

    const before = bodies().length;
    const next = await collect(orchestrator.runTurn(memo, speech('What do you need from me?'), live()));
    expect(spokenText(next)).toBe('How can I help you today?');
    expect(next.every((e) => e.type === 'text' || e.type === 'sentence')).toBe(true);
    const request = bodies()[before]!;
    const system = request.messages[0]!.content!;
    expect(system).toMatch(/^You are the claims specialist of XYZ Insurance/);
    expect(system).toContain('on the phone with Alice Brown (policy POL-A10001)');
    expect(system).toContain('You took over from AuthAgent: file a claim.');
    expect(request.messages.slice(1)).toEqual([
      { role: 'assistant', content: CLAIMS_GREETING },
      { role: 'user', content: 'What do you need from me?' },
    ]);
    expect(request.tools!.map((t) => t.function.name)).toEqual([
      'record_fnol',
      'handoff_to_agent',
      'escalate_human',
      'escalate_emergency',
      'end_call',
    ]);
    expect(request).toMatchObject({ temperature: 0.6, max_tokens: 400 });
  });

  it('files a claim through the model and reads the claim number back', async () => {
    sim.respondWith(model());
    const { memo } = await withClaimsAgent();
    const before = bodies().length;
    const events = await collect(
      orchestrator.runTurn(memo, speech('Someone hit my car yesterday at a stop light'), live()),
    );

    expect(events.slice(0, 4).map((e) => e.type)).toEqual([
      'tool_start',
      'tool_progress',
      'tool_progress',
      'tool_end',
    ]);
    expect(eventsOf(events, 'tool_progress').map((e) => [e.message, e.fraction])).toEqual([
      ['Creating the claim', undefined],
      ['Claim created', 1],
    ]);
    const end = eventsOf(events, 'tool_end')[0]!;
    expect(end).toMatchObject({ agent: 'ClaimsAgent', tool: 'record_fnol', ok: true });
    const claim = end.result as { claim_id: string; claim_id_spoken: string; status: string };
    expect(claim.claim_id).toMatch(/^CLM-\d{6}$/);
    expect(claim.status).toBe('filed');
    expect(memo.getContext('latest_claim_id')).toBe(claim.claim_id);
    expect(memo.getContext('claims')).toEqual([
      expect.objectContaining({ claim_id: claim.claim_id, policy_id: 'POL-A10001', injuries: false }),
    ]);
    expect(spokenText(events)).toBe(`Your claim is filed. The claim number is ${claim.claim_id_spoken}.`);
    expect(claim.claim_id_spoken).toBe(claim.claim_id.slice(4).split('').join(' '));

    const followUp = bodies()[before + 1]!;
    const toolMessage = followUp.messages.at(-1)!;
    expect(toolMessage).toMatchObject({ role: 'tool', tool_call_id: 'call_fnol' });
    expect(JSON.parse(toolMessage.content!)).toMatchObject({ claim_id: claim.claim_id });
  });

  it('runs parallel tool calls in order, each with its tool message', async () => {
    sim.respondWith(
      model([
        ({ user }) =>
          user?.includes('Alice Brown')
            ? calls(
                {
                  id: 'call_zip',
                  name: 'authenticate_caller',
                  arguments: { full_name: 'Alice Brown', verifier: '99999' },
                },
                {
                  id: 'call_ssn',
                  name: 'authenticate_caller',
                  arguments: { full_name: 'Alice Brown', verifier: '1234' },
                },
              )
            : undefined,
      ]),
    );
    const { memo, events } = await verifiedCall();

    const frames = events.filter((e) => e.type === 'tool_start' || e.type === 'tool_end');
    expect(frames.map((e) => `${e.type}:${e.callId}`)).toEqual([
      'tool_start:call_zip',
      'tool_end:call_zip',
      'tool_start:call_ssn',
      'tool_end:call_ssn',
    ]);
    const [zip, ssn] = eventsOf(events, 'tool_end');
    expect(zip!.result).toMatchObject({ authenticated: false, attempts: 1 });
    expect(ssn!.result).toMatchObject({ authenticated: true, policy_id: 'POL-A10001' });
    expect(spokenText(events)).toBe(VERIFIED);

    const followUp = bodies()[1]!;
    expect(
      followUp.messages.slice(-3).map((m) => [m.role, m.tool_call_id, m.tool_calls?.map((c) => c.id)]),
    ).toEqual([
      ['assistant', undefined, ['call_zip', 'call_ssn']],
      ['tool', 'call_zip', undefined],
      ['tool', 'call_ssn', undefined],
    ]);
    expect(JSON.parse(followUp.messages.at(-2)!.content!)).toMatchObject({ authenticated: false });
    expect(memo.getContext('auth_failures')).toBe(1);
  });

  it('answers bad tool arguments with a tool error the model sees, without failing the turn', async () => {
    sim.respondWith(
      model([
        ({ user, tool }) => {
          if (user)
            return calls({ id: 'call_bad_schema', name: 'authenticate_caller', arguments: { full_name: 5 } });
          if (tool?.id === 'call_bad_schema')
            return calls({
              id: 'call_bad_json',
              name: 'authenticate_caller',
              arguments: '{"full_name": "Alice Brown", "verifier": 606',
            });
          return undefined;
        },
      ]),
    );
    const { memo, events } = await verifiedCall();

    const [schema, json] = eventsOf(events, 'tool_end');
    expect(schema).toMatchObject({ callId: 'call_bad_schema', ok: false, result: null });
    expect(schema!.error).toMatch(/^invalid arguments: full_name: .*; verifier: /);
    expect(json).toMatchObject({ callId: 'call_bad_json', ok: false, result: null });
    expect(json!.error).toMatch(/^arguments are not valid JSON: \{"full_name"/);
    // Unparseable arguments are shown as the raw text.
    expect(eventsOf(events, 'tool_start')[1]!.args).toBe('{"full_name": "Alice Brown", "verifier": 606');
    expect(spokenText(events)).toBe('Sorry, something went wrong there. Could you say that again?');
    expect(memo.getContext('caller')).toBeUndefined();

    const [, second, third] = bodies();
    expect(second!.messages.at(-1)).toEqual({
      role: 'tool',
      tool_call_id: 'call_bad_schema',
      content: JSON.stringify({ error: schema!.error }),
    });
    expect(third!.messages.at(-1)).toMatchObject({ role: 'tool', tool_call_id: 'call_bad_json' });
    expect(JSON.parse(third!.messages.at(-1)!.content!)).toEqual({ error: json!.error });
  });

  it('answers an unknown tool with a tool error, without failing the turn', async () => {
    sim.respondWith(
      model([
        ({ user }) =>
          user
            ? calls({ id: 'call_weather', name: 'lookup_weather', arguments: { city: 'Chicago' } })
            : undefined,
      ]),
    );
    const { events } = await verifiedCall();
    expect(eventsOf(events, 'tool_end')).toEqual([
      expect.objectContaining({ tool: 'lookup_weather', ok: false, error: 'unknown tool "lookup_weather"' }),
    ]);
    expect(spokenText(events)).toBe('Sorry, something went wrong there. Could you say that again?');
    expect(JSON.parse(bodies()[1]!.messages.at(-1)!.content!)).toEqual({
      error: 'unknown tool "lookup_weather"',
    });
  });

  // The model is offered only the agent's tools; a call of another registered tool must not run.
  it('refuses a registered tool that is not among the agent’s tools', async () => {
    sim.respondWith(
      model([
        ({ user }) =>
          user?.includes('file it right here')
            ? calls({
                id: 'call_sneaky',
                name: 'record_fnol',
                arguments: { loss_date: '2026-05-01', description: 'a dent', injuries: false },
              })
            : undefined,
      ]),
    );
    const { memo } = await verifiedCall();
    const events = await collect(orchestrator.runTurn(memo, speech('Just file it right here'), live()));
    expect(memo.getContext('claims')).toBeUndefined();
    expect(eventsOf(events, 'tool_end')[0]).toMatchObject({ tool: 'record_fnol', ok: false });
  });

  it('ends the call on escalate_human, speaking the tool’s message, and only repeats the end after', async () => {
    sim.respondWith(model());
    const memo = await newMemo();
    await collect(orchestrator.start(memo, live()));
    const events = await collect(orchestrator.runTurn(memo, speech('Can I talk to a real person?'), live()));

    expect(events.map((e) => e.type)).toEqual([
      'tool_start',
      'tool_end',
      'text',
      'sentence',
      'sentence',
      'end_call',
    ]);
    expect(eventsOf(events, 'tool_end')[0]).toMatchObject({ tool: 'escalate_human', ok: true });
    expect(spokenText(events)).toBe(TRANSFER);
    expect(eventsOf(events, 'sentence').map((s) => s.text)).toEqual([
      'I am transferring you to a representative now.',
      'Please hold.',
    ]);
    expect(events.at(-1)).toEqual({
      type: 'end_call',
      agent: 'AuthAgent',
      reason: 'human_handoff',
      message: TRANSFER,
    });
    expect(orchestrator.ended(memo)).toMatchObject({ reason: 'human_handoff' });
    expect(bodies()).toHaveLength(1);
    const history = memo.history('AuthAgent');
    expect(history.slice(-2)).toEqual([
      {
        role: 'tool',
        name: 'escalate_human',
        tool_call_id: 'call_escalate',
        content: expect.any(String),
        meta: { turn: 2 },
      },
      { role: 'assistant', content: TRANSFER, meta: { turn: 2, spoken_from: 0 } },
    ]);

    const after = await collect(orchestrator.runTurn(memo, speech('Hello? Is anyone there?'), live()));
    expect(after).toEqual([{ type: 'end_call', agent: 'AuthAgent', reason: 'human_handoff' }]);
    expect(bodies()).toHaveLength(1);
    expect(memo.history('AuthAgent')).toHaveLength(history.length);
  });

  it('drives a full tool loop over Azure’s stream (filter chunks, v1 route, api-key)', async () => {
    const azure = await createTestOrchestrator({
      engine: 'llm',
      client: createOpenAiClient({
        provider: 'azure',
        endpoint: sim.origin,
        apiKey: AZURE_KEY,
        retry: fastRetry,
        timeouts,
      }),
    });
    sim.respondWith(model([], { azure: true }));
    const { memo, events } = await verifiedCall(azure);
    expect(eventsOf(events, 'tool_end')).toEqual([
      expect.objectContaining({ tool: 'authenticate_caller', ok: true }),
    ]);
    expect(spokenText(events)).toBe(VERIFIED);
    expect(memo.getContext('caller')).toMatchObject({ policy_id: 'POL-A10001' });
    const requests = sim.requests.slice(requestsBefore);
    expect(requests.map((r) => r.path)).toEqual([
      '/openai/v1/chat/completions',
      '/openai/v1/chat/completions',
    ]);
    expect(requests[0]!.headers['api-key']).toBe(AZURE_KEY);
    // Azure (like OpenAI) takes max_completion_tokens; max_tokens is deprecated there.
    expect(requests[0]!.body).toMatchObject({ model: TEST_MODEL, max_completion_tokens: 300 });
    expect(requests[0]!.body).not.toHaveProperty('max_tokens');
  });

  const ollamaCases: {
    name: string;
    quirks: OllamaQuirks;
    parallel: boolean;
    ends?: Partial<StreamReply>;
  }[] = [
    { name: 'fragments without index', quirks: { noIndex: true }, parallel: false },
    { name: 'calls without ids', quirks: { noId: true }, parallel: false },
    {
      name: 'whole parallel calls, all index 0, no ids, no [DONE] nor finish reason',
      quirks: { indexZero: true, noId: true, wholeArguments: true },
      parallel: true,
      ends: { done: false, finishReason: null },
    },
    { name: 'parallel calls all with index 0', quirks: { indexZero: true }, parallel: true },
  ];
  it.each(ollamaCases)(
    'drives a full tool loop over Ollama’s stream: $name',
    async ({ quirks, parallel, ends }) => {
      const auth = (verifier: string, id: string): ScriptedToolCall => ({
        id,
        name: 'authenticate_caller',
        arguments: { full_name: 'Alice Brown', verifier },
      });
      sim.respondWith(
        model(
          [
            ({ user }) =>
              user?.includes('Alice')
                ? calls(
                    ...(parallel
                      ? [auth('99999', 'call_a'), auth('60601', 'call_b')]
                      : [auth('60601', 'call_a')]),
                  )
                : undefined,
          ],
          { ollama: quirks, ...ends },
        ),
      );
      const { memo, events } = await verifiedCall();
      const toolEnds = eventsOf(events, 'tool_end');
      expect(toolEnds.map((e) => e.ok)).toEqual(parallel ? [true, true] : [true]);
      expect(toolEnds.at(-1)!.result).toMatchObject({ authenticated: true });
      expect(spokenText(events)).toBe(VERIFIED);
      expect(memo.getContext('caller')).toMatchObject({ name: 'Alice Brown' });
      const assistant = bodies()[1]!.messages.at(parallel ? -3 : -2)!;
      expect(assistant.tool_calls!.map((c) => c.function.arguments)).toEqual(
        (parallel ? ['99999', '60601'] : ['60601']).map(
          (v) => `{"full_name":"Alice Brown","verifier":"${v}"}`,
        ),
      );
      expect(new Set(assistant.tool_calls!.map((c) => c.id)).size).toBe(parallel ? 2 : 1);
    },
  );

  it('retries a 429 after its Retry-After and says the answer once', async () => {
    let limited = 0;
    sim.respondWith(
      model([
        ({ user, tool }) => {
          if (user?.includes('Alice'))
            return {
              type: 'stream',
              text: 'One moment.',
              toolCalls: [
                {
                  id: 'call_auth',
                  name: 'authenticate_caller',
                  arguments: { full_name: 'Alice Brown', verifier: '60601' },
                },
              ],
            };
          if (tool && limited++ === 0) return errorReply(429, { retryAfter: 1 });
          return undefined;
        },
      ]),
    );
    const { memo, events } = await verifiedCall();
    expect(spokenText(events)).toBe(`One moment. ${VERIFIED}`);
    expectSentencesLocated(events);
    const requests = sim.requests.slice(requestsBefore);
    expect(requests).toHaveLength(3);
    expect(requests[2]!.receivedAt - requests[1]!.receivedAt).toBeGreaterThanOrEqual(900);
    expect(requests[2]!.body!.messages).toEqual(requests[1]!.body!.messages);
    const said = memo.history('AuthAgent').filter((m) => m.role === 'assistant' && m.content);
    expect(said.map((m) => [m.content, m.meta?.spoken_from])).toEqual([
      [GREETING, 0],
      ['One moment.', 0],
      [VERIFIED, 'One moment. '.length],
    ]);
  });

  describe('barge-in', () => {
    it('stops a streaming answer at once and keeps in history only what the caller heard', async () => {
      const answer =
        'Our company has served drivers and homeowners for over forty years, and we pride ourselves on fast and friendly claims handling.';
      sim.respondWith(
        model([
          // Chunks far apart: the abort 10 ms after the sixth lands well before the seventh, even on a busy machine.
          ({ user }) => (user?.startsWith('Tell me') ? textReply(answer, { chunkDelayMs: 600 }) : undefined),
        ]),
      );
      const memo = await newMemo();
      await collect(orchestrator.start(memo, live()));
      const controller = new AbortController();
      const stream = orchestrator.runTurn(memo, speech('Tell me about your company'), {
        signal: controller.signal,
      });
      const events: AgentEvent[] = [];
      let abortedAt = 0;
      let error: unknown;
      try {
        for await (const event of stream) {
          events.push(event);
          if (eventsOf(events, 'text').length === 6 && abortedAt === 0) {
            abortedAt = -1;
            setTimeout(() => {
              abortedAt = performance.now();
              controller.abort();
            }, 10);
          }
        }
      } catch (err) {
        error = err;
      }
      const stoppedMs = performance.now() - abortedAt;
      expect(error).toBeInstanceOf(LlmError);
      expect((error as LlmError).code).toBe('LLM_ABORTED');
      expect(stoppedMs).toBeLessThan(400); // not waiting for the next chunk, 600 ms away
      await until(() => sim.requests.at(-1)!.clientClosedEarly);
      expect(sim.requests.at(-1)!.clientClosedEarly).toBe(true);

      const spoken = spokenText(events);
      expect(spoken).toBe('Our company has served drivers and');
      const reply = () => memo.history('AuthAgent').at(-1)!;
      expect(reply()).toMatchObject({
        role: 'assistant',
        content: spoken,
        meta: { turn: stream.turn, spoken_from: 0 },
      });

      // The caller heard "Our company has se": the half word goes too.
      orchestrator.recordHeard(memo, stream.turn, 'Our company has se'.length);
      expect(reply()).toEqual({
        role: 'assistant',
        content: 'Our company has',
        meta: { turn: stream.turn, spoken_from: 0, interrupted: true },
      });

      const before = bodies().length;
      const next = await collect(orchestrator.runTurn(memo, speech('Sorry, go on'), live()));
      expect(spokenText(next)).toBe('How can I help you today?');
      expect(bodies()[before]!.messages.slice(-2)).toEqual([
        { role: 'assistant', content: 'Our company has' },
        { role: 'user', content: 'Sorry, go on' },
      ]);
    });

    it('cancels a slow tool and leaves a tool message for every call, so the next request is valid', async () => {
      const auth = INSURANCE_TOOLS.find((t) => t.name === 'authenticate_caller')!;
      let toolSawAbort = false;
      const slowAuth: Tool = {
        ...auth,
        async run(args, context) {
          try {
            await sleep(5000, undefined, { signal: context.signal });
          } catch (err) {
            toolSawAbort = true;
            throw err;
          }
          return auth.run(args, context);
        },
      };
      const slow = await createTestOrchestrator({
        engine: 'llm',
        client: openAiClient(),
        tools: new ToolRegistry([slowAuth, ...INSURANCE_TOOLS.filter((t) => t !== auth)]),
      });
      sim.respondWith(
        model([
          ({ user }) =>
            user?.includes('Alice')
              ? calls(
                  {
                    id: 'call_slow',
                    name: 'authenticate_caller',
                    arguments: { full_name: 'Alice Brown', verifier: '60601' },
                  },
                  {
                    id: 'call_next',
                    name: 'handoff_to_agent',
                    arguments: { agent: 'ClaimsAgent', reason: 'file a claim' },
                  },
                )
              : undefined,
        ]),
      );
      const memo = await newMemo();
      await collect(slow.start(memo, live()));
      const controller = new AbortController();
      const stream = slow.runTurn(memo, speech("I'm Alice Brown, zip 60601"), { signal: controller.signal });
      let abortedAt = 0;
      const { events, error } = await collectSettled({
        async *[Symbol.asyncIterator]() {
          for await (const event of stream) {
            yield event;
            if (event.type === 'tool_start' && event.callId === 'call_slow')
              setTimeout(() => {
                abortedAt = performance.now();
                controller.abort();
              }, 20);
          }
        },
      });
      expect(error).toBeDefined();
      expect(performance.now() - abortedAt).toBeLessThan(500);
      expect(toolSawAbort).toBe(true);
      expect(events.map((e) => e.type)).toEqual(['tool_start']);
      expect(memo.getContext('active_agent')).toBe('AuthAgent');
      expect(memo.getContext('caller')).toBeUndefined();

      const tail = memo.history('AuthAgent').slice(-3);
      expect(tail[0]).toMatchObject({
        role: 'assistant',
        tool_calls: [{ id: 'call_slow' }, { id: 'call_next' }],
      });
      expect(tail.slice(1).map((m) => [m.role, m.tool_call_id])).toEqual([
        ['tool', 'call_slow'],
        ['tool', 'call_next'],
      ]);
      for (const message of tail.slice(1))
        expect(JSON.parse(message.content)).toEqual({ error: expect.stringMatching(/^cancelled/) });

      const before = bodies().length;
      const next = await collect(slow.runTurn(memo, speech('Hello? Are you there?'), live()));
      expect(spokenText(next)).toBe('How can I help you today?');
      const messages = bodies()[before]!.messages;
      expect(messages.slice(-4).map((m) => m.role)).toEqual(['assistant', 'tool', 'tool', 'user']);
    });
  });

  it('fails a stalled stream with LLM_STALLED within the idle timeout, and logs it', async () => {
    const { log, lines } = capturingLogger('info');
    const idleMs = 300;
    const stalling = await createTestOrchestrator({ engine: 'llm', client: openAiClient({ idleMs }), log });
    sim.respondWith(
      model([
        ({ user }) =>
          user?.startsWith('What') ? textReply('Let me look that up for you.', { stallAfter: 4 }) : undefined,
      ]),
    );
    const memo = await newMemo();
    await collect(stalling.start(memo, live()));
    const stream = stalling.runTurn(memo, speech('What is my deductible?'), live());
    let lastEventAt = 0;
    const { events, error } = await collectSettled({
      async *[Symbol.asyncIterator]() {
        for await (const event of stream) {
          lastEventAt = performance.now();
          yield event;
        }
      },
    });
    const waitedMs = performance.now() - lastEventAt;
    expect(spokenText(events)).toBe('Let me look');
    expect(error).toBeInstanceOf(LlmError);
    expect((error as LlmError).code).toBe('LLM_STALLED');
    expect(waitedMs).toBeGreaterThanOrEqual(idleMs - 50);
    expect(waitedMs).toBeLessThan(idleMs + 700);
    // Text had reached the caller: no retry, which would say it twice.
    expect(bodies()).toHaveLength(1);
    await until(() => lines().some((line) => line.msg === 'agent turn failed'));
    expect(lines().find((line) => line.msg === 'agent turn failed')).toMatchObject({
      level: 'error',
      session_id: memo.sessionId,
      turn: stream.turn,
      err: expect.stringContaining('stalled'),
    });
  });
});
