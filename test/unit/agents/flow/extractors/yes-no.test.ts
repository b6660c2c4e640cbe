import { describe, expect, it } from 'vitest';
import { extractSlot } from '../../../../../src/agents/flow/extractors/index.ts';

const yesNo = { type: 'yes_no' } as const;

describe('yes_no slot', () => {
  it.each([
    ['yes', true],
    ['Yes.', true],
    ['yeah', true],
    ['yep', true],
    ['correct', true],
    ["that's right", true],
    ['thats right', true],
    ['that is correct', true],
    ['sure', true],
    ['absolutely', true],
    ['please do', true],
    ['i do', true],
    ['it was', true],
    ['yes i do', true],
    ['yes please', true],
    ['uh yeah i think so', true],
    ['ok', true],
    ['mm hmm', true],
    ['uh huh', true],
    ['okay sounds good', true],
    ['yes there was some damage', true],
    ['yes, not a problem', true],
    ['no', false],
    ['No.', false],
    ['nope', false],
    ['nah', false],
    ['not really', false],
    ["that's wrong", false],
    ['incorrect', false],
    ['not correct', false],
    ["that's not right", false],
    ['that is not correct', false],
    ["that isn't right", false],
    ['no one', false],
    ['nobody', false],
    ['none', false],
    ['no, not yet', false],
    ['absolutely not', false],
    ['i do not', false],
    ["i don't", false],
    ['i dont', false],
    ['please dont', false],
    ["i don't think so", false],
    ['there was no damage', false],
    ['okay no', false],
    ['no no no', false],
  ])('%j → %s', (input, value) => {
    expect(extractSlot(input, yesNo)).toEqual({ ok: true, value, spoken: value ? 'yes' : 'no' });
  });

  it.each([
    ['', 'nothing heard'],
    ['um', 'no yes or no'],
    ['the car is blue', 'no yes or no'],
    ['can you repeat that', 'no yes or no'],
    ['maybe', 'unsure'],
    ["i'm not sure", 'unsure'],
    ["i don't know", 'unsure'],
    ['i have no idea', 'unsure'],
    ['yeah no', 'both'],
    ['yes and no', 'both'],
    ['no problem', 'unsure'],
    // An auxiliary answers only at the end: these say something else.
    ['it was on tuesday', 'no yes or no'],
    ['i have a question about my policy', 'no yes or no'],
  ])('%j fails: %s', (input, reason) => {
    const result = extractSlot(input, yesNo);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reason);
  });
});
