import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { errorMessage } from '../errors.ts';
import { BUILT_IN_GRAMMARS, builtInGrammar } from '../speech/grammars.ts';
import { AgentFile, type AgentDefinition, type AgentOverrides } from './agent-definition.ts';
import { checkFlow } from './flow/check-flow.ts';
import { checkTemplate } from './templates.ts';
import type { ToolRegistry } from './tools/tool-registry.ts';
import { VoiceConfiguration, VoicesFile } from './voices.ts';
import { AgentConfigError, YamlFile } from './yaml-file.ts';

/** Which engine answers: the LLM with each agent's prompt and tools, or each agent's offline flow. */
export type AgentEngine = 'llm' | 'flow';

const VOICES_FILE = 'voices.yaml';

/**
 * The agents of a deployment (`agents/*.yaml` plus `voices.yaml`), checked together at start-up: every
 * tool exists, every handoff target exists, every template parses, the engine's part (prompt or flow)
 * is present. A mistake stops the start with `file:line: problem`.
 */
export class AgentSet {
  readonly engine: AgentEngine;
  readonly voices: VoiceConfiguration;
  readonly entry: string;
  private readonly agents: Map<string, AgentDefinition>;

  private constructor(engine: AgentEngine, voices: VoiceConfiguration, agents: Map<string, AgentDefinition>) {
    this.engine = engine;
    this.voices = voices;
    this.agents = agents;
    this.entry = [...agents.values()].find((agent) => agent.entry)!.name;
  }

  static async load(directory: string, engine: AgentEngine, tools: ToolRegistry): Promise<AgentSet> {
    const dir = resolve(directory);
    let names: string[];
    try {
      names = (await readdir(dir)).filter((name) => /\.ya?ml$/.test(name)).sort();
    } catch (err) {
      throw new AgentConfigError(`cannot read the agents directory ${dir}: ${errorMessage(err)}`);
    }
    if (!names.includes(VOICES_FILE)) throw new AgentConfigError(`${join(dir, VOICES_FILE)}: missing`);
    const voices = new VoiceConfiguration((await YamlFile.read(join(dir, VOICES_FILE))).validate(VoicesFile));

    const agents = new Map<string, AgentDefinition>();
    const files = new Map<string, YamlFile>();
    for (const name of names.filter((n) => n !== VOICES_FILE)) {
      const file = await YamlFile.read(join(dir, name));
      const agent = await readAgent(file, engine);
      if (agents.has(agent.name)) {
        throw file.error(
          ['name'],
          `agent "${agent.name}" is also defined in ${agents.get(agent.name)!.file}`,
        );
      }
      agents.set(agent.name, agent);
      files.set(agent.name, file);
    }
    for (const agent of agents.values())
      checkAgent(agent, files.get(agent.name)!, agents, tools, voices, engine);

    const entries = [...agents.values()].filter((agent) => agent.entry);
    if (entries.length !== 1) {
      throw new AgentConfigError(
        `${dir}: exactly one agent needs "entry: true"; found ${entries.length === 0 ? 'none' : entries.map((a) => a.name).join(', ')}`,
      );
    }
    return new AgentSet(engine, voices, agents);
  }

  get(name: string): AgentDefinition | undefined {
    return this.agents.get(name);
  }

  list(): readonly AgentDefinition[] {
    return [...this.agents.values()];
  }

  /** Changes an agent's model settings or voice for calls from now on. */
  update(name: string, overrides: AgentOverrides): AgentDefinition | undefined {
    const agent = this.agents.get(name);
    if (!agent) return undefined;
    if (overrides.voice !== undefined) this.voices.check(overrides.voice);
    const updated: AgentDefinition = {
      ...agent,
      model: { ...agent.model, ...overrides.model },
      ...(overrides.voice !== undefined ? { voice: overrides.voice } : {}),
    };
    this.agents.set(name, updated);
    return updated;
  }
}

async function readAgent(file: YamlFile, engine: AgentEngine): Promise<AgentDefinition> {
  const content = file.validate(AgentFile);
  let promptTemplate: string | undefined;
  if (content.prompt !== undefined) {
    const path = resolve(dirname(file.path), content.prompt);
    try {
      promptTemplate = await readFile(path, 'utf8');
    } catch {
      throw file.error(['prompt'], `prompt template ${path} cannot be read`);
    }
    try {
      checkTemplate(promptTemplate);
    } catch (err) {
      throw new AgentConfigError(`${path}: ${errorMessage(err)}`);
    }
  }
  if (engine === 'llm' && promptTemplate === undefined) {
    throw file.error([], `agent "${content.name}" has no prompt, which the LLM engine needs`);
  }
  if (engine === 'flow' && content.flow === undefined) {
    throw file.error(
      [],
      `agent "${content.name}" has no flow, which the offline engine needs (or configure an LLM)`,
    );
  }
  const grammars = engine === 'flow' ? await readGrammars(file, content) : {};
  const phraseFiles = engine === 'flow' ? await readPhraseFiles(file, content) : {};
  return { ...content, file: file.path, promptTemplate, grammars, phraseFiles };
}

/** The phrase files a flow's questions name, beside the YAML file: one phrase per line, `#` comments. */
async function readPhraseFiles(
  file: YamlFile,
  content: AgentFile,
): Promise<Record<string, readonly string[]>> {
  const files: Record<string, readonly string[]> = {};
  for (const [state, { ask }] of Object.entries(content.flow?.states ?? {})) {
    for (const [i, entry] of (ask?.phrases ?? []).entries()) {
      if (!entry.endsWith('.txt') || entry in files) continue;
      const path = resolve(dirname(file.path), entry);
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch {
        throw file.error(
          ['flow', 'states', state, 'ask', 'phrases', i],
          `phrase file ${path} cannot be read`,
        );
      }
      const phrases = text
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line && !line.startsWith('#'));
      if (phrases.length === 0)
        throw file.error(
          ['flow', 'states', state, 'ask', 'phrases', i],
          `phrase file ${path} has no phrases`,
        );
      files[entry] = phrases;
    }
  }
  return files;
}

/** The grammars a flow's questions name: built-in ones, or JSGF files beside the YAML file. */
async function readGrammars(file: YamlFile, content: AgentFile): Promise<Record<string, string>> {
  const grammars: Record<string, string> = {};
  for (const [state, { ask }] of Object.entries(content.flow?.states ?? {})) {
    const name = ask?.grammar;
    if (name === undefined || name in grammars) continue;
    const at = ['flow', 'states', state, 'ask', 'grammar'];
    const builtIn = builtInGrammar(name);
    if (builtIn !== undefined) {
      grammars[name] = builtIn;
      continue;
    }
    if (!name.endsWith('.jsgf'))
      throw file.error(
        at,
        `unknown grammar "${name}": name a built-in one (${BUILT_IN_GRAMMARS.join(', ')}) or a .jsgf file`,
      );
    const path = resolve(dirname(file.path), name);
    let jsgf: string;
    try {
      jsgf = await readFile(path, 'utf8');
    } catch {
      throw file.error(at, `grammar file ${path} cannot be read`);
    }
    if (!/^\s*#JSGF\b/.test(jsgf) || !/\bpublic\s+<[^>]+>\s*=/.test(jsgf))
      throw file.error(at, `${path} is not a JSGF grammar: it needs a #JSGF header and a public rule`);
    grammars[name] = jsgf;
  }
  return grammars;
}

function checkAgent(
  agent: AgentDefinition,
  file: YamlFile,
  agents: ReadonlyMap<string, AgentDefinition>,
  tools: ToolRegistry,
  voices: VoiceConfiguration,
  engine: AgentEngine,
): void {
  agent.tools.forEach((tool, i) => {
    if (!tools.has(tool)) {
      throw file.error(['tools', i], `unknown tool "${tool}"; registered tools: ${tools.names.join(', ')}`);
    }
  });
  agent.handoffs.forEach((target, i) => {
    if (!agents.has(target)) {
      throw file.error(
        ['handoffs', i],
        `handoff target "${target}" is not an agent; agents: ${[...agents.keys()].join(', ')}`,
      );
    }
  });
  for (const key of ['greeting', 'return_greeting'] as const) {
    const template = agent[key];
    if (template === undefined) continue;
    try {
      checkTemplate(template);
    } catch (err) {
      throw file.error([key], errorMessage(err));
    }
  }
  if (agent.voice !== undefined) {
    try {
      voices.check(agent.voice);
    } catch (err) {
      throw file.error(['voice'], errorMessage(err));
    }
  }
  if (engine === 'flow' && agent.flow) checkFlow(agent, agent.flow, file);
}
