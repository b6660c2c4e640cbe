import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AgentSet, type AgentEngine } from '../../src/agents/agent-set.ts';
import { INSURANCE_TOOLS } from '../../src/agents/demo/insurance-tools.ts';
import { ToolRegistry } from '../../src/agents/tools/tool-registry.ts';
import { trattoriaTools } from '../../examples/trattoria/book-table.ts';
import { runPiped } from '../helpers/process.ts';

const TRATTORIA = fileURLToPath(new URL('../../examples/trattoria/', import.meta.url));
const PLAIN = `${TRATTORIA}agents`;
const WITH_TOOLS = `${TRATTORIA}agents-with-tools`;

/** Runs `examples/trattoria/chat.ts` as its README does, with one caller line per turn on a pipe. */
async function trattoriaChat(lines: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AGENT_ENGINE: 'flow',
    OPENAI_BASE_URL: '',
    AZURE_OPENAI_ENDPOINT: '',
    REDIS_URL: '',
  };
  delete env.AGENTS_DIR; // chat.ts then loads the agents next to it
  return runPiped([`${TRATTORIA}chat.ts`], lines, env);
}

describe('examples/trattoria: the agent sets load', () => {
  const engines: AgentEngine[] = ['flow', 'llm'];

  it.each(engines)('agents/ (built-in tools only) loads for the %s engine', async (engine) => {
    const agents = await AgentSet.load(PLAIN, engine, new ToolRegistry(INSURANCE_TOOLS));
    expect(agents.entry).toBe('FrontDesk');
    expect(agents.list().map((a) => a.name)).toEqual(['FrontDesk', 'Reservations']);
    expect(agents.get('Reservations')?.promptTemplate).toContain('You are Marco');
  });

  it.each(engines)('agents-with-tools/ loads with the example registry for the %s engine', async (engine) => {
    const agents = await AgentSet.load(WITH_TOOLS, engine, trattoriaTools);
    expect(agents.entry).toBe('FrontDesk');
    expect(agents.get('Reservations')?.tools).toEqual(['book_table', 'handoff_to_agent', 'end_call']);
    expect(Object.keys(agents.get('Reservations')?.flow?.states ?? {})).toContain('book');
  });

  it('agents-with-tools/ is refused with the built-in tools alone (what rtvoice chat has)', async () => {
    await expect(AgentSet.load(WITH_TOOLS, 'flow', new ToolRegistry(INSURANCE_TOOLS))).rejects.toThrow(
      /reservations\.yaml:8: unknown tool "book_table"/,
    );
  });
});

describe('examples/trattoria/chat.ts: a booking with the custom tool, offline', () => {
  it('refuses a past day, then books the table and reads back a confirmation number', async () => {
    const { code, stdout, stderr } = await trattoriaChat([
      '1', // the keypad-style answer to "book or hours", typed
      'four',
      'yesterday',
      'six',
      'Maria Rossi',
      '#3125550100',
      'yes',
      'tomorrow',
      'yes',
      'no',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('[handoff FrontDesk -> Reservations, voice rms]');
    expect(stdout).toMatch(/\[tool book_table failed: \d{4}-\d{2}-\d{2} is in the past\]/);
    expect(stdout).toContain('Reservations> That day has already passed.');
    // What is said before the tool runs is spoken before it.
    expect(stdout).toMatch(
      /Reservations> One moment\.\n {2}\[book_table: Checking the reservation book\]\n {2}\[book_table: Table booked\]\n {2}\[tool book_table ok\]\n/,
    );
    const spoken = /Reservations> Your confirmation number is (\d) (\d) (\d) (\d)\./.exec(stdout);
    expect(spoken).not.toBeNull();
    expect(stdout).toMatch(/Reservations> Arrivederci!\n/);
    const booking = /^booking: (.*)$/m.exec(stdout)?.[1];
    const now = new Date();
    const d = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1);
    const tomorrow = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
    expect(JSON.parse(booking ?? 'null')).toEqual({
      party: 4,
      day: tomorrow,
      time: 'six_pm',
      name: 'Maria Rossi',
      phone: '3125550100',
      code: spoken!.slice(1).join(''),
    });
  });
});
