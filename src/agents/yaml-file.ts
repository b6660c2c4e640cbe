import { readFile } from 'node:fs/promises';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { RtvoiceError } from '../errors.ts';

/** A problem in an agents file, located as `file:line: problem` so an editor can jump to it. */
export class AgentConfigError extends RtvoiceError {
  constructor(message: string) {
    super('AGENT_CONFIG_INVALID', message);
  }
}

/** A parsed YAML file that can still say on which line a value was written. */
export class YamlFile {
  readonly path: string;
  private readonly document: Document;
  private readonly lines: LineCounter;

  private constructor(path: string, document: Document, lines: LineCounter) {
    this.path = path;
    this.document = document;
    this.lines = lines;
  }

  static async read(path: string): Promise<YamlFile> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      throw new AgentConfigError(
        `${path}: cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      );
    }
    return YamlFile.parse(path, text);
  }

  static parse(path: string, text: string): YamlFile {
    const lines = new LineCounter();
    const document = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    const error = document.errors[0];
    if (error) {
      const line = error.linePos?.[0].line ?? lines.linePos(error.pos[0]).line;
      throw new AgentConfigError(`${path}:${line}: ${error.message.split('\n')[0]}`);
    }
    return new YamlFile(path, document, lines);
  }

  /** The line a value (by its path in the document) starts on; the nearest existing parent's otherwise. */
  lineOf(path: readonly PropertyKey[]): number {
    for (let depth = path.length; depth >= 0; depth--) {
      const node: unknown = this.document.getIn(path.slice(0, depth), true);
      if (isNode(node) && node.range) return this.lines.linePos(node.range[0]).line;
    }
    return 1;
  }

  /** An error located at a path of this file. */
  error(path: readonly PropertyKey[], problem: string): AgentConfigError {
    return new AgentConfigError(`${this.path}:${this.lineOf(path)}: ${problem}`);
  }

  /** The content validated against a schema; the first problem is reported with its line. */
  validate<S extends z.ZodType>(schema: S): z.output<S> {
    const result = schema.safeParse(this.document.toJS());
    if (result.success) return result.data;
    const issue = result.error.issues[0]!;
    const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    // An unknown key is best shown on its own line, not on the line of the object holding it.
    const at = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path;
    throw this.error(at, `${where}${issue.message}`);
  }
}
