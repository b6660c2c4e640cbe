import { describe, expect, it } from 'vitest';
import { soundsUnfinished } from '../../../src/agents/turn-completion.ts';

const zip = { answer: 'digits', lengths: [4, 5] };

describe('soundsUnfinished', () => {
  it.each([
    ['my zip code is', undefined],
    ['my name is', undefined],
    ['it was me and', undefined],
    ['the car hit the', undefined],
    ['so um', undefined],
    ['six zero six', zip],
    ['my zip code is six oh', zip],
  ])('%j sounds unfinished', (text, expected) => {
    expect(soundsUnfinished(text, expected)).toBe(true);
  });

  it.each([
    ['six zero six zero one', zip],
    ['one two three four', zip],
    ["I don't know it", zip],
    ['Alice Brown', { answer: 'name' }],
    ['yes', { answer: 'yes_no' }],
    ['six zero six', { answer: 'text' }],
    ['a tree fell on my car', undefined],
    ['', undefined],
  ])('%j sounds finished', (text, expected) => {
    expect(soundsUnfinished(text, expected)).toBe(false);
  });
});
