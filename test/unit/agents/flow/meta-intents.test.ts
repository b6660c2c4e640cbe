import { describe, expect, it } from 'vitest';
import { metaIntentOf } from '../../../../src/agents/flow/meta-intents.ts';

describe('meta intents: what a caller says about the conversation', () => {
  it.each([
    ['wait, stop, I have a question', 'wait'],
    ['um hold on', 'wait'],
    ['hang on a second let me check', 'wait'],
    ['stop', 'wait'],
    ['sorry, can you repeat that', 'repeat'],
    ['say that again please', 'repeat'],
    ['what was that', 'repeat'],
    ['pardon', 'repeat'],
    ["no that's wrong", 'correction'],
    ['go back', 'correction'],
    ["that's not what i said", 'correction'],
    ['i have a question', 'question'],
    ['can i ask something first', 'question'],
    ['what are your office hours', 'question'],
    ['how do i file a claim online', 'question'],
    ['do you cover flood damage', 'question'],
    ['is my car covered', 'question'],
  ])('"%s" is %s', (text, intent) => {
    expect(metaIntentOf(text)).toBe(intent);
  });

  it.each([
    'yes',
    'no',
    'my name is alice brown',
    'six oh six oh one',
    'when I was driving home',
    'the car did not stop',
    'a tree fell on my car while I was waiting at a light',
    'yesterday',
    'what happened was a tree fell on the car',
    'I want to report a claim',
    'no one',
  ])('"%s" is an answer', (text) => {
    expect(metaIntentOf(text)).toBeUndefined();
  });
});
