import type { FlowAsk } from './flow-definition.ts';

/** How to say each kind of answer, for a caller who did not get it the first times. */
const EXAMPLES: Readonly<Record<FlowAsk['type'], string>> = {
  name: 'Please say your first and last name, for example, Alice Brown.',
  digits: 'Please say the digits one at a time, for example, six, oh, six, oh, one.',
  number: 'Please say just the number, for example, three.',
  date: 'Please tell me the day, for example, yesterday, last Monday, or March third.',
  yes_no: 'Please just say yes, or no.',
  choice: '',
  text: 'Please tell me in a few words.',
};

/**
 * What the flow says after the caller's answer failed `attempts` times: the reprompt first, then an
 * example of an answer (and the keypad, where it works), then the two in turn, so that no sentence comes
 * back word for word more than twice in a row of failures.
 */
export function repairPrompt(ask: FlowAsk, attempts: number): string {
  const reprompt = ask.reprompt ?? `Sorry, I didn't catch that. ${ask.prompt}`;
  if (attempts % 2 === 1) return reprompt;
  const example = ask.type === 'choice' ? choiceExample(ask) : EXAMPLES[ask.type];
  const keypad = ask.dtmf ? ' You can also type it on your phone keypad.' : '';
  return `Sorry, I'm still not sure I understood. ${example}${keypad}`;
}

function choiceExample(ask: FlowAsk): string {
  const options = Object.keys(ask.options ?? {}).map((option) => option.replaceAll('_', ' '));
  return options.length > 1
    ? `You can say ${options.slice(0, -1).join(', ')}, or ${options.at(-1)!}.`
    : ask.prompt;
}
