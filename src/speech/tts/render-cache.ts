import type { RenderedAudio } from './stream.ts';

/**
 * Recently rendered sentences (greetings, prompts, "Is there anything else?"), so a sentence agents say
 * again and again is synthesised once. Least recently used entries go first past `maxEntries`.
 */
export class RenderCache {
  private readonly entries = new Map<string, readonly RenderedAudio[]>();
  private readonly maxEntries: number;
  hits = 0;
  misses = 0;

  constructor(maxEntries = 256) {
    this.maxEntries = maxEntries;
  }

  /**
   * The audio of `key`: replayed when cached; otherwise `render()` is started now (a renderer starts work
   * when called) and its audio kept once it completes.
   */
  render(key: string, render: () => AsyncIterable<RenderedAudio>): AsyncIterable<RenderedAudio> {
    const hit = this.entries.get(key);
    if (hit) {
      this.hits += 1;
      this.entries.delete(key);
      this.entries.set(key, hit);
      return replay(hit);
    }
    this.misses += 1;
    return this.keep(key, render());
  }

  private async *keep(key: string, source: AsyncIterable<RenderedAudio>): AsyncGenerator<RenderedAudio> {
    const parts: RenderedAudio[] = [];
    for await (const part of source) {
      parts.push(part);
      yield part;
    }
    // Reached only when the sentence rendered to its end (an aborted one is not kept).
    this.entries.set(key, parts);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }
}

async function* replay(parts: readonly RenderedAudio[]): AsyncGenerator<RenderedAudio> {
  yield* parts;
}
