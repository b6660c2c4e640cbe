import {
  context as otelContext,
  ROOT_CONTEXT,
  SpanStatusCode,
  trace,
  type Context,
} from '@opentelemetry/api';
import { errorMessage } from '../errors.ts';
import type { MemoManager } from '../state/memo-manager.ts';
import type { Logger } from '../telemetry/logger.ts';
import { tracer } from '../telemetry/tracing.ts';
import type { AgentDefinition } from './agent-definition.ts';
import type { AgentSet } from './agent-set.ts';
import type { AgentEvent, UserInput } from './events.ts';
import { appendSpoken, templateScope, type AgentRunner, type RunnerEvent, type RunScope } from './runner.ts';
import { SentenceChunker } from './sentence-chunker.ts';
import { renderSpeech } from './templates.ts';
import type { EndReason } from './tools/tool.ts';
import type { ClientTools } from './tools/client-tools.ts';
import type { ToolRegistry } from './tools/tool-registry.ts';
import { runTool, type ToolRun } from './tools/run-tool.ts';
import type { VoiceSelection } from './voices.ts';

const NOT_HEARD = "Sorry, I didn't catch that. Could you say it again?";

export interface TurnContext {
  /** Barge-in or hang-up: the turn stops at once, whatever it was doing. */
  readonly signal: AbortSignal;
  /** Tools the far end runs (a realtime client's session tools). */
  readonly clientTools?: ClientTools | undefined;
}

/** One turn's events; `turn` is the number spoken messages are recorded under. */
export interface TurnStream extends AsyncIterable<AgentEvent> {
  readonly turn: number;
}

export interface OrchestratorOptions {
  readonly agents: AgentSet;
  readonly tools: ToolRegistry;
  readonly runner: AgentRunner;
  readonly log: Logger;
  /** The TTS provider's name, to pick each agent's voice for it. */
  readonly ttsProvider: string;
}

/** Safety net: a flow or tool loop that hands over more often than this in one turn is a loop. */
const MAX_HANDOFFS_PER_TURN = 4;

/**
 * The turn logic of a call (the seed's `route_turn`): runs the active agent on the caller's input and
 * streams what it says, its tool frames, handoffs to other agents (with their voice and greeting) and the
 * end of the call. The same stream drives the media pipeline and the text chat.
 */
export class Orchestrator {
  readonly agents: AgentSet;
  private readonly options: OrchestratorOptions;

  constructor(options: OrchestratorOptions) {
    this.options = options;
    this.agents = options.agents;
  }

  activeAgent(memo: MemoManager): AgentDefinition {
    const name = memo.getContext<string>('active_agent');
    return (name !== undefined ? this.agents.get(name) : undefined) ?? this.agents.get(this.agents.entry)!;
  }

  /** The agent's voice for a TTS provider: the configured one, unless another speaks (ACS's Azure voices). */
  voiceOf(agent: AgentDefinition, provider = this.options.ttsProvider): VoiceSelection {
    return this.agents.voices.resolve(agent.voice, provider);
  }

  /** An agent's tools as a realtime service declares them: flat function definitions (PROTOCOLS.md §5.7). */
  realtimeTools(
    agent: AgentDefinition,
  ): { type: 'function'; name: string; description: string; parameters: unknown }[] {
    return agent.tools.map((name) => ({ type: 'function' as const, ...this.options.tools.spec(name) }));
  }

  /**
   * Runs a tool a realtime service called for `agent` (its own tools only), streaming the tool's frames;
   * returns its outcome and any handoff or end of call it asked for.
   */
  runToolFor(
    memo: MemoManager,
    agent: AgentDefinition,
    call: { id: string; name: string; args: string },
    signal: AbortSignal,
  ): AsyncGenerator<AgentEvent, ToolRun> {
    return runTool(this.options.tools, call, {
      memo,
      agent: agent.name,
      signal,
      allowedTools: agent.tools,
      allowedHandoffs: agent.handoffs,
    });
  }

  /** Makes `to` the call's active agent (a realtime service handed the call over); undefined when unknown. */
  switchAgent(
    memo: MemoManager,
    from: string,
    to: string,
    reason: string | undefined,
  ): AgentDefinition | undefined {
    const target = this.agents.get(to);
    if (!target) return undefined;
    memo.setContext('handoff', { from, to, reason: reason ?? null });
    memo.setContext('active_agent', to);
    return target;
  }

  /** Whether an agent has ended this call (escalation, goodbye). */
  ended(memo: MemoManager): { reason: EndReason } | undefined {
    return memo.getContext<{ reason: EndReason }>('call_ended');
  }

  /** The start of a call: the active agent's greeting and whatever its engine does first. */
  start(memo: MemoManager, context: TurnContext): TurnStream {
    const turn = nextTurn(memo);
    const agent = this.activeAgent(memo);
    return this.stream(memo, turn, context, 'call_start', (driver) => driver.activate(agent));
  }

  /** One caller turn. After the call ended it only repeats the end, so a transport hangs up. */
  runTurn(memo: MemoManager, input: UserInput, context: TurnContext): TurnStream {
    const turn = nextTurn(memo);
    const agent = this.activeAgent(memo);
    const ended = this.ended(memo);
    if (ended) {
      return this.stream(memo, turn, context, 'turn', async function* () {
        yield { type: 'end_call', agent: agent.name, reason: ended.reason };
      });
    }
    const text = input.kind === 'dtmf' ? input.digits : input.text;
    memo.appendMessage(agent.name, {
      role: 'user',
      content: text,
      meta: { turn, ...(input.kind === 'dtmf' ? { dtmf: true } : {}) },
    });
    return this.stream(memo, turn, context, 'turn', (driver) =>
      driver.run(agent, (scope) => this.options.runner.turn(input, scope)),
    );
  }

  /**
   * The caller spoke but no word was recognised (a short "No." the open model missed): the active agent
   * asks them to say it again. Nothing reaches the agent's engine, so no answer fails and no slot is touched.
   */
  notHeard(memo: MemoManager, context: TurnContext): TurnStream {
    const turn = nextTurn(memo);
    const agent = this.activeAgent(memo);
    return this.stream(memo, turn, context, 'not_heard', (driver) =>
      driver.run(agent, async function* (scope) {
        appendSpoken(scope, NOT_HEARD, scope.beginSpoken());
        yield { type: 'text', agent: agent.name, text: NOT_HEARD };
      }),
    );
  }

  /** The call is ended from outside: the active agent says `message`, and the call ends. */
  farewell(memo: MemoManager, message: string, context: TurnContext): TurnStream {
    const turn = nextTurn(memo);
    const agent = this.activeAgent(memo);
    return this.stream(memo, turn, context, 'farewell', (driver) =>
      driver.run(agent, async function* () {
        yield { type: 'end_request', reason: 'completed', message } as const;
      }),
    );
  }

  /**
   * Keeps of a turn's speech only what the caller heard (barge-in): `heardChars` counts characters of
   * the turn's spoken text, the `text` events joined. Saved at once: the turn's stream may be over.
   */
  recordHeard(memo: MemoManager, turn: number, heardChars: number): void {
    memo.truncateSpoken(turn, heardChars);
    memo.schedulePersist();
  }

  /** The call is over. */
  release(memo: MemoManager): void {
    this.options.runner.release?.(memo.sessionId);
  }

  private stream(
    memo: MemoManager,
    turn: number,
    context: TurnContext,
    name: string,
    body: (driver: TurnDriver) => AsyncIterable<AgentEvent>,
  ): TurnStream {
    const driver = new TurnDriver(this, this.options, memo, turn, context);
    const log = this.options.log;
    return {
      turn,
      async *[Symbol.asyncIterator]() {
        const span = tracer().startSpan(`agent.${name}`, {
          attributes: { 'session.id': memo.sessionId, 'agent.turn': turn, 'agent.name': driver.agentName },
        });
        driver.traceContext = trace.setSpan(otelContext.active(), span);
        try {
          yield* body(driver);
          yield* driver.flush();
        } catch (err) {
          if (!context.signal.aborted) {
            span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(err) });
            log.error({ session_id: memo.sessionId, turn, err: errorMessage(err) }, 'agent turn failed');
          }
          throw err;
        } finally {
          span.setAttribute('agent.name', driver.agentName);
          span.end();
          memo.schedulePersist();
        }
      },
    };
  }
}

/** The state of one turn: which agent speaks, the spoken text so far, and the sentence chunker. */
class TurnDriver {
  agentName = '';
  /** The agent span's context: tool spans are its children. */
  traceContext: Context = ROOT_CONTEXT;
  private readonly orchestrator: Orchestrator;
  private readonly options: OrchestratorOptions;
  private readonly memo: MemoManager;
  private readonly turn: number;
  private readonly signal: AbortSignal;
  private readonly clientTools: ClientTools | undefined;
  private readonly chunker = new SentenceChunker();
  private separatorPending = false;
  private handoffs = 0;

  constructor(
    orchestrator: Orchestrator,
    options: OrchestratorOptions,
    memo: MemoManager,
    turn: number,
    context: TurnContext,
  ) {
    this.orchestrator = orchestrator;
    this.options = options;
    this.memo = memo;
    this.turn = turn;
    this.signal = context.signal;
    this.clientTools = context.clientTools;
  }

  /** Makes `agent` active: its greeting, then its engine's first step. */
  async *activate(agent: AgentDefinition): AsyncGenerator<AgentEvent> {
    const visited = this.memo.getContext<string[]>('visited_agents') ?? [];
    const greeting = visited.includes(agent.name)
      ? (agent.return_greeting ?? agent.greeting)
      : agent.greeting;
    if (!visited.includes(agent.name)) this.memo.setContext('visited_agents', [...visited, agent.name]);
    this.memo.setContext('active_agent', agent.name);
    const enter = this.options.runner.enter.bind(this.options.runner);
    yield* this.run(agent, async function* (scope) {
      if (greeting !== undefined) {
        const text = renderSpeech(greeting, templateScope(scope.memo, agent));
        if (text) {
          appendSpoken(scope, text, scope.beginSpoken());
          yield { type: 'text', agent: agent.name, text };
        }
      }
      yield* enter(scope);
    });
  }

  /** Runs an engine step of `agent`, turning its requests into handoffs and the end of the call. */
  async *run(
    agent: AgentDefinition,
    step: (scope: RunScope) => AsyncIterable<RunnerEvent>,
  ): AsyncGenerator<AgentEvent> {
    this.agentName = agent.name;
    let request: RunnerEvent | undefined;
    for await (const event of step(this.scope(agent))) {
      this.signal.throwIfAborted();
      if (event.type === 'handoff_request' || event.type === 'end_request') {
        request = event;
        break;
      }
      if (event.type === 'text') {
        yield* this.speak(agent, event.text);
      } else {
        // What was said before a tool runs or a question opens is spoken now, not after the tool.
        yield* this.flush();
        yield event;
      }
    }
    if (request?.type === 'end_request') {
      if (request.message) {
        appendSpoken(this.scope(agent), request.message, this.beginSpoken());
        yield* this.speak(agent, request.message);
      }
      yield* this.flush();
      this.memo.setContext('call_ended', { reason: request.reason, agent: agent.name, at: Date.now() });
      yield { type: 'end_call', agent: agent.name, reason: request.reason, message: request.message };
    } else if (request?.type === 'handoff_request') {
      yield* this.handoff(agent, request.to, request.reason);
    }
  }

  *flush(): Generator<AgentEvent> {
    for (const sentence of this.chunker.flush())
      yield { type: 'sentence', agent: this.agentName, ...sentence };
  }

  private async *handoff(
    from: AgentDefinition,
    to: string,
    reason: string | undefined,
  ): AsyncGenerator<AgentEvent> {
    const target = this.orchestrator.agents.get(to);
    if (!target || !from.handoffs.includes(to)) throw new Error(`${from.name} cannot hand off to "${to}"`);
    if (++this.handoffs > MAX_HANDOFFS_PER_TURN)
      throw new Error(`more than ${MAX_HANDOFFS_PER_TURN} handoffs in one turn`);
    yield* this.flush();
    this.memo.setContext('handoff', { from: from.name, to, reason: reason ?? null });
    yield { type: 'handoff', from: from.name, to, reason, voice: this.orchestrator.voiceOf(target) };
    yield* this.activate(target);
  }

  private *speak(agent: AgentDefinition, text: string): Generator<AgentEvent> {
    const separated = this.separatorPending && !/^\s/.test(text) ? ` ${text}` : text;
    this.separatorPending = false;
    yield { type: 'text', agent: agent.name, text: separated };
    for (const sentence of this.chunker.push(separated))
      yield { type: 'sentence', agent: agent.name, ...sentence };
  }

  /** Where the next spoken message starts (after a separating space). */
  private beginSpoken(): number {
    const length = this.chunker.fullText.length;
    this.separatorPending = length > 0 && !/\s$/.test(this.chunker.fullText);
    return length + (this.separatorPending ? 1 : 0);
  }

  private scope(agent: AgentDefinition): RunScope {
    return {
      memo: this.memo,
      agent,
      tools: this.options.tools,
      clientTools: this.clientTools,
      signal: this.signal,
      log: this.options.log,
      turn: this.turn,
      beginSpoken: () => this.beginSpoken(),
      traceContext: this.traceContext,
    };
  }
}

function nextTurn(memo: MemoManager): number {
  const turn = (memo.getContext<number>('turn') ?? 0) + 1;
  memo.setContext('turn', turn);
  return turn;
}
