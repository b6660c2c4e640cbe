/**
 * What callers say at each step: several paraphrases for a first answer, a plain one for a second try,
 * variants with an inner pause ('|' marks it), and the off-script lines (questions the prompt does not
 * take, corrections, asking for a person).
 */
import { answerPolicyQuestion, type Policy } from '../../../src/agents/demo/policies.ts';
import type { LossDate } from './dates.ts';
import type { Description, Meaning, PolicyQuestion, ReadBackPart } from './meaning.ts';
import type { Persona } from './personas.ts';
import type { Rng } from './rng.ts';

export type LineKind =
  /** An answer to the prompt. */
  | 'answer'
  /** A question or remark the prompt does not take (it should be rejected, and the prompt asked again). */
  | 'out_of_grammar'
  /** "No, it was Tuesday", "that's wrong": repairs an answer already given. */
  | 'correction'
  /** "No, that's not right" at a read-back that is wrong. */
  | 'read_back_rejected'
  | 'ask_for_person'
  /** "Sorry, can you repeat that?" at a prompt the caller did not understand. */
  | 'repeat_request';

export interface Line {
  /** What is said; '|' marks an inner pause. */
  readonly text: string;
  readonly means: Meaning;
  readonly kind: LineKind;
}

export type Attempt = 'first' | 'paused' | 'clean';

const line = (text: string, means: Meaning = {}, kind: LineKind = 'answer'): Line => ({ text, means, kind });

function variant(
  rng: Rng,
  attempt: Attempt,
  said: readonly string[],
  paused: readonly string[],
  clean: string,
) {
  return attempt === 'clean' ? clean : rng.pick(attempt === 'paused' ? paused : said);
}

export function nameLine(rng: Rng, persona: Persona, attempt: Attempt): Line {
  const n = persona.name;
  const text = variant(
    rng,
    attempt,
    [
      `My name is ${n}.`,
      `${n}.`,
      `It's ${n}.`,
      `This is ${n}.`,
      `Yes, hi, this is ${n}.`,
      `Hi, my name is ${n}.`,
    ],
    [`My name is | ${n}.`, `Um, it's | ${n}.`, `Yeah, it's | ${n}.`],
    `${n}.`,
  );
  return line(text, { full_name: n });
}

/** The ZIP code or the SSN's last four, said; DTMF is sent by the conversation, not spoken. */
export function verifierLine(rng: Rng, persona: Persona, code: 'zip' | 'ssn', attempt: Attempt): Line {
  const digits = code === 'zip' ? persona.policy.zip : persona.policy.ssnLast4;
  const ways = code === 'zip' ? persona.zipSaid : persona.ssnSaid;
  const d = rng.pick(ways);
  const chunked = (split: number) => {
    const spoken = ways[0]!.split(' ');
    return `${spoken.slice(0, split).join(' ')} | ${spoken.slice(split).join(' ')}.`;
  };
  const text =
    code === 'zip'
      ? variant(
          rng,
          attempt,
          [`${d}.`, `My zip code is ${d}.`, `It's ${d}.`, `Zip code ${d}.`],
          [`My zip code is | ${d}.`, chunked(3)],
          `${ways[1] ?? ways[0]}.`,
        )
      : variant(
          rng,
          attempt,
          [`${d}.`, `The last four are ${d}.`, `Last four of my social are ${d}.`],
          [`The last four are | ${d}.`, chunked(2)],
          `${ways[0]}.`,
        );
  return line(text, { verifier: digits });
}

export function intentLine(rng: Rng, goal: 'claim' | 'policy', attempt: Attempt): Line {
  const text =
    goal === 'claim'
      ? variant(
          rng,
          attempt,
          [
            'I want to report a claim.',
            "I'd like to file a claim.",
            'I need to report an accident.',
            "I'm calling to report a claim.",
            'Yeah, I need to file a claim.',
          ],
          ["I'd like to | file a claim.", "I'm calling to | report a claim."],
          'Report a claim.',
        )
      : variant(
          rng,
          attempt,
          [
            'I have a question about my policy.',
            "I've got a question about my coverage.",
            'Just a question about my policy.',
            "I'm calling about my policy.",
          ],
          ['I have a question | about my policy.', "I'm calling | about my policy."],
          'A question about my policy.',
        );
  return line(text, { intent: goal });
}

export function dateLine(rng: Rng, date: LossDate, attempt: Attempt): Line {
  const core = date.core;
  const text = variant(
    rng,
    attempt,
    date.said,
    [`It was | ${core}.`, `Let me think. | ${capitalized(core)}.`],
    date.clean,
  );
  return line(text, { loss_date: date.iso });
}

const capitalized = (text: string) => text[0]!.toUpperCase() + text.slice(1);

export function descriptionLine(description: Description, attempt: Attempt): Line {
  return line(attempt === 'paused' ? description.paused : description.text, { description });
}

export function injuriesLine(rng: Rng, injuries: boolean, attempt: Attempt): Line {
  const text = injuries
    ? variant(
        rng,
        attempt,
        ['Yes.', 'Yes, my passenger hurt her neck.', 'Yeah, I was hurt a little.'],
        ['Yes, | I was hurt a little.'],
        'Yes.',
      )
    : variant(
        rng,
        attempt,
        ['No.', 'No, nobody was hurt.', 'No one was injured.', 'Thankfully no.', 'Nope, everyone is fine.'],
        ['No, | nobody was hurt.'],
        'No.',
      );
  return line(text, { injuries });
}

export function confirmLine(rng: Rng, attempt: Attempt): Line {
  const text = variant(
    rng,
    attempt,
    ['Yes.', 'Yes, please.', "That's right, go ahead.", 'Yes, file it.', 'Correct.'],
    ['Yes, | go ahead.'],
    'Yes.',
  );
  return line(text, { confirmed: true });
}

/** "I heard Carol Nguyen. Is that right?": yes when it is their name, no when it is not. */
export function heardLine(rng: Rng, persona: Persona, prompt: string): Line {
  const heard = /i heard (.+?)\. is that right/i.exec(prompt)?.[1] ?? '';
  const right = heard.toLowerCase() === persona.name.toLowerCase();
  // Confirming, the caller means their name: the name committed after a yes is judged against it.
  return line(rng.pick(right ? ['Yes.', "Yes, that's right."] : ['No.', "No, that's wrong."]), {
    full_name: persona.name,
  });
}

export function rejectReadBackLine(rng: Rng): Line {
  return line(
    rng.pick(["No, that's not right.", "No, that's wrong."]),
    { confirmed: false },
    'read_back_rejected',
  );
}

/** "What should I change?": the part of the read-back that was wrong, or nothing. */
export function fixLine(rng: Rng, part: ReadBackPart | undefined): Line {
  if (!part) return line("Nothing, it's all correct.");
  const said: Record<ReadBackPart, readonly string[]> = {
    date: ['The date.', 'The date is wrong.'],
    description: ['What happened.', 'The description.'],
    injuries: ['Whether anyone was injured.', 'The injuries.'],
  };
  return line(rng.pick(said[part]), { fix: part });
}

/** "Is there anything else I can help you with?": no. */
export function doneLine(rng: Rng, attempt: Attempt): Line {
  const text = variant(
    rng,
    attempt,
    ["No, that's all, thanks.", 'No thanks.', "Nope, that's everything.", 'No, thank you.'],
    [],
    'No, thank you.',
  );
  return line(text, { more: false });
}

/** "Anything else about your policy?": no (the policy agent takes it as a goodbye, not as an answer). */
export function noMoreQuestionsLine(rng: Rng, attempt: Attempt): Line {
  return line(
    variant(
      rng,
      attempt,
      ["No, that's all, thanks.", 'No thanks.', "That's all, thank you."],
      [],
      'No thanks.',
    ),
  );
}

export function questionLine(rng: Rng, question: PolicyQuestion, attempt: Attempt): Line {
  return line(variant(rng, attempt, question.said, [question.paused], question.clean), { question });
}

export function personLine(rng: Rng, attempt: Attempt): Line {
  const text = variant(
    rng,
    attempt,
    [
      'Can I talk to a real person?',
      'I want to speak to someone.',
      'Can I speak with an agent, please?',
      'Operator.',
      'Let me talk to a human, please.',
    ],
    ['Can I talk to | a real person?', 'I want to | speak to someone.'],
    'I want to talk to a real person.',
  );
  return line(text, {}, 'ask_for_person');
}

const OUT_OF_GRAMMAR: Readonly<Record<'verifier' | 'injuries' | 'confirm', readonly string[]>> = {
  verifier: ['What are your office hours?', 'How long is this going to take?', 'Why do you need that?'],
  injuries: [
    'Does my policy cover rental cars?',
    'Will this raise my premium?',
    'How long does a claim usually take?',
  ],
  confirm: ['How long until an adjuster calls me?', 'Will my rates go up?', 'What are your office hours?'],
};

export type OutOfGrammarStep = keyof typeof OUT_OF_GRAMMAR;

export function outOfGrammarLine(rng: Rng, step: OutOfGrammarStep): Line {
  return line(rng.pick(OUT_OF_GRAMMAR[step]), {}, 'out_of_grammar');
}

/** Repairs the date: inline ("No, sorry, it was Tuesday."), carrying the right one, or a bare "that's wrong". */
export function correctionLine(rng: Rng, right: LossDate, style: 'inline' | 'bare'): Line {
  return style === 'inline'
    ? line(
        rng.pick([`No, sorry, it was ${right.core}.`, `Actually, it was ${right.core}.`]),
        { loss_date: right.iso },
        'correction',
      )
    : line(
        rng.pick(["That's wrong.", "Sorry, that's not right.", "No, that's wrong, I made a mistake."]),
        {},
        'correction',
      );
}

export function repeatRequestLine(): Line {
  return line('Sorry, can you repeat that?', {}, 'repeat_request');
}

/** What happened, by kind of policy. */
export function descriptions(policy: Policy): readonly Description[] {
  return policy.kind === 'auto'
    ? [
        { text: 'A tree fell on my car.', paused: 'A tree fell | on my car.', keywords: [['tree'], ['car']] },
        {
          text: 'Someone backed into my car in a parking lot.',
          paused: 'Someone backed into my car | in a parking lot.',
          keywords: [['backed', 'back'], ['parking']],
        },
        {
          text: 'I hit a deer on the highway.',
          paused: 'I hit a deer | on the highway.',
          keywords: [['deer']],
        },
        {
          text: 'Someone rear ended me at a red light.',
          paused: 'Someone rear ended me | at a red light.',
          keywords: [['rear'], ['light']],
        },
        {
          text: 'My car was stolen from the driveway.',
          paused: 'My car was stolen | from the driveway.',
          keywords: [['stolen']],
        },
      ]
    : [
        {
          text: 'A pipe burst in the basement.',
          paused: 'A pipe burst | in the basement.',
          keywords: [['pipe'], ['basement']],
        },
        {
          text: 'The roof was damaged in a storm.',
          paused: 'The roof was damaged | in a storm.',
          keywords: [['roof'], ['storm']],
        },
        {
          text: 'Water leaked into the kitchen.',
          paused: 'Water leaked | into the kitchen.',
          keywords: [['water'], ['kitchen']],
        },
        {
          text: 'Someone broke into my house.',
          paused: 'Someone broke | into my house.',
          keywords: [['broke'], ['house']],
        },
      ];
}

/** Policy questions by topic, each with the answer the demo gives when it is heard right. */
export function policyQuestions(policy: Policy): readonly PolicyQuestion[] {
  const topics: readonly Omit<PolicyQuestion, 'answer'>[] = [
    {
      said: ['What is my deductible?', 'How much is my deductible?'],
      paused: 'What is | my deductible?',
      clean: 'What is my deductible?',
    },
    {
      said: ['How much do I pay each month?', "What's my monthly premium?"],
      paused: 'How much | do I pay each month?',
      clean: 'What is my premium?',
    },
    {
      said: ['Do I have roadside assistance?', 'Is towing included?'],
      paused: 'Do I have | roadside assistance?',
      clean: 'Do I have roadside assistance?',
    },
    {
      said: ['Is a rental car covered?', 'Do I get a rental car?'],
      paused: 'Is a rental car | covered?',
      clean: 'Is a rental car covered?',
    },
    {
      said: ['When does my policy renew?', 'When does my policy expire?'],
      paused: 'When does | my policy renew?',
      clean: 'When does my policy renew?',
    },
    {
      said: ['What does my policy cover?', 'What is covered?'],
      paused: 'What does | my policy cover?',
      clean: 'What does my policy cover?',
    },
  ];
  return topics.map((topic) => ({ ...topic, answer: answerPolicyQuestion(policy, topic.clean)! }));
}
