import { describe, expect, it } from 'vitest';
import { extractSlot } from '../../../../../src/agents/flow/extractors/index.ts';

const name = { type: 'name' } as const;

describe('name slot', () => {
  it.each([
    ['my name is alice brown', 'Alice Brown'],
    ["it's Alice Brown", 'Alice Brown'],
    ['its alice brown', 'Alice Brown'],
    ['this is alice brown speaking', 'Alice Brown'],
    ['alice brown', 'Alice Brown'],
    ['ALICE BROWN', 'Alice Brown'],
    ['My name is Alice Brown.', 'Alice Brown'],
    ['um my name is uh alice brown', 'Alice Brown'],
    ['yes hi this is alice brown', 'Alice Brown'],
    ['Hello, I’m Alice Brown', 'Alice Brown'],
    ['hi i am calling about my claim my name is alice brown', 'Alice Brown'],
    ['alice brown and i would like to file a claim', 'Alice Brown'],
    ['Alice Brown, thanks', 'Alice Brown'],
    ['alice brown here', 'Alice Brown'],
    ['you can call me al', 'Al'],
    ['alice', 'Alice'],
    ["sean o'brien", "Sean O'Brien"],
    ['mary-jane watson', 'Mary-Jane Watson'],
    ['Ronald McDonald', 'Ronald McDonald'],
    ['maria de la cruz', 'Maria De La Cruz'],
    ['J. R. Tolkien', 'J. R. Tolkien'],
    ['José Álvarez', 'José Álvarez'],
  ])('%j → %j', (input, value) => {
    expect(extractSlot(input, name)).toEqual({ ok: true, value, spoken: value });
  });

  it.each([
    ['', 'no name'],
    ['um', 'no name'],
    ['uh', 'no name'],
    ['yes', 'only filler'],
    ['hello', 'only filler'],
    ['60601', 'looks like a number'],
    ['six oh six oh one', 'looks like a number'],
    ["i don't know", 'no name'],
    ['no', 'no name'],
    ['what', 'no name'],
    ['anna maria louisa van brown', 'too many words'],
  ])('%j fails: %s', (input, reason) => {
    const result = extractSlot(input, name);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reason);
  });
});
