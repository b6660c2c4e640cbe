import { describe, expect, it } from 'vitest';
import { extractSlot, type SlotSpec } from '../../../../../src/agents/flow/extractors/index.ts';

describe('digits slot', () => {
  const zip: SlotSpec = { type: 'digits', lengths: [5] };
  const zipOrLastFour: SlotSpec = { type: 'digits', lengths: [4, 5] };

  it.each([
    ['my zip is six oh six oh one', zip, '60601'],
    ['my zip code is six oh six oh one', zip, '60601'],
    ['oh it is six oh six oh one', zip, '60601'],
    ['60601', zip, '60601'],
    ['60601#', zip, '60601'],
    ['*60601#', zip, '60601'],
    ['6 0 6 0 1', zip, '60601'],
    ['Six, oh, six, oh, one.', zip, '60601'],
    ['one two three four', zipOrLastFour, '1234'],
    ['forty eight twenty one', zipOrLastFour, '4821'],
    ['double five one two', zipOrLastFour, '5512'],
    ['zero zero four two', zipOrLastFour, '0042'],
    ['the last four are five six seven eight', zipOrLastFour, '5678'],
    ['last four of my social are four three two one', zipOrLastFour, '4321'],
    ['the last 4 are fifty six seventy eight', zipOrLastFour, '5678'],
    ['the number is eight hundred five five five one two one two', { type: 'digits' }, '8005551212'],
  ] as const)('%j → %j', (input, spec, value) => {
    expect(extractSlot(input, spec)).toMatchObject({ ok: true, value });
  });

  it('reads the digits back one by one', () => {
    expect(extractSlot('60601', zip)).toEqual({ ok: true, value: '60601', spoken: 'six zero six zero one' });
  });

  it.each([
    ['', zip, 'no digits'],
    ['i do not know', zip, 'no digits'],
    ['oh', zip, 'no digits'],
    ['six oh six', zip, 'heard 3 digits (606), expected 5'],
    ['six oh six oh one one', zip, 'heard 6 digits'],
    ['12345', { type: 'digits', lengths: [4] }, 'expected 4'],
  ] as const)('%j fails: %s', (input, spec, reason) => {
    const result = extractSlot(input, spec);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reason);
  });
});

describe('number slot', () => {
  const amount: SlotSpec = { type: 'number' };

  it.each([
    ['about twenty five hundred dollars', 2500],
    ['$1,200', 1200],
    ['$1,200.50', 1200.5],
    ['two hundred and fifty', 250],
    ['three thousand five hundred', 3500],
    ['it was like a thousand bucks', 1000],
    ['maybe 25k', 25_000],
    ['five grand', 5000],
    ['one point five million', 1_500_000],
    ['two', 2],
    ['zero', 0],
    ['twenty five hundred, yes, 2500', 2500],
    ['no one', 0],
    ['none', 0],
    ['point five', 0.5],
    ['minus five', -5],
    ['-5', -5],
  ])('%j → %j', (input, value) => {
    expect(extractSlot(input, amount)).toMatchObject({ ok: true, value });
  });

  it('says the amount back in words', () => {
    expect(extractSlot('2500', amount)).toEqual({
      ok: true,
      value: 2500,
      spoken: 'two thousand five hundred',
    });
  });

  it.each([
    ['', amount, 'no number'],
    ['i am not sure', amount, 'no number'],
    ['two or three thousand', amount, 'several numbers'],
    ['between 1000 and 2000', amount, 'several numbers'],
    ['twelve', { type: 'number', min: 18 }, 'below the minimum 18'],
    ['five hundred', { type: 'number', max: 100 }, 'above the maximum 100'],
  ] as const)('%j fails: %s', (input, spec, reason) => {
    const result = extractSlot(input, spec);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reason);
  });

  it('accepts the bounds themselves', () => {
    expect(extractSlot('one', { type: 'number', min: 1, max: 5 })).toMatchObject({ ok: true, value: 1 });
    expect(extractSlot('five', { type: 'number', min: 1, max: 5 })).toMatchObject({ ok: true, value: 5 });
  });
});
