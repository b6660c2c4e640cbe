import { describe, expect, it } from 'vitest';
import { extractSlot } from '../../../../../src/agents/flow/extractors/index.ts';

// Wednesday, March 18, 2026, noon local time: dates are calendar dates in the server's zone.
const NOW = new Date(2026, 2, 18, 12);
const date = { type: 'date' } as const;

describe('date slot', () => {
  it.each([
    ['today', '2026-03-18'],
    ['it happened this morning', '2026-03-18'],
    ['yesterday', '2026-03-17'],
    ['Yesterday.', '2026-03-17'],
    ['last night', '2026-03-17'],
    ['the day before yesterday', '2026-03-16'],
    ['two days ago', '2026-03-16'],
    ['a week ago', '2026-03-11'],
    ['3 weeks ago', '2026-02-25'],
    ['a month ago', '2026-02-18'],
    ['monday', '2026-03-16'],
    ['on monday', '2026-03-16'],
    ['last monday', '2026-03-16'],
    ['this past friday', '2026-03-13'],
    ['wednesday', '2026-03-18'],
    ['last wednesday', '2026-03-11'],
    ['thursday', '2026-03-12'],
    ['on march third', '2026-03-03'],
    ['march 3rd 2026', '2026-03-03'],
    ['March 3, 2026', '2026-03-03'],
    ['march the third', '2026-03-03'],
    ['march third twenty twenty six', '2026-03-03'],
    ['march three', '2026-03-03'],
    ['mar 18', '2026-03-18'],
    ['the fifth of june', '2025-06-05'],
    ['5 june 2025', '2025-06-05'],
    ['the 5th of June, 2025', '2025-06-05'],
    ['june twenty first nineteen ninety nine', '1999-06-21'],
    ['december thirty first two thousand and five', '2005-12-31'],
    ['december 31st', '2025-12-31'],
    ['it was on the twentieth', '2026-02-20'],
    ['the second of this month', '2026-03-02'],
    ['february twenty ninth', '2024-02-29'],
    ['3/14/2026', '2026-03-14'],
    ['3/14', '2026-03-14'],
    ['12/25/25', '2025-12-25'],
    ['1/2/99', '1999-01-02'],
    ['2026-03-14', '2026-03-14'],
    ['um i think it was yesterday', '2026-03-17'],
    ['yesterday, march 17', '2026-03-17'],
    ['two thousand twenty six march third', '2026-03-03'],
    ['next monday', '2026-03-23'],
    ['tomorrow', '2026-03-19'],
    ['march 19', '2025-03-19'],
  ])('%j → %s', (input, value) => {
    expect(extractSlot(input, date, NOW)).toMatchObject({ ok: true, value });
  });

  it('reads the date back in full', () => {
    expect(extractSlot('on march third', date, NOW)).toEqual({
      ok: true,
      value: '2026-03-03',
      spoken: 'March 3, 2026',
    });
  });

  it('defaults to the current date', () => {
    const result = extractSlot('today', date);
    expect(result.ok && result.value).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('counts months across the end of a year and clamps to short months', () => {
    expect(extractSlot('three months ago', date, new Date(2026, 0, 31))).toMatchObject({
      value: '2025-10-31',
    });
    expect(extractSlot('a month ago', date, new Date(2026, 2, 31))).toMatchObject({ value: '2026-02-28' });
    expect(extractSlot('yesterday', date, new Date(2026, 0, 1))).toMatchObject({ value: '2025-12-31' });
  });

  it.each([
    ['', 'no date'],
    ['i am not sure', 'no date'],
    ['it may have happened', 'no date'],
    ['last week', 'too vague'],
    ['a few days ago', 'too vague'],
    ['in march', 'month but no day'],
    ['march twenty twenty six', 'has no day'],
    ['march 2026', 'has no day'],
    ['february thirtieth', 'February has no day 30'],
    ['2/30/2026', 'not a calendar date'],
    ['13/01/2026', 'no month 13'],
    ['yesterday or maybe monday', 'several dates'],
  ])('%j fails: %s', (input, reason) => {
    const result = extractSlot(input, date, NOW);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reason);
  });
});
