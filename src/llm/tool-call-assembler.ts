import type { ToolCall } from './types.ts';

/** One `delta.tool_calls[]` entry as compatible servers really send it: every field may be missing. */
export interface ToolCallFragment {
  index?: number | null;
  id?: string | null;
  type?: string | null;
  function?: { name?: string | null; arguments?: string | null } | null;
}

interface PartialCall {
  id: string;
  /** The id was made up here; a real one arriving later replaces it instead of starting a new call. */
  synthesizedId: boolean;
  name: string;
  arguments: string;
}

/**
 * Joins streamed tool-call fragments into whole calls, following the client rule of PROTOCOLS.md §7.4:
 * calls are keyed on `index`; a fragment with a new `id` starts a new call even when its index repeats
 * (Ollama gives index 0 to every parallel call); a call without an id gets `call_<n>`; arguments may
 * come whole in one fragment; a fragment without an index continues the latest call. Beyond the rule, a
 * fragment without an id that names a function after the current call's arguments are complete JSON
 * starts a new call, which separates parallel calls from servers that send neither ids nor distinct
 * indexes.
 */
export class ToolCallAssembler {
  private readonly calls: PartialCall[] = [];
  /** index → position in `calls` of the latest call with that index. */
  private readonly byIndex = new Map<number, number>();
  private latest: number | undefined;

  add(fragment: ToolCallFragment): void {
    const index = typeof fragment.index === 'number' ? fragment.index : undefined;
    const id = fragment.id || undefined;
    const name = fragment.function?.name || undefined;
    const position = index === undefined ? this.latest : this.byIndex.get(index);
    const current = position === undefined ? undefined : this.calls[position];

    let target: number;
    if (current === undefined || this.startsNewCall(current, fragment)) {
      target = this.calls.length;
      this.calls.push({
        id: id ?? `call_${target}`,
        synthesizedId: id === undefined,
        name: '',
        arguments: '',
      });
    } else {
      target = position!;
      if (id !== undefined && current.synthesizedId) {
        current.id = id;
        current.synthesizedId = false;
      }
    }
    const call = this.calls[target]!;
    if (name !== undefined) call.name = name;
    call.arguments += fragment.function?.arguments ?? '';
    if (index !== undefined) this.byIndex.set(index, target);
    this.latest = target;
  }

  addAll(fragments: readonly ToolCallFragment[]): void {
    for (const fragment of fragments) this.add(fragment);
  }

  get size(): number {
    return this.calls.length;
  }

  /** The calls in the order they started; fragments that carried neither a name nor arguments are dropped. */
  result(): ToolCall[] {
    return this.calls
      .filter((call) => call.name !== '' || call.arguments !== '')
      .map(({ id, name, arguments: args }) => ({ id, name, arguments: args }));
  }

  private startsNewCall(current: PartialCall, fragment: ToolCallFragment): boolean {
    const id = fragment.id || undefined;
    if (id !== undefined) return id !== current.id && !current.synthesizedId;
    // No id: a name after a finished call is the next call (Ollama, same index, whole arguments); a name
    // repeated on a continuation fragment, or on an empty closing fragment, is not.
    const name = fragment.function?.name || undefined;
    if (name === undefined || current.name === '' || !isCompleteJson(current.arguments)) return false;
    return name !== current.name || Boolean(fragment.function?.arguments);
  }
}

/** Assembles a whole response's fragments at once. */
export function assembleToolCalls(fragments: readonly ToolCallFragment[]): ToolCall[] {
  const assembler = new ToolCallAssembler();
  assembler.addAll(fragments);
  return assembler.result();
}

function isCompleteJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
