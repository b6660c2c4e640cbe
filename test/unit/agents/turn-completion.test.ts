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
    ['how much', undefined],
    ['when does', undefined],
    ['let me think', { answer: 'date' }],
    ['hold on', zip],
    ['my name is alice', { answer: 'name' }],
    ['Carol', { answer: 'name' }],
    ['a tree fell', { answer: 'text' }],
    ['is a rental car', { answer: 'text' }],
  ])('%j sounds unfinished', (text, expected) => {
    expect(soundsUnfinished(text, expected)).toBe(true);
  });

  it.each([
    ['six zero six zero one', zip],
    ['one two three four', zip],
    ["I don't know it", zip],
    ['Alice Brown', { answer: 'name' }],
    ['yes', { answer: 'yes_no' }],
    ['six zero six', { answer: 'yes_no' }],
    ['a tree fell on my car', { answer: 'text' }],
    ['no thanks', { answer: 'text' }],
    ['say that again', { answer: 'text' }],
    ['I want to file a claim', { answer: 'name' }],
    ['a tree fell', { answer: 'date' }],
    ['a tree fell on my car', undefined],
    ['', undefined],
  ])('%j sounds finished', (text, expected) => {
    expect(soundsUnfinished(text, expected)).toBe(false);
  });
});
