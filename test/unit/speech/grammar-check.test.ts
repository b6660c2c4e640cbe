import { describe, expect, it } from 'vitest';
import { builtInGrammar } from '../../../src/speech/grammars.ts';
import { checkGrammarResult, grammarVocabulary } from '../../../src/speech/stt/grammar-check.ts';

// A few words' phones, as in the CMU dictionary.
const PHONES: Record<string, string[]> = {
  nine: ['N', 'AY', 'N'],
  four: ['F', 'AO', 'R'],
  for: ['F', 'AO', 'R'],
  one: ['W', 'AH', 'N'],
  zero: ['Z', 'IH', 'R', 'OW'],
  five: ['F', 'AY', 'V'],
  my: ['M', 'AY'],
  fear: ['F', 'IH', 'R'],
  of: ['AH', 'V'],
  time: ['T', 'AY', 'M'],
  what: ['W', 'AH', 'T'],
  are: ['AA', 'R'],
  your: ['Y', 'AO', 'R'],
  office: ['AO', 'F', 'AH', 'S'],
  hours: ['AW', 'ER', 'Z'],
  oh: ['OW'],
  the: ['DH', 'AH'],
  three: ['TH', 'R', 'IY'],
  two: ['T', 'UW'],
  eight: ['EY', 'T'],
};
const pronounce = (word: string) => PHONES[word] ?? [...word];
const sure = (text: string) => ({ text, confidence: 0.9 });
const digits = grammarVocabulary(builtInGrammar('digits')!);

describe('grammarVocabulary', () => {
  it('lists the words of the rule bodies, not rule names or operators', () => {
    expect([...digits]).toEqual(
      expect.arrayContaining(['zero', 'oh', 'nine', 'my', 'zip', 'code', 'is', "it's", 'last', 'four']),
    );
    expect(digits.has('digit')).toBe(false);
    expect(digits.has('public')).toBe(false);
    expect([...grammarVocabulary(builtInGrammar('yes_no')!)]).toEqual(
      expect.arrayContaining(['yes', 'nope', "that's", 'right', 'no', 'one']),
    );
  });
});

describe('checkGrammarResult', () => {
  it('keeps the grammar reading when the open model heard only grammar words', () => {
    expect(
      checkGrammarResult('nine four one zero five', sure('nine four one zero'), digits, pronounce),
    ).toEqual({
      inGrammar: true,
      agreement: 1,
    });
  });

  it('keeps it when the open model heard something that sounds alike', () => {
    const check = checkGrammarResult(
      'nine four one zero five',
      sure('nine for my fear of time'),
      digits,
      pronounce,
    );
    expect(check.inGrammar).toBe(true);
  });

  it('rejects it when the open model heard something else', () => {
    const check = checkGrammarResult(
      'five oh three four oh two zero eight',
      sure('what are your office hours'),
      digits,
      pronounce,
    );
    expect(check.inGrammar).toBe(false);
    expect(check.agreement).toBeLessThan(0.5);
  });

  it('rejects words the grammar did not pick up at all', () => {
    expect(checkGrammarResult('', sure('what are your office hours'), digits, pronounce).inGrammar).toBe(
      false,
    );
    expect(checkGrammarResult('', sure(''), digits, pronounce).inGrammar).toBe(true);
  });

  it('rejects a sentence the grammar has no phrase for, even when each word is one of its words', () => {
    expect(checkGrammarResult('', sure('one oh'), digits, pronounce).inGrammar).toBe(false);
  });

  it('keeps a short answer the open model missed entirely (a bare "No.")', () => {
    expect(checkGrammarResult('oh one', { text: '', confidence: 0 }, digits, pronounce).inGrammar).toBe(true);
  });

  it('keeps a half-alike reading the open model itself is unsure of ("the what" for "oh one")', () => {
    const unsure = { text: 'the what', confidence: 0.2 };
    expect(checkGrammarResult('oh one', unsure, digits, pronounce).inGrammar).toBe(true);
    expect(checkGrammarResult('oh one', { ...unsure, confidence: 0.9 }, digits, pronounce).inGrammar).toBe(
      false,
    );
  });
});
