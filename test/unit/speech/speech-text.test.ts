import { describe, expect, it } from 'vitest';
import { splitSentences, toSpeechParts } from '../../../src/speech/tts/speech-text.ts';

describe('splitSentences', () => {
  it('cuts at sentence ends and keeps a tail without punctuation', () => {
    expect(splitSentences('Hello there! Your claim is filed. What else can I do')).toEqual([
      'Hello there!',
      'Your claim is filed.',
      'What else can I do',
    ]);
  });

  it('keeps decimals, abbreviations without spaces and runs of punctuation inside one sentence', () => {
    expect(splitSentences('The rate is 3.5 percent... Is that right?!')).toEqual([
      'The rate is 3.5 percent...',
      'Is that right?!',
    ]);
    expect(splitSentences('Visit rtvoice.dev today.')).toEqual(['Visit rtvoice.dev today.']);
  });

  it('drops empty and punctuation-only pieces', () => {
    expect(splitSentences('  ')).toEqual([]);
    expect(splitSentences('... !')).toEqual([]);
  });
});

describe('toSpeechParts', () => {
  it('treats plain text as sentences', () => {
    expect(toSpeechParts('One. Two.')).toEqual([{ text: 'One.' }, { text: 'Two.' }]);
  });

  it('reads SSML-lite breaks as pauses and drops other tags', () => {
    expect(
      toSpeechParts(
        '<speak>Hello <emphasis>there</emphasis>.<break time="300ms"/>Fish &amp; chips.<break time="1.5s"/></speak>',
      ),
    ).toEqual([{ text: 'Hello there .' }, { pauseMs: 300 }, { text: 'Fish & chips.' }, { pauseMs: 1500 }]);
  });

  it('speaks the first clause of a long opening sentence on its own, for a faster start', () => {
    expect(toSpeechParts('Sure, I can help you file a claim today. First, your name?')).toEqual([
      { text: 'Sure,' },
      { text: 'I can help you file a claim today.' },
      { text: 'First, your name?' },
    ]);
    expect(toSpeechParts('Yes, of course.')).toEqual([{ text: 'Yes, of course.' }]);
  });

  it('caps pauses at 5 s', () => {
    expect(toSpeechParts('<speak><break time="60s"/></speak>')).toEqual([{ pauseMs: 5000 }]);
  });
});
