/** A policy of the demo insurer (the seed's in-memory demo database). */
export interface Policy {
  readonly policyId: string;
  readonly holder: string;
  readonly zip: string;
  readonly ssnLast4: string;
  readonly kind: 'auto' | 'home';
  readonly deductible: number;
  readonly coverage: string;
  readonly monthlyPremium: number;
  readonly roadsideAssistance: boolean;
  readonly rentalCar: boolean;
  readonly renewal: string;
}

export const DEMO_POLICIES: readonly Policy[] = [
  {
    policyId: 'POL-A10001',
    holder: 'Alice Brown',
    zip: '60601',
    ssnLast4: '1234',
    kind: 'auto',
    deductible: 500,
    coverage: 'full coverage, including collision and comprehensive',
    monthlyPremium: 128,
    roadsideAssistance: true,
    rentalCar: true,
    renewal: 'March 1, 2027',
  },
  {
    policyId: 'POL-H20002',
    holder: 'Bob Martinez',
    zip: '94105',
    ssnLast4: '5678',
    kind: 'home',
    deductible: 1000,
    coverage: 'dwelling, personal property and liability',
    monthlyPremium: 96,
    roadsideAssistance: false,
    rentalCar: false,
    renewal: 'August 15, 2027',
  },
  {
    policyId: 'POL-A30003',
    holder: 'Carol Nguyen',
    zip: '10001',
    ssnLast4: '4321',
    kind: 'auto',
    deductible: 250,
    coverage: 'liability and collision',
    monthlyPremium: 142,
    roadsideAssistance: false,
    rentalCar: true,
    renewal: 'December 3, 2026',
  },
];

const normalize = (name: string) =>
  name
    .toLowerCase()
    .replace(/[^a-z]+/g, ' ')
    .trim();

/** Names closer than this (edits per character) count as the same: recognizers misspell names. */
const NAME_TOLERANCE = 0.3;
const WORD_TOLERANCE = 0.25;

/**
 * The policy of a caller who gave their full name and either ZIP code or the last four of their SSN. The
 * code must match exactly; the name only nearly, as a speech recognizer often gets a name wrong, the way
 * directory-assisted IVRs match: the whole name within 30 % edits ("alice braga" for Alice Brown), or the
 * first or the last name within one edit in four letters ("carol when" for Carol Nguyen).
 */
export function findPolicy(fullName: string, verifier: string): Policy | undefined {
  const name = normalize(fullName);
  const code = verifier.replace(/\D/g, '');
  const candidates = DEMO_POLICIES.filter((p) => p.zip === code || p.ssnLast4 === code);
  const heardWords = name.split(' ').filter(Boolean);
  const nearly = (a: string, b: string, tolerance: number) => editDistance(a, b) <= tolerance * a.length;
  return candidates.find((p) => {
    const holder = normalize(p.holder);
    if (nearly(holder, name, NAME_TOLERANCE)) return true;
    return holder.split(' ').some((part) => heardWords.some((word) => nearly(part, word, WORD_TOLERANCE)));
  });
}

/** Levenshtein distance. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length]!;
}

export function policyById(policyId: string): Policy | undefined {
  return DEMO_POLICIES.find((p) => p.policyId === policyId);
}

/** Answers a question about a policy from its fields, by topic keywords; undefined when none fits. */
export function answerPolicyQuestion(policy: Policy, question: string): string | undefined {
  const q = question.toLowerCase();
  const topics: [RegExp, () => string][] = [
    [/deductible/, () => `Your deductible is ${policy.deductible} dollars.`],
    [/premium|pay|cost|price|bill/, () => `Your premium is ${policy.monthlyPremium} dollars a month.`],
    [
      /roadside|tow/,
      () =>
        policy.roadsideAssistance
          ? 'Yes, roadside assistance is included.'
          : 'Roadside assistance is not part of your policy.',
    ],
    [
      /rental|rent/,
      () =>
        policy.rentalCar
          ? 'Yes, a rental car is covered while yours is repaired.'
          : 'Rental cars are not covered by your policy.',
    ],
    [/renew|expire|expir|end/, () => `Your policy renews on ${policy.renewal}.`],
    [/cover|include|protect/, () => `Your ${policy.kind} policy has ${policy.coverage}.`],
  ];
  return topics.find(([pattern]) => pattern.test(q))?.[1]();
}
