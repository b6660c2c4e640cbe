import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import { AgentSet } from '../../src/agents/agent-set.ts';
import { INSURANCE_TOOLS } from '../../src/agents/demo/insurance-tools.ts';
import type { AgentEvent } from '../../src/agents/events.ts';
import { FlowRunner } from '../../src/agents/flow/flow-runner.ts';
import { LlmRunner } from '../../src/agents/llm-runner.ts';
import { Orchestrator } from '../../src/agents/orchestrator.ts';
import type { AgentRunner } from '../../src/agents/runner.ts';
import { ToolRegistry } from '../../src/agents/tools/tool-registry.ts';
import { LlmClientPool } from '../../src/llm/client-pool.ts';
import type { LlmClient } from '../../src/llm/types.ts';
import { MemoManager, type HistoryBudget } from '../../src/state/memo-manager.ts';
import { MemorySessionStore } from '../../src/state/memory-store.ts';

/** The agents shipped with rtvoice (the insurance demo). */
export const PACKAGED_AGENTS_DIR = fileURLToPath(new URL('../../agents', import.meta.url));

/** The model name the LLM runner sends when an agent names none. */
export const TEST_MODEL = 'gpt-test';

/** A logger that writes nothing. */
export const silentLogger: Logger = pino({ level: 'silent' });

interface CommonOptions {
  /** The insurance demo tools by default. */
  readonly tools?: ToolRegistry;
  /** The packaged `agents/` directory by default. */
  readonly dir?: string;
  /** Silent by default. */
  readonly log?: Logger;
  /** 'flite' by default. */
  readonly ttsProvider?: string;
}

export type TestOrchestratorOptions =
  | (CommonOptions & {
      readonly engine: 'llm';
      readonly client: LlmClient;
      /** `TEST_MODEL` by default. */
      readonly defaultModel?: string;
      readonly maxRounds?: number;
    })
  | (CommonOptions & { readonly engine: 'flow' });

/** An orchestrator over the packaged agents (or `dir`), the way `createOrchestrator` builds one. */
export async function createTestOrchestrator(options: TestOrchestratorOptions): Promise<Orchestrator> {
  const tools = options.tools ?? new ToolRegistry(INSURANCE_TOOLS);
  const agents = await AgentSet.load(options.dir ?? PACKAGED_AGENTS_DIR, options.engine, tools);
  const runner: AgentRunner =
    options.engine === 'llm'
      ? new LlmRunner({
          clients: new LlmClientPool([options.client]),
          defaultModel: options.defaultModel ?? TEST_MODEL,
          ...(options.maxRounds !== undefined ? { maxRounds: options.maxRounds } : {}),
        })
      : new FlowRunner();
  return new Orchestrator({
    agents,
    tools,
    runner,
    log: options.log ?? silentLogger,
    ttsProvider: options.ttsProvider ?? 'flite',
  });
}

/** A new, empty session in an in-memory store. */
export async function newMemo(
  budget: HistoryBudget = { maxMessages: 200, maxChars: 200_000 },
  log: Logger = silentLogger,
): Promise<MemoManager> {
  return MemoManager.load(`test-${randomUUID()}`, new MemorySessionStore(600), { budget, log });
}

/** A turn's events, all of them (rejects when the turn fails). */
export async function collect(stream: AsyncIterable<AgentEvent>): Promise<AgentEvent[]> {
  const events: AgentEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

/** A turn's events up to its end or its failure, and the failure. */
export async function collectSettled(
  stream: AsyncIterable<AgentEvent>,
): Promise<{ events: AgentEvent[]; error: unknown }> {
  const events: AgentEvent[] = [];
  try {
    for await (const event of stream) events.push(event);
    return { events, error: undefined };
  } catch (error) {
    return { events, error };
  }
}

/** What the caller hears of a turn: the `text` events joined (what `recordHeard` counts in). */
export function spokenText(events: readonly AgentEvent[]): string {
  return events.map((event) => (event.type === 'text' ? event.text : '')).join('');
}

/** The events of one type, typed. */
export function eventsOf<T extends AgentEvent['type']>(
  events: readonly AgentEvent[],
  type: T,
): Extract<AgentEvent, { type: T }>[] {
  return events.filter((event): event is Extract<AgentEvent, { type: T }> => event.type === type);
}
