import { describe, expect, it } from 'vitest';
import { extractSlot, type SlotSpec } from '../../../../../src/agents/flow/extractors/index.ts';
import { stem } from '../../../../../src/agents/flow/extractors/choice.ts';

const reason: SlotSpec = {
  type: 'choice',
  options: {
    claim: ['claim', 'accident', 'crash', 'damage', 'car accident'],
    general: ['question', 'policy', 'coverage'],
    billing_issue: ['bill', 'payment', 'charged twice'],
  },
};

describe('choice slot', () => {
  it.each([
    ['i want to file a claim', 'claim'],
    ['I was in an ACCIDENT!', 'claim'],
    ['someone crashed into my car', 'claim'],
    ['my car got damaged', 'claim'],
    ['i have questions about my policies', 'general'],
    ['what does my coverage include', 'general'],
    ['general', 'general'],
    ['i was charged twice', 'billing_issue'],
    ['a billing issue', 'billing_issue'],
    ['my payments', 'billing_issue'],
    ['i have a question about a claim', 'general'],
    ['a claim, and also a question', 'claim'],
    ['not a claim just a question', 'general'],
    ["i don't want to file a claim i have a question", 'general'],
    ['no car accident just a question', 'general'],
    ["no it's a claim", 'claim'],
  ])('%j → %s', (input, value) => {
    expect(extractSlot(input, reason)).toMatchObject({ ok: true, value });
  });

  it('reads the option name back without underscores', () => {
    expect(extractSlot('payment', reason)).toEqual({
      ok: true,
      value: 'billing_issue',
      spoken: 'billing issue',
    });
  });

  it.each([
    ['', reason, 'no option'],
    ['hello', reason, 'no option'],
    ['claimant', reason, 'no option'],
    ['not a claim', reason, 'only negated options heard (claim)'],
    ['claim', { type: 'choice' }, 'no options'],
    ['claim', { type: 'choice', options: {} }, 'no options'],
  ] as const)('%j fails: %s', (input, spec, expected) => {
    const result = extractSlot(input, spec);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(expected);
  });

  it.each([
    ['claims', 'claim'],
    ['policies', 'policy'],
    ['crashes', 'crash'],
    ['crashed', 'crash'],
    ['damaged', stem('damage')],
    ['stopped', 'stop'],
    ['towing', 'tow'],
    ['speeding', stem('speed')],
    ['glass', 'glass'],
  ])('stems %j like %j', (word, expected) => {
    expect(stem(word)).toBe(expected);
  });
});

describe('text slot', () => {
  const text = { type: 'text' } as const;

  it.each([
    ['the car was hit from behind', 'the car was hit from behind'],
    ['Um, the car was hit.', 'the car was hit'],
    ['It happened in a parking lot.', 'It happened in a parking lot'],
    ['uh the other driver ran a red light um', 'the other driver ran a red light'],
    ['  lots   of   space  ', 'lots of space'],
    ['ok', 'ok'],
  ])('%j → %j', (input, value) => {
    expect(extractSlot(input, text)).toEqual({ ok: true, value, spoken: value });
  });

  it.each([[''], ['   '], ['um'], ['uh, um.'], ['a'], ['?!']])('%j fails', (input) => {
    const result = extractSlot(input, text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain('no text');
  });
});

describe('extractSlot', () => {
  it('fails on a slot type it does not know (specs may come from YAML)', () => {
    const spec = { type: 'colour' } as unknown as SlotSpec;
    expect(extractSlot('blue', spec)).toEqual({ ok: false, reason: 'unknown slot type "colour"' });
  });
});
