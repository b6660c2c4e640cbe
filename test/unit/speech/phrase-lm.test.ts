import { describe, expect, it } from 'vitest';
import { phraseLanguageModel, phraseWords } from '../../../src/speech/stt/phrase-lm.ts';

/** The ARPA text's n-grams: log10 probability and back-off weight by n-gram. */
function parse(arpa: string) {
  const grams = new Map<string, { logProb: number; backOff: number }>();
  const declared: number[] = [];
  let order = 0;
  for (const line of arpa.split('\n')) {
    const count = /^ngram (\d)=(\d+)$/.exec(line);
    if (count) declared[Number(count[1])] = Number(count[2]);
    const section = /^\\(\d)-grams:$/.exec(line);
    if (section) order = Number(section[1]);
    else if (order && line.trim() && !line.startsWith('\\')) {
      const fields = line.split(' ');
      const words = fields.slice(1, 1 + order);
      grams.set(words.join(' '), { logProb: Number(fields[0]), backOff: Number(fields[1 + order] ?? 0) });
    }
  }
  return { grams, declared };
}

/** P(word | history) by back-off, as a recognizer reads the model. */
function probability(grams: ReturnType<typeof parse>['grams'], history: string[], word: string): number {
  const found = grams.get([...history, word].join(' '));
  if (found) return 10 ** found.logProb;
  if (history.length === 0) return 0;
  const backOff = grams.get(history.join(' '))?.backOff ?? 0;
  return 10 ** backOff * probability(grams, history.slice(1), word);
}

const PHRASES = [
  'A tree fell on the garage.',
  'someone hit my car',
  'someone hit my parked car',
  'my car was stolen',
  "the car's window broke",
];
const everyWord = () => true;

describe('phraseLanguageModel', () => {
  it('writes the counts it declares, with the sentence start and end', () => {
    const { grams, declared } = parse(phraseLanguageModel(PHRASES, everyWord));
    const byOrder = [1, 2, 3].map((n) => [...grams.keys()].filter((g) => g.split(' ').length === n).length);
    expect(declared.slice(1)).toEqual(byOrder);
    expect(grams.get('<s>')?.logProb).toBe(-99);
    expect(grams.has('</s>')).toBe(true);
    expect(grams.has("car's")).toBe(true);
  });

  it.each([[[]], [['<s>']], [['someone', 'hit']], [['hit', 'my']], [['my']], [['<s>', 'my']]])(
    'is a distribution after %j: the probabilities of every next word sum to 1',
    (history) => {
      const { grams } = parse(phraseLanguageModel(PHRASES, everyWord));
      const vocabulary = [...grams.keys()].filter((g) => !g.includes(' ') && g !== '<s>');
      const total = vocabulary.reduce((sum, word) => sum + probability(grams, history, word), 0);
      expect(total).toBeCloseTo(1, 3);
    },
  );

  it('favours the word orders it saw', () => {
    const { grams } = parse(phraseLanguageModel(PHRASES, everyWord));
    expect(probability(grams, ['someone', 'hit'], 'my')).toBeGreaterThan(0.5);
    expect(probability(grams, ['hit', 'my'], 'car')).toBeGreaterThan(
      probability(grams, ['hit', 'my'], 'tree'),
    );
  });

  it('leaves out words the recognizer does not know, splitting the phrase there', () => {
    const { grams } = parse(phraseLanguageModel(['my zorblax was stolen'], (word) => word !== 'zorblax'));
    expect(grams.has('zorblax')).toBe(false);
    expect(grams.has('my was')).toBe(false);
    expect(grams.has('<s> was')).toBe(true);
  });

  it('throws when no word is left', () => {
    expect(() => phraseLanguageModel(['zorblax'], () => false)).toThrow(/none of the phrases/);
  });

  it('reads words as the dictionary spells them', () => {
    expect(phraseWords("  It's the CAR'S window, 'broken'! ")).toEqual([
      "it's",
      'the',
      "car's",
      'window',
      'broken',
    ]);
  });
});
