import { DEMO_POLICIES, type Policy } from '../../../src/agents/demo/policies.ts';
import { speakDigits, speakNumber } from '../../../src/agents/flow/extractors/spoken-numbers.ts';

/** A caller: one of the demo's policy holders, and the ways they say their ZIP code and SSN digits. */
export interface Persona {
  readonly policy: Policy;
  readonly name: string;
  readonly first: string;
  /** How they might say each code: digit by digit ("oh" or "zero"), or in pairs as people often do. */
  readonly zipSaid: readonly string[];
  readonly ssnSaid: readonly string[];
}

const oneByOne = (digits: string, zero: 'zero' | 'oh') =>
  speakDigits(digits)
    .split(' ')
    .map((word) => (word === 'zero' ? zero : word))
    .join(' ');

/** "56" → "fifty six", "05" → "oh five": how a pair of digits is said. */
const pair = (digits: string) =>
  digits[0] === '0' ? `oh ${speakDigits(digits[1]!)}` : speakNumber(Number(digits));

function ways(digits: string): string[] {
  const said = [oneByOne(digits, 'oh'), oneByOne(digits, 'zero')];
  if (digits.length === 4) said.push(`${pair(digits.slice(0, 2))} ${pair(digits.slice(2))}`);
  return [...new Set(said)];
}

export const PERSONAS: readonly Persona[] = DEMO_POLICIES.map((policy) => ({
  policy,
  name: policy.holder,
  first: policy.holder.split(' ')[0]!,
  zipSaid: ways(policy.zip),
  ssnSaid: ways(policy.ssnLast4),
}));
