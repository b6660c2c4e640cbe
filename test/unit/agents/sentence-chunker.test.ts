import { describe, expect, it } from 'vitest';
import { SentenceChunker, type ChunkedSentence } from '../../../src/agents/sentence-chunker.ts';

interface Emitted extends ChunkedSentence {
  /** Which call emitted it: the index of the push, or `deltas.length` for the flush. */
  readonly at: number;
}

/** Pushes the deltas, then flushes; every sentence with the call that emitted it. */
function chunk(deltas: readonly string[]): { sentences: Emitted[]; fullText: string } {
  const chunker = new SentenceChunker();
  const sentences: Emitted[] = [];
  deltas.forEach((delta, at) => {
    for (const sentence of chunker.push(delta)) sentences.push({ ...sentence, at });
  });
  for (const sentence of chunker.flush()) sentences.push({ ...sentence, at: deltas.length });
  return { sentences, fullText: chunker.fullText };
}

const texts = (sentences: readonly ChunkedSentence[]) => sentences.map((s) => s.text);
const located = (sentences: readonly ChunkedSentence[]) =>
  sentences.map(({ text, start, end }) => ({ text, start, end }));
/** Word deltas the way the simulator (and OpenAI) streams them: each word with its leading space. */
const words = (text: string): string[] => text.match(/\s*\S+/g) ?? [];
const normalize = (text: string) => text.trim().replace(/\s+/g, ' ');

/** `text` cut at each position (and, when `pairs`, at each pair of positions). */
function splits(text: string, pairs: boolean): string[][] {
  const out: string[][] = [];
  for (let i = 0; i <= text.length; i += 1) {
    out.push([text.slice(0, i), text.slice(i)]);
    if (!pairs) continue;
    for (let j = i; j <= text.length; j += 1) out.push([text.slice(0, i), text.slice(i, j), text.slice(j)]);
  }
  return out;
}

/** Whether each sentence is located exactly: its offsets cut it out of the full text. */
function expectLocated(sentences: readonly ChunkedSentence[], fullText: string): void {
  let previousEnd = 0;
  for (const sentence of sentences) {
    const slice = fullText.slice(sentence.start, sentence.end);
    expect(slice).toBe(slice.trim());
    expect(normalize(slice)).toBe(sentence.text);
    expect(sentence.start).toBeGreaterThanOrEqual(previousEnd);
    previousEnd = sentence.end;
  }
}

// No clause mark in the first sentence: the early first clause cannot apply, so every split must give
// exactly the one-push result.
const PLAIN = [
  'Your deductible is 500 dollars. The premium is 3.5 percent higher! Is that okay? Yes.',
  'Hello there.  How are you doing today?\nI am fine, thanks for asking.',
  'He said "stop." Then he left (quietly.) The end',
  'Well... maybe. Really?! Sure thing.',
  'The total is 1,250.75 dollars. Pay by March 3. Thanks',
];

describe('SentenceChunker', () => {
  it('emits each sentence as soon as the whitespace after its end arrives', () => {
    const chunker = new SentenceChunker();
    expect(chunker.push('Hello there. How')).toEqual([{ text: 'Hello there.', start: 0, end: 12 }]);
    expect(chunker.push(' are you?')).toEqual([]); // the end is not known until whitespace follows
    expect(chunker.push(' Fine')).toEqual([{ text: 'How are you?', start: 13, end: 25 }]);
    expect(chunker.push('.')).toEqual([]);
    expect(chunker.flush()).toEqual([{ text: 'Fine.', start: 26, end: 31 }]);
    expect(chunker.fullText).toBe('Hello there. How are you? Fine.');
  });

  it.each(PLAIN)('gives the same sentences however %j is split into deltas', (text) => {
    const whole = chunk([text]);
    expect(whole.sentences.length).toBeGreaterThan(1);
    expectLocated(whole.sentences, text);
    const short = text.length <= 60;
    for (const deltas of splits(text, short)) {
      const { sentences, fullText } = chunk(deltas);
      expect(fullText).toBe(text);
      expect(located(sentences), JSON.stringify(deltas)).toEqual(located(whole.sentences));
      // As soon as complete: a sentence whose closing whitespace was in a delta came out of that push.
      for (const sentence of sentences) {
        const closedBy = text.length > sentence.end ? sentence.end : undefined;
        let expectedAt = deltas.length; // the flush, for the last sentence
        if (closedBy !== undefined) {
          let length = 0;
          expectedAt = deltas.findIndex((delta) => (length += delta.length) > closedBy);
        }
        expect(sentence.at, `${sentence.text} in ${JSON.stringify(deltas)}`).toBe(expectedAt);
      }
    }
  });

  it('splits only at the early first clause however a text with one is split, and loses nothing', () => {
    const text = 'Sure, I can help you with that claim today. Let me check, one moment.';
    const whole = chunk([text]);
    expect(texts(whole.sentences)).toEqual([
      'Sure, I can help you with that claim today.',
      'Let me check, one moment.',
    ]);
    const clauseEnd = text.indexOf(',') + 1;
    const boundaries = (sentences: readonly ChunkedSentence[]) => sentences.map((s) => s.end);
    for (const deltas of splits(text, false)) {
      const { sentences, fullText } = chunk(deltas);
      expectLocated(sentences, fullText);
      expect(normalize(texts(sentences).join(' '))).toBe(normalize(text));
      const extra = boundaries(sentences).filter((end) => !boundaries(whole.sentences).includes(end));
      expect(extra.every((end) => end === clauseEnd)).toBe(true);
      for (const end of boundaries(whole.sentences)) expect(boundaries(sentences)).toContain(end);
    }
  });

  it('does not split decimals, however the digits arrive', () => {
    const text = 'The rate went up 3.5 percent. It was 2.75 before.';
    const expected = ['The rate went up 3.5 percent.', 'It was 2.75 before.'];
    expect(texts(chunk([text]).sentences)).toEqual(expected);
    expect(
      texts(chunk(['The rate went up 3', '.', '5 percent', '. It was 2.', '75 before.']).sentences),
    ).toEqual(expected);
    expect(texts(chunk([...text]).sentences)).toEqual(expected);
  });

  it('locates sentences exactly in the full text, across odd whitespace', () => {
    const deltas = ['  Good', ' morning.\n\n', 'How   can I', '\thelp you?  ', ' \n', 'Bye', ' now.  '];
    const { sentences, fullText } = chunk(deltas);
    expect(texts(sentences)).toEqual(['Good morning.', 'How can I help you?', 'Bye now.']);
    expectLocated(sentences, fullText);
    expect(sentences[0]).toMatchObject({ start: 2, end: 15 });
    expect(fullText.slice(sentences[1]!.start, sentences[1]!.end)).toBe('How   can I\thelp you?');
  });

  it('sends the first clause alone once five words follow it, and not before', () => {
    const deltas = words('Sure, I can help you with that today.');
    const { sentences } = chunk(deltas);
    expect(texts(sentences)).toEqual(['Sure,', 'I can help you with that today.']);
    // Out with the fifth word after the comma (" with"), not with the fourth (" you").
    expect(sentences[0]!.at).toBe(deltas.indexOf(' with'));
    expect(sentences[0]).toMatchObject({ start: 0, end: 5 });
  });

  it('keeps the first clause in its sentence when fewer than five words follow it', () => {
    const deltas = words('Sure, I can help you. Anything else?');
    expect(texts(chunk(deltas).sentences)).toEqual(['Sure, I can help you.', 'Anything else?']);
    expect(texts(chunk([...'Of course, right away.']).sentences)).toEqual(['Of course, right away.']);
  });

  it('sends only the first clause of the turn early', () => {
    const later = words('Okay. Well, I think we can do this for you today.');
    expect(texts(chunk(later).sentences)).toEqual(['Okay.', 'Well, I think we can do this for you today.']);
    const second = words('Yes, I can look that up for you, give me a second to do it.');
    expect(texts(chunk(second).sentences)).toEqual([
      'Yes,',
      'I can look that up for you, give me a second to do it.',
    ]);
  });

  it('treats ; and : as clause ends but not a comma inside a number', () => {
    expect(texts(chunk(words('Here it is: your claim was filed this morning.')).sentences)).toEqual([
      'Here it is:',
      'your claim was filed this morning.',
    ]);
    expect(texts(chunk(words('We cover 1,000 dollars of damage for this kind of loss.')).sentences)).toEqual([
      'We cover 1,000 dollars of damage for this kind of loss.',
    ]);
  });

  it('flushes the rest, once', () => {
    const chunker = new SentenceChunker();
    expect(chunker.push('No punctuation at the end')).toEqual([]);
    expect(chunker.flush()).toEqual([{ text: 'No punctuation at the end', start: 0, end: 25 }]);
    expect(chunker.flush()).toEqual([]);
    expect(new SentenceChunker().flush()).toEqual([]);
  });

  it('drops pieces without letters or digits, and keeps the offsets of what follows right', () => {
    const { sentences, fullText } = chunk(['Hello. ... !', ' ', '?! Next one. ', '--']);
    expect(texts(sentences)).toEqual(['Hello.', 'Next one.']);
    expectLocated(sentences, fullText);
    expect(chunk(['  ...  ', ' !? ']).sentences).toEqual([]);
    // A dropped piece is not the turn's first sentence: the first clause may still go early.
    expect(texts(chunk(['... ', ...words('Sure, I can help you with that.')]).sentences)).toEqual([
      'Sure,',
      'I can help you with that.',
    ]);
  });
});
