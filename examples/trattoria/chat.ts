// A minimal `rtvoice chat` with our own tools: one caller line per turn from standard input.
// Run from the rtvoice checkout: npm exec -- node examples/trattoria/chat.ts
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import pino from 'pino';
import { createOrchestrator } from '../../src/agents/create-orchestrator.ts';
import type { AgentEvent, UserInput } from '../../src/agents/events.ts';
import { loadConfig } from '../../src/config/config.ts';
import { errorMessage } from '../../src/errors.ts';
import { MemoManager } from '../../src/state/memo-manager.ts';
import { MemorySessionStore } from '../../src/state/memory-store.ts';
import { createLogger } from '../../src/telemetry/logger.ts';
import { trattoriaTools } from './book-table.ts';

// The agents next to this file, unless AGENTS_DIR names others.
const agentsDir = fileURLToPath(new URL('agents-with-tools', import.meta.url));
const config = loadConfig({ env: { ...process.env, AGENTS_DIR: process.env.AGENTS_DIR || agentsDir } });
const log = createLogger({ level: 'warn', format: 'json', destination: pino.destination(2) });
const orchestrator = await createOrchestrator(config, log, trattoriaTools);
const memo = await MemoManager.load('trattoria-demo', new MemorySessionStore(3600), {
  budget: config.sessions.history,
  log,
});

/** Prints a turn as a voice pipeline would speak it: a line per sentence. True once the call has ended. */
async function play(turn: AsyncIterable<AgentEvent>): Promise<boolean> {
  for await (const event of turn) {
    if (event.type === 'sentence') console.log(`${event.agent}> ${event.text}`);
    else if (event.type === 'tool_progress') console.log(`  [${event.tool}: ${event.message}]`);
    else if (event.type === 'tool_end')
      console.log(`  [tool ${event.tool} ${event.ok ? 'ok' : `failed: ${event.error}`}]`);
    else if (event.type === 'handoff')
      console.log(`  [handoff ${event.from} -> ${event.to}, voice ${event.voice.voice}]`);
    else if (event.type === 'end_call') return true;
  }
  return false;
}

const signal = new AbortController().signal;
let ended = await play(orchestrator.start(memo, { signal }));
for await (const line of ended ? [] : createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  console.log(`you> ${line}`);
  const input: UserInput = /^#[\d*#]+$/.test(line)
    ? { kind: 'dtmf', digits: line.slice(1) }
    : { kind: 'text', text: line };
  try {
    ended = await play(orchestrator.runTurn(memo, input, { signal }));
  } catch (err) {
    console.log(`  [turn failed: ${errorMessage(err)}]`); // e.g. the LLM unreachable; the call goes on
  }
  if (ended) break;
}
orchestrator.release(memo);
memo.dispose();
console.log('booking:', JSON.stringify(memo.getContext('booking')));
