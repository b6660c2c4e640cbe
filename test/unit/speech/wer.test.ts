import { describe, expect, it } from 'vitest';
import { normalizeWords, wordErrorRate, wordErrors } from '../../../src/speech/wer.ts';

describe('word error rate', () => {
  it('normalises case, punctuation and digits', () => {
    expect(normalizeWords('My ZIP is 90210, OK?')).toEqual([
      'my',
      'zip',
      'is',
      'nine',
      'zero',
      'two',
      'one',
      'zero',
      'ok',
    ]);
  });

  it('counts substitutions, insertions and deletions', () => {
    expect(wordErrors('the cat sat', 'the cat sat')).toEqual({ errors: 0, words: 3 });
    expect(wordErrors('the cat sat', 'the bat sat')).toEqual({ errors: 1, words: 3 });
    expect(wordErrors('the cat sat', 'the cat sat down')).toEqual({ errors: 1, words: 3 });
    expect(wordErrors('the cat sat', 'cat')).toEqual({ errors: 2, words: 3 });
    expect(wordErrors('', 'noise')).toEqual({ errors: 1, words: 0 });
  });

  it('pools errors over a set', () => {
    expect(
      wordErrorRate([
        ['a b c d', 'a b c d'],
        ['e f', 'e x'],
      ]),
    ).toBeCloseTo(1 / 6);
  });
});
