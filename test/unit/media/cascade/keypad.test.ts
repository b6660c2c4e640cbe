import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Keypad } from '../../../../src/media/cascade/keypad.ts';

describe('Keypad', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('ends a number on # (dropped), or after a pause', () => {
    const got: string[] = [];
    const keypad = new Keypad(100, (digits) => got.push(digits));
    for (const key of ['9', '4', '1', '0', '5#']) keypad.press(key);
    expect(got).toEqual(['94105']);
    keypad.press('1');
    keypad.press('2');
    vi.advanceTimersByTime(40);
    keypad.press('3'); // each digit restarts the pause
    vi.advanceTimersByTime(99);
    expect(got).toEqual(['94105']);
    vi.advanceTimersByTime(1);
    expect(got).toEqual(['94105', '123']);
  });

  it('takes a lone # as no input, and forgets digits when cancelled', () => {
    const got: string[] = [];
    const keypad = new Keypad(50, (digits) => got.push(digits));
    keypad.press('#');
    keypad.press('7');
    keypad.cancel();
    vi.advanceTimersByTime(1000);
    expect(got).toEqual([]);
  });
});
