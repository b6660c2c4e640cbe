import { describe, expect, it } from 'vitest';
import {
  speakDigits,
  speakNumber,
  wordsToDigits,
  wordsToNumber,
  wordsToOrdinal,
  wordsToYear,
} from '../../../../../src/agents/flow/extractors/spoken-numbers.ts';

describe('wordsToDigits', () => {
  it.each([
    ['six oh six oh one', '60601'],
    ['one two three four', '1234'],
    ['six zero six zero one', '60601'],
    ['nine nought two one oh', '90210'],
    ['double five one two', '5512'],
    ['triple seven', '777'],
    ['double oh seven', '007'],
    ['forty eight twenty one', '4821'],
    ['four thousand eight hundred twenty one', '4821'],
    ['one eight hundred five five five one two one two', '18005551212'],
    ['6 0 6 0 1', '60601'],
    ['60601', '60601'],
    ['60601#', '60601'],
    ['0042', '0042'],
    ['oh my zip is six oh six oh one', '60601'],
    ['my zip code is six oh six oh one', '60601'],
    ['(312) 555-0100', '3125550100'],
    ['no digits here', ''],
  ])('%j → %j', (input, expected) => {
    expect(wordsToDigits(input)).toBe(expected);
  });
});

describe('wordsToNumber', () => {
  it.each([
    ['twenty three', 23],
    ['two hundred and fifty', 250],
    ['three thousand five hundred', 3500],
    ['twenty five hundred', 2500],
    ['a thousand', 1000],
    ['a hundred and five', 105],
    ['one million two hundred thousand', 1_200_000],
    ['one point five', 1.5],
    ['1.5 million', 1_500_000],
    ['zero', 0],
    ['1,200', 1200],
    ['12', 12],
    ['fourty two', 42],
  ])('%j → %j', (input, expected) => {
    expect(wordsToNumber(input)).toBe(expected);
  });

  it.each([['no number'], ['one two'], ['nineteen ninety nine'], ['thousand thousand'], ['']])(
    '%j is not one number',
    (input) => {
      expect(wordsToNumber(input)).toBeUndefined();
    },
  );
});

describe('wordsToYear', () => {
  it.each([
    ['nineteen ninety nine', 1999],
    ['twenty twenty six', 2026],
    ['two thousand and five', 2005],
    ['two thousand twenty six', 2026],
    ['twenty oh five', 2005],
    ['nineteen hundred', 1900],
    ['in 2026', 2026],
  ])('%j → %j', (input, expected) => {
    expect(wordsToYear(input)).toBe(expected);
  });

  it.each([['twenty six'], ['ninety nine ninety'], ['26'], ['five']])('%j is not a year', (input) => {
    expect(wordsToYear(input)).toBeUndefined();
  });
});

describe('wordsToOrdinal', () => {
  it.each([
    ['third', 3],
    ['the twenty first', 21],
    ['thirty first', 31],
    ['twelfth', 12],
    ['twentieth', 20],
    ['3rd', 3],
    ['22nd', 22],
  ])('%j → %j', (input, expected) => {
    expect(wordsToOrdinal(input)).toBe(expected);
  });
});

describe('speakDigits', () => {
  it.each([
    ['CLM-4821', 'C L M, four eight two one'],
    ['60601', 'six zero six zero one'],
    ['ab12cd', 'A B, one two, C D'],
    ['', ''],
  ])('%j → %j', (code, expected) => {
    expect(speakDigits(code)).toBe(expected);
  });
});

describe('speakNumber', () => {
  it.each([
    [0, 'zero'],
    [7, 'seven'],
    [15, 'fifteen'],
    [40, 'forty'],
    [250, 'two hundred fifty'],
    [1200, 'one thousand two hundred'],
    [2026, 'two thousand twenty six'],
    [1_000_000, 'one million'],
    [3_000_517, 'three million five hundred seventeen'],
    [1.5, 'one point five'],
    [-3, 'minus three'],
  ])('%j → %j', (n, expected) => {
    expect(speakNumber(n)).toBe(expected);
  });

  it('round-trips through wordsToNumber', () => {
    for (const n of [1, 19, 99, 101, 250, 999, 1001, 12_345, 900_009, 7_654_321]) {
      expect(wordsToNumber(speakNumber(n))).toBe(n);
    }
  });
});
