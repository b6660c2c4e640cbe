import { describe, expect, it } from 'vitest';
import { RenderCache } from '../../../src/speech/tts/render-cache.ts';
import type { RenderedAudio } from '../../../src/speech/tts/stream.ts';

const audio = (n: number): RenderedAudio => ({ samples: new Int16Array([n]), sampleRate: 16000 });

async function* render(parts: number[], counter: { calls: number }): AsyncGenerator<RenderedAudio> {
  counter.calls += 1;
  for (const n of parts) yield audio(n);
}

async function all(source: AsyncIterable<RenderedAudio>, limit = Infinity): Promise<number[]> {
  const out: number[] = [];
  for await (const part of source) {
    out.push(part.samples[0]!);
    if (out.length >= limit) break;
  }
  return out;
}

describe('RenderCache', () => {
  it('renders a sentence once and replays it after', async () => {
    const cache = new RenderCache();
    const counter = { calls: 0 };
    expect(await all(cache.render('slt|1|Hello.', () => render([1, 2], counter)))).toEqual([1, 2]);
    expect(await all(cache.render('slt|1|Hello.', () => render([9], counter)))).toEqual([1, 2]);
    expect(counter.calls).toBe(1);
    expect([cache.hits, cache.misses]).toEqual([1, 1]);
  });

  it('does not keep a sentence whose rendering was abandoned', async () => {
    const cache = new RenderCache();
    const counter = { calls: 0 };
    expect(
      await all(
        cache.render('k', () => render([1, 2, 3], counter)),
        1,
      ),
    ).toEqual([1]);
    expect(await all(cache.render('k', () => render([1, 2, 3], counter)))).toEqual([1, 2, 3]);
    expect(counter.calls).toBe(2);
  });

  it('forgets the least recently used sentence past its size', async () => {
    const cache = new RenderCache(2);
    const counter = { calls: 0 };
    for (const key of ['a', 'b', 'a', 'c']) await all(cache.render(key, () => render([1], counter)));
    expect(counter.calls).toBe(3); // a, b, c; the second a was a hit
    await all(cache.render('b', () => render([1], counter))); // b was the least recently used: gone
    expect(counter.calls).toBe(4);
  });
});
