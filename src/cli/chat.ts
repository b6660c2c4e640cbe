import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { Registry } from 'prom-client';
import { createOrchestrator } from '../agents/create-orchestrator.ts';
import type { AgentEvent, UserInput } from '../agents/events.ts';
import type { Orchestrator } from '../agents/orchestrator.ts';
import { ConfigError, loadConfig } from '../config/config.ts';
import { errorMessage } from '../errors.ts';
import { SessionMemory } from '../state/session-memory.ts';
import type { MemoManager } from '../state/memo-manager.ts';
import { createLogger } from '../telemetry/logger.ts';

const USAGE = `Usage: rtvoice chat [--agent <name>] [--session <id>]

Talks to the agents by text, turn by turn, as a caller would by voice (same orchestrator, same agents,
the engine AGENT_ENGINE selects: the offline flow by default). On a terminal it is an interactive
prompt; otherwise it reads one line per turn from standard input, prints each reply, and exits at the
end of input, so it can be scripted:

  printf 'Alice Brown\\n60601\\n' | rtvoice chat

A line of only digits and * or # (e.g. "#60601") is sent as keypad (DTMF) input when it starts with #.
  --agent     start with this agent instead of the entry agent
  --session   session id (default: a new one)`;

export async function chat(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      agent: { type: 'string' },
      session: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let orchestrator: Orchestrator;
  let memo: MemoManager;
  try {
    const config = loadConfig();
    const log = createLogger({
      level: config.log.level === 'info' ? 'warn' : config.log.level,
      format: 'json',
      destination: pino.destination(2),
    });
    orchestrator = await createOrchestrator(config, log);
    memo = await new SessionMemory(config, undefined, new Registry(), log).load(
      values.session ?? `chat-${randomUUID()}`,
    );
  } catch (err) {
    process.stderr.write(`rtvoice chat: ${err instanceof ConfigError ? err.message : errorMessage(err)}\n`);
    return 2;
  }
  if (values.agent !== undefined) {
    if (!orchestrator.agents.get(values.agent)) {
      const names = orchestrator.agents
        .list()
        .map((a) => a.name)
        .join(', ');
      process.stderr.write(`rtvoice chat: no agent "${values.agent}"; agents: ${names}\n`);
      return 2;
    }
    memo.setContext('active_agent', values.agent);
  }

  const interactive = process.stdin.isTTY && process.stdout.isTTY;
  const lines = createInterface({ input: process.stdin, output: process.stdout, terminal: interactive });
  const prompt = () => {
    if (interactive) lines.prompt();
  };
  lines.setPrompt('you> ');
  let ended = await speak(orchestrator.start(memo, { signal: new AbortController().signal }));
  prompt();
  for await (const line of ended ? [] : lines) {
    const text = line.trim();
    if (!text) {
      prompt();
      continue;
    }
    if (!interactive) process.stdout.write(`you> ${text}\n`);
    const input: UserInput = /^#[\d*#]+$/.test(text)
      ? { kind: 'dtmf', digits: text.slice(1) }
      : { kind: 'text', text };
    try {
      ended = await speak(orchestrator.runTurn(memo, input, { signal: new AbortController().signal }));
    } catch (err) {
      // One failed turn (the LLM unreachable after its retries) is reported; the conversation goes on.
      process.stdout.write(`\n  [turn failed: ${errorMessage(err)}]\n`);
    }
    if (ended) break;
    prompt();
  }
  lines.close();
  orchestrator.release(memo);
  memo.dispose();
  return 0;
}

/** Prints one turn as it streams: the agent's words (a line per agent), tool frames and handoffs. */
async function speak(events: AsyncIterable<AgentEvent>): Promise<boolean> {
  let speaking: string | undefined;
  const endLine = () => {
    if (speaking !== undefined) process.stdout.write('\n');
    speaking = undefined;
  };
  for await (const event of events) {
    switch (event.type) {
      case 'text':
        if (speaking === event.agent) {
          process.stdout.write(event.text);
        } else {
          endLine();
          process.stdout.write(`${event.agent}> ${event.text.trimStart()}`);
          speaking = event.agent;
        }
        break;
      case 'tool_end':
        endLine();
        process.stdout.write(`  [tool ${event.tool} ${event.ok ? 'ok' : `failed: ${event.error}`}]\n`);
        break;
      case 'handoff':
        endLine();
        process.stdout.write(`  [handoff ${event.from} -> ${event.to}, voice ${event.voice.alias}]\n`);
        break;
      case 'end_call':
        endLine();
        process.stdout.write(`  [call ended: ${event.reason}]\n`);
        return true;
      default:
        break;
    }
  }
  endLine();
  return false;
}
