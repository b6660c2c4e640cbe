import { z } from 'zod';
import { errorMessage } from '../../errors.ts';
import type { ToolSpec } from '../../llm/types.ts';
import type { Tool, ToolContext } from './tool.ts';

/** A tool's outcome as the model sees it: a result, or an error it can react to. */
export type ToolOutcome =
  { readonly ok: true; readonly result: unknown } | { readonly ok: false; readonly error: string };

/** The tools agents may name in their YAML. */
export class ToolRegistry {
  private readonly tools = new Map<string, Tool>();

  constructor(tools: readonly Tool[] = []) {
    for (const tool of tools) this.register(tool);
  }

  register(tool: Tool): void {
    if (!/^[a-zA-Z0-9_-]{1,64}$/.test(tool.name)) throw new Error(`invalid tool name "${tool.name}"`);
    if (this.tools.has(tool.name)) throw new Error(`tool "${tool.name}" is registered twice`);
    this.tools.set(tool.name, tool);
  }

  has(name: string): boolean {
    return this.tools.has(name);
  }

  get names(): readonly string[] {
    return [...this.tools.keys()];
  }

  /** The definition the LLM gets (Chat Completions nests it under `function`; the client does that). */
  spec(name: string): ToolSpec {
    const tool = this.require(name);
    const { $schema: _, ...parameters } = z.toJSONSchema(tool.parameters, { io: 'input' });
    return { name: tool.name, description: tool.description, parameters };
  }

  /**
   * Runs a tool with arguments as the model wrote them (JSON text) or as a flow built them. Bad JSON,
   * arguments that break the schema and exceptions all become an error outcome, never a throw: the
   * model gets a tool message either way, so no tool call is left without its answer.
   */
  async invoke(
    name: string,
    args: string | Record<string, unknown>,
    context: ToolContext,
  ): Promise<ToolOutcome> {
    const tool = this.tools.get(name);
    if (!tool) return { ok: false, error: `unknown tool "${name}"` };
    let raw: unknown = args;
    if (typeof args === 'string') {
      try {
        raw = args.trim() === '' ? {} : JSON.parse(args);
      } catch {
        return { ok: false, error: `arguments are not valid JSON: ${args.slice(0, 200)}` };
      }
    }
    const parsed = tool.parameters.safeParse(raw);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'arguments'}: ${i.message}`);
      return { ok: false, error: `invalid arguments: ${problems.join('; ')}` };
    }
    try {
      return { ok: true, result: (await tool.run(parsed.data, context)) ?? null };
    } catch (err) {
      if (context.signal.aborted) throw err;
      return { ok: false, error: errorMessage(err) };
    }
  }

  private require(name: string): Tool {
    const tool = this.tools.get(name);
    if (!tool) throw new Error(`unknown tool "${name}"`);
    return tool;
  }
}
