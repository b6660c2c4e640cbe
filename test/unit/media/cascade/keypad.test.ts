import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { Keypad } from '../../../../src/media/cascade/keypad.ts';

describe('Keypad', () => {
  it('ends a number on # (dropped), or after a pause', async () => {
    const got: string[] = [];
    const keypad = new Keypad(100, (digits) => got.push(digits));
    for (const key of ['9', '4', '1', '0', '5#']) keypad.press(key);
    expect(got).toEqual(['94105']);
    keypad.press('1');
    keypad.press('2');
    await sleep(40);
    keypad.press('3'); // each digit restarts the pause
    await sleep(80);
    expect(got).toEqual(['94105']);
    await sleep(60);
    expect(got).toEqual(['94105', '123']);
  });

  it('takes a lone # as no input, and forgets digits when cancelled', async () => {
    const got: string[] = [];
    const keypad = new Keypad(50, (digits) => got.push(digits));
    keypad.press('#');
    keypad.press('7');
    keypad.cancel();
    await sleep(100);
    expect(got).toEqual([]);
  });
});
