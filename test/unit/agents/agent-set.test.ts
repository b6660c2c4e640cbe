import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentSet, type AgentEngine } from '../../../src/agents/agent-set.ts';
import { INSURANCE_TOOLS } from '../../../src/agents/demo/insurance-tools.ts';
import { ToolRegistry } from '../../../src/agents/tools/tool-registry.ts';

const tools = new ToolRegistry(INSURANCE_TOOLS);
const dirs: string[] = [];

/** A copy of the packaged agents with one file edited. */
function agentsWith(file: string, edit: (text: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), 'rtvoice-agents-'));
  dirs.push(dir);
  cpSync('agents', dir, { recursive: true });
  writeFileSync(join(dir, file), edit(readFileSync(join(dir, file), 'utf8')));
  return dir;
}

const load = (dir: string, engine: AgentEngine = 'flow') => AgentSet.load(dir, engine, tools);

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('AgentSet', () => {
  it('loads the packaged insurance demo for both engines', async () => {
    for (const engine of ['flow', 'llm'] as const) {
      const agents = await load('agents', engine);
      expect(agents.entry).toBe('AuthAgent');
      expect(agents.list().map((a) => a.name)).toEqual(['AuthAgent', 'ClaimsAgent', 'PolicyAgent']);
      expect(agents.get('ClaimsAgent')!.promptTemplate).toContain('claims specialist');
    }
  });

  it("reads each flow's grammars, built-in or from a file beside the YAML", async () => {
    const auth = (await load('agents')).get('AuthAgent')!;
    expect(auth.grammars['digits']).toContain('grammar digits;');
    expect(auth.grammars['grammars/policy-holders.jsgf']).toContain('alice brown');
    const dir = agentsWith('grammars/policy-holders.jsgf', () => 'alice brown');
    await expect(load(dir)).rejects.toThrow(
      /auth\.yaml:\d+: .*policy-holders\.jsgf is not a JSGF grammar: it needs a #JSGF header and a public rule/,
    );
  });

  it("reads each flow's phrase files beside the YAML, comments left out", async () => {
    const claims = (await load('agents')).get('ClaimsAgent')!;
    const phrases = claims.phraseFiles['phrases/loss-descriptions.txt']!;
    expect(phrases.length).toBeGreaterThan(30);
    expect(phrases.some((line) => line.startsWith('#') || !line.trim())).toBe(false);
    const dir = agentsWith('phrases/loss-descriptions.txt', () => '# nothing but a comment\n\n');
    await expect(load(dir)).rejects.toThrow(
      /(auth|claims)\.yaml:\d+: phrase file .*loss-descriptions\.txt has no phrases/,
    );
  });

  it.each([
    [
      'a YAML syntax error',
      'auth.yaml',
      (t: string) => t.replace('entry: true', 'entry: [true'),
      /auth\.yaml:\d+: /,
    ],
    [
      'an unknown tool',
      'claims.yaml',
      (t: string) => t.replace('tools: [record_fnol,', 'tools: [record_fnoll,'),
      /claims\.yaml:9: unknown tool "record_fnoll"; registered tools: authenticate_caller/,
    ],
    [
      'a bad handoff target',
      'policy.yaml',
      (t: string) => t.replace('handoffs: [ClaimsAgent]', 'handoffs: [ClaimAgent]'),
      /policy\.yaml:10: handoff target "ClaimAgent" is not an agent; agents: AuthAgent, ClaimsAgent, PolicyAgent/,
    ],
    [
      'a missing prompt template',
      'auth.yaml',
      (t: string) => t.replace('prompts/auth.liquid', 'prompts/missing.liquid'),
      /auth\.yaml:9: prompt template .*missing\.liquid cannot be read/,
    ],
    [
      'a template that does not parse',
      'claims.yaml',
      (t: string) => t.replace('When did it happen?', 'When did {{ it happen?'),
      /claims\.yaml:\d+: .*not closed/,
    ],
    [
      'a filter that does not exist',
      'auth.yaml',
      (t: string) => t.replace('Hi there from XYZ Insurance!', 'Hi {{ caller.name | shout }}'),
      /auth\.yaml:6: undefined filter: shout/,
    ],
    [
      'a flow going to a state that does not exist',
      'policy.yaml',
      (t: string) => t.replace('next: lookup', 'next: look_up'),
      /policy\.yaml:\d+: no state "look_up" in this flow; states: ask_question, lookup/,
    ],
    [
      'a flow tool the agent does not list',
      'policy.yaml',
      (t: string) => t.replace('tool: find_information_for_policy', 'tool: record_fnol'),
      /policy\.yaml:\d+: tool "record_fnol" is not among this agent's tools/,
    ],
    [
      'an unknown grammar',
      'auth.yaml',
      (t: string) => t.replace('grammar: digits', 'grammar: zip_codes'),
      /auth\.yaml:\d+: unknown grammar "zip_codes": name a built-in one \(digits, yes_no\) or a \.jsgf file/,
    ],
    [
      'a grammar file that is missing',
      'auth.yaml',
      (t: string) => t.replace('grammars/policy-holders.jsgf', 'grammars/missing.jsgf'),
      /auth\.yaml:\d+: grammar file .*missing\.jsgf cannot be read/,
    ],
    [
      'a phrase file that is missing',
      'claims.yaml',
      (t: string) => t.replace('phrases/loss-descriptions.txt', 'phrases/missing.txt'),
      /claims\.yaml:\d+: phrase file .*missing\.txt cannot be read/,
    ],
    [
      'an unknown voice',
      'auth.yaml',
      (t: string) => t.replace('voice: support_contact_center', 'voice: pirate'),
      /auth\.yaml:5: unknown voice "pirate"; defined voices: support_contact_center/,
    ],
    [
      'an unknown key',
      'auth.yaml',
      (t: string) => t.replace('entry: true', 'entry: true\ntemprature: 3'),
      /auth\.yaml:5: Unrecognized key: "temprature"/,
    ],
    [
      'a wrong type',
      'claims.yaml',
      (t: string) => t.replace('temperature: 0.6', 'temperature: hot'),
      /claims\.yaml:7: model\.temperature: /,
    ],
  ])('refuses %s, naming file, line and problem', async (_what, file, edit, message) => {
    await expect(load(agentsWith(file, edit))).rejects.toThrow(message);
  });

  it('needs exactly one entry agent', async () => {
    const dir = agentsWith('claims.yaml', (t) =>
      t.replace('name: ClaimsAgent', 'name: ClaimsAgent\nentry: true'),
    );
    await expect(load(dir)).rejects.toThrow(
      /exactly one agent needs "entry: true"; found AuthAgent, ClaimsAgent/,
    );
  });

  it('needs the part of each agent the engine runs', async () => {
    const noFlow = agentsWith('policy.yaml', (t) => t.slice(0, t.indexOf('flow:')));
    await expect(load(noFlow, 'flow')).rejects.toThrow(/policy\.yaml:2: agent "PolicyAgent" has no flow/);
    await expect(load(noFlow, 'llm')).resolves.toBeInstanceOf(AgentSet);
    const noPrompt = agentsWith('policy.yaml', (t) => t.replace(/^prompt: .*$/m, ''));
    await expect(load(noPrompt, 'llm')).rejects.toThrow(/agent "PolicyAgent" has no prompt/);
  });

  it('changes an agent at runtime, checking the voice', async () => {
    const agents = await load('agents');
    const updated = agents.update('ClaimsAgent', { model: { temperature: 0.2 }, voice: 'policy_specialist' });
    expect(updated!.model).toEqual({ temperature: 0.2, max_tokens: 400 });
    expect(agents.get('ClaimsAgent')!.voice).toBe('policy_specialist');
    expect(() => agents.update('ClaimsAgent', { voice: 'pirate' })).toThrow(/unknown voice "pirate"/);
    expect(agents.update('Nobody', {})).toBeUndefined();
  });
});
