import { describe, expect, it } from 'vitest';
import {
  encodeTranscriptionData,
  parseTranscriptionMessage,
  TranscriptionParseError,
} from '../../../../src/transports/acs-transcription/transcription-codec.ts';

describe('the ACS transcription wire codec', () => {
  it('reads the documented messages, with ticks as milliseconds and resultStatus in any case', () => {
    expect(
      parseTranscriptionMessage(
        '{"kind":"TranscriptionMetadata","transcriptionMetadata":{"subscriptionId":"s","locale":"en-us","callConnectionId":"c1","correlationId":"r"}}',
      ),
    ).toEqual({ kind: 'metadata', callId: 'c1', locale: 'en-us', subscriptionId: 's', correlationId: 'r' });
    const result = parseTranscriptionMessage(
      JSON.stringify({
        kind: 'TranscriptionData',
        transcriptionData: {
          text: 'Testing transcription.',
          format: 'display',
          confidence: 0.695223331451416,
          offset: 2516998782481234400,
          duration: 12300000,
          words: [{ text: 'testing', offset: 2516998782481234400, duration: 5000000 }],
          participantRawID: '8:acs:abc',
          resultStatus: 'final',
        },
      }),
    );
    expect(result).toMatchObject({
      kind: 'result',
      text: 'Testing transcription.',
      final: true,
      confidence: 0.695223331451416,
      durationMs: 1230,
      participantRawId: '8:acs:abc',
      words: [{ text: 'testing', durationMs: 500 }],
    });
    expect((result as { offsetMs: number }).offsetMs).toBeCloseTo(251699878248123.44, 0);
    const intermediate = parseTranscriptionMessage(
      '{"Kind":"transcriptiondata","TranscriptionData":{"text":"test","resultStatus":"INTERMEDIATE"}}',
    );
    expect(intermediate).toMatchObject({
      final: false,
      words: [],
      offsetMs: undefined,
      confidence: undefined,
    });
  });

  it('turns every malformed message into an error value with a reason, never a throw', () => {
    const reasons = [
      'not json',
      '[]',
      'null',
      '{"kind":"AudioData"}',
      '{"kind":7}',
      '{"kind":"TranscriptionData"}',
      '{"kind":"TranscriptionData","transcriptionData":{"text":"a","resultStatus":"Done"}}',
      '{"kind":"TranscriptionData","transcriptionData":{"text":1,"resultStatus":"Final"}}',
      '{"kind":"TranscriptionData","transcriptionData":{"text":"a","resultStatus":"Final","confidence":3}}',
      '{"kind":"TranscriptionData","transcriptionData":{"text":"a","resultStatus":"Final","offset":-1}}',
      '{"kind":"TranscriptionMetadata","transcriptionMetadata":"x"}',
    ].map((text) => {
      const parsed = parseTranscriptionMessage(text);
      expect(parsed).toBeInstanceOf(TranscriptionParseError);
      return (parsed as TranscriptionParseError).reason;
    });
    expect(reasons).toEqual([
      'not_json',
      'not_json',
      'not_json',
      'unknown_kind',
      'unknown_kind',
      'invalid_field',
      'invalid_field',
      'invalid_field',
      'invalid_field',
      'invalid_field',
      'invalid_field',
    ]);
  });

  it('writes what it reads (the simulator speaks the same codec)', () => {
    const sent = {
      text: 'hello there',
      final: false,
      confidence: undefined,
      offsetMs: 1500,
      durationMs: 600,
      words: [
        { text: 'hello', offsetMs: 1500, durationMs: 250 },
        { text: 'there', offsetMs: 1800, durationMs: 300 },
      ],
      participantRawId: '4:+14255550123',
    };
    expect(parseTranscriptionMessage(encodeTranscriptionData(sent, 0))).toEqual({ kind: 'result', ...sent });
  });
});
