import { DEMO_POLICIES, type Policy } from '../../../src/agents/demo/policies.ts';

/** A caller: one of the demo's policy holders, and the ways they say their ZIP code and SSN digits. */
export interface Persona {
  readonly policy: Policy;
  readonly name: string;
  readonly first: string;
  /** How they might say each code: digit by digit ("oh" or "zero"), or in pairs as people often do. */
  readonly zipSaid: readonly string[];
  readonly ssnSaid: readonly string[];
}

const DIGIT = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
const TEENS = [
  'ten',
  'eleven',
  'twelve',
  'thirteen',
  'fourteen',
  'fifteen',
  'sixteen',
  'seventeen',
  'eighteen',
  'nineteen',
];
const TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];

const oneByOne = (digits: string, zero: 'zero' | 'oh') =>
  [...digits].map((d) => (d === '0' ? zero : DIGIT[Number(d)]!)).join(' ');

/** "56" → "fifty six", "05" → "oh five": how a pair of digits is said. */
function pair(digits: string): string {
  const [a, b] = [Number(digits[0]), Number(digits[1])];
  if (a === 0) return `oh ${DIGIT[b]}`;
  if (a === 1) return TEENS[b]!;
  return b === 0 ? TENS[a]! : `${TENS[a]} ${DIGIT[b]}`;
}

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
