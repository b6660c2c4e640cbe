import { describe, expect, it } from 'vitest';
import { pcm16ToBase64, samplesPerFrame } from '../../../../src/audio/pcm.ts';
import {
  ACS_STOP_AUDIO,
  AcsParseError,
  encodeAcsAudio,
  encodeAcsAudioIn,
  encodeAcsDtmf,
  encodeAcsMetadata,
  parseAcsMessage,
  parseAcsOutbound,
  validateAudioFrame,
  type AcsInbound,
  type AcsOutbound,
  type AcsParseReason,
} from '../../../../src/transports/acs/acs-codec.ts';
import { RtvoiceError } from '../../../../src/errors.ts';

/** A 20 ms ramp at 16 kHz, so byte order and offsets show up in comparisons. */
const FRAME = Int16Array.from({ length: 320 }, (_, i) => (i - 160) * 200);
const B64 = pcm16ToBase64(FRAME);

function ok<T>(result: T | AcsParseError): T {
  if (result instanceof AcsParseError) throw new Error(`unexpected ${result.reason}: ${result.message}`);
  return result;
}

function audio(result: AcsInbound | AcsParseError) {
  const message = ok(result);
  if (message.kind !== 'audio') throw new Error(`expected audio, got ${message.kind}`);
  return message;
}

function outboundSamples(result: AcsOutbound | AcsParseError): number[] {
  const message = ok(result);
  if (message.kind !== 'audio') throw new Error(`expected audio, got ${message.kind}`);
  return [...message.samples];
}

describe('parseAcsMessage: AudioData', () => {
  it.each([
    ['the documented form', `{"kind":"AudioData","audioData":{"data":"${B64}"}}`],
    ['PascalCase keys', `{"Kind":"AudioData","AudioData":{"Data":"${B64}"}}`],
    ['a camelCase kind value', `{"kind":"audioData","audioData":{"data":"${B64}"}}`],
    ['shouting', `{"KIND":"AUDIODATA","AUDIODATA":{"DATA":"${B64}"}}`],
    ['a null sibling', `{"kind":"AudioData","audioData":{"data":"${B64}"},"audioMetadata":null}`],
    [
      'a null duplicate spelling first',
      `{"kind":"AudioData","AudioData":null,"audioData":{"data":"${B64}"}}`,
    ],
    [
      'an unknown extra field (the preview mark)',
      `{"kind":"AudioData","audioData":{"data":"${B64}","mark":{}}}`,
    ],
  ])('accepts %s', (_name, text) => {
    const frame = audio(parseAcsMessage(text));
    expect([...frame.samples]).toEqual([...FRAME]);
    expect(frame).toMatchObject({ timestamp: undefined, participantRawID: undefined, silent: undefined });
  });

  it.each([
    ['participantRawID', '8:acs:abc', false],
    ['participantRawId', '4:+15551230000', true],
    ['ParticipantRawID', '8:acs:abc', undefined],
  ])('reads the optional fields, spelled %s', (key, participant, silent) => {
    const text = JSON.stringify({
      kind: 'AudioData',
      audioData: { timestamp: '2024-11-15T19:16:12.925Z', data: B64, [key]: participant, silent },
    });
    expect(audio(parseAcsMessage(text))).toMatchObject({
      timestamp: '2024-11-15T19:16:12.925Z',
      participantRawID: participant,
      silent,
    });
  });

  it('treats null optional fields as absent', () => {
    const text =
      '{"kind":"AudioData","audioData":{"data":"","timestamp":null,"participantRawID":null,"silent":null}}';
    expect(audio(parseAcsMessage(text))).toMatchObject({
      timestamp: undefined,
      participantRawID: undefined,
      silent: undefined,
    });
  });

  it.each(['', ' ', '  \t\r\n '])('accepts blank data %j as a frame without samples', (data) => {
    const frame = audio(
      parseAcsMessage(JSON.stringify({ kind: 'AudioData', audioData: { data, silent: true } })),
    );
    expect(frame.samples.length).toBe(0);
    expect(frame.silent).toBe(true);
  });

  it('returns samples that own their memory', () => {
    const { samples } = audio(parseAcsMessage(`{"kind":"AudioData","audioData":{"data":"${B64}"}}`));
    expect(samples.byteOffset).toBe(0);
    expect(samples.buffer.byteLength).toBe(samples.byteLength);
  });
});

describe('parseAcsMessage: AudioMetadata and DtmfData', () => {
  it.each([16000, 24000] as const)('reads metadata at %i Hz', (rate) => {
    const text = `{"kind":"AudioMetadata","audioMetadata":{"subscriptionId":"89e8cb59","encoding":"PCM","sampleRate":${rate},"channels":1,"length":${rate / 25}}}`;
    expect(parseAcsMessage(text)).toEqual({
      kind: 'metadata',
      sampleRate: rate,
      subscriptionId: '89e8cb59',
      encoding: 'PCM',
      channels: 1,
      length: rate / 25,
    });
  });

  it('needs only the sample rate, in any casing', () => {
    expect(parseAcsMessage('{"Kind":"audioMetadata","AudioMetadata":{"SampleRate":16000}}')).toEqual({
      kind: 'metadata',
      sampleRate: 16000,
      subscriptionId: undefined,
      encoding: undefined,
      channels: undefined,
      length: undefined,
    });
  });

  it.each([
    ['the documented form', '{"kind":"DtmfData","dtmfData":{"data":"3"}}', {}],
    [
      'the .NET fields',
      '{"Kind":"dtmfData","DtmfData":{"Data":"#","Timestamp":"2025-01-01T10:00:00.020Z","ParticipantRawId":"4:+1555"}}',
      { timestamp: '2025-01-01T10:00:00.020Z', participantRawID: '4:+1555' },
    ],
  ])('reads DTMF in %s', (_name, text, extra) => {
    const digits = text.includes('"3"') ? '3' : '#';
    expect(parseAcsMessage(text)).toEqual({
      kind: 'dtmf',
      digits,
      timestamp: undefined,
      participantRawID: undefined,
      ...extra,
    });
  });
});

describe('parseAcsMessage: errors', () => {
  const cases: [AcsParseReason, string, string][] = [
    ['not_json', 'not json', 'ACS message is not JSON'],
    ['not_json', '', 'not JSON'],
    ['not_json', '{"kind":"AudioData"', 'not JSON'],
    ['not_object', '[]', 'not a JSON object'],
    ['not_object', 'null', 'not a JSON object'],
    ['not_object', '"AudioData"', 'not a JSON object'],
    ['not_object', '42', 'not a JSON object'],
    ['missing_field', '{}', 'no kind'],
    ['missing_field', '{"kind":null,"audioData":{"data":""}}', 'no kind'],
    ['missing_field', '{"kind":"AudioData"}', 'no audioData'],
    ['missing_field', '{"kind":"AudioData","audioData":null}', 'no audioData'],
    ['missing_field', '{"kind":"AudioData","audioMetadata":{"data":""}}', 'no audioData'],
    ['missing_field', '{"kind":"AudioData","audioData":{}}', 'no data'],
    ['missing_field', '{"kind":"AudioData","audioData":{"data":null}}', 'no data'],
    ['missing_field', '{"kind":"AudioMetadata","audioMetadata":{"encoding":"PCM"}}', 'no sampleRate'],
    ['missing_field', '{"kind":"DtmfData","dtmfData":{}}', 'no data'],
    ['missing_field', '{"kind":"DtmfData","dtmfData":{"data":""}}', 'dtmfData.data is empty'],
    ['invalid_field', '{"kind":7}', 'kind is not a string'],
    ['invalid_field', '{"kind":"AudioData","audioData":"AAAA"}', 'audioData is not an object'],
    ['invalid_field', '{"kind":"AudioData","audioData":[]}', 'audioData is not an object'],
    ['invalid_field', '{"kind":"AudioData","audioData":{"data":42}}', 'data is not a string'],
    [
      'invalid_field',
      '{"kind":"AudioData","audioData":{"data":"","silent":"false"}}',
      'silent is not a boolean',
    ],
    [
      'invalid_field',
      '{"kind":"AudioData","audioData":{"data":"","timestamp":1}}',
      'timestamp is not a string',
    ],
    [
      'invalid_field',
      '{"kind":"AudioData","audioData":{"data":"","participantRawID":{}}}',
      'participantRawID is not a string',
    ],
    ['invalid_field', '{"kind":"AudioMetadata","audioMetadata":{"sampleRate":16000,"length":-1}}', 'length'],
    [
      'invalid_field',
      '{"kind":"AudioMetadata","audioMetadata":{"sampleRate":16000,"channels":1.5}}',
      'channels',
    ],
    [
      'invalid_field',
      '{"kind":"AudioMetadata","audioMetadata":{"sampleRate":16000,"subscriptionId":5}}',
      'subscriptionId is not a string',
    ],
    ['unknown_kind', '{"kind":"StopAudio","StopAudio":{}}', 'kind "StopAudio"'],
    ['unknown_kind', '{"kind":"DtmfMetadata","dtmfMetadata":{}}', 'kind "DtmfMetadata"'],
    ['unknown_kind', '{"kind":"Audio"}', 'kind "Audio"'],
    ['invalid_base64', '{"kind":"AudioData","audioData":{"data":"AA"}}', 'not standard padded base64'],
    ['invalid_base64', '{"kind":"AudioData","audioData":{"data":"AA-_"}}', 'base64'],
    ['invalid_base64', '{"kind":"AudioData","audioData":{"data":" AAAA"}}', 'base64'],
    ['invalid_base64', '{"kind":"AudioData","audioData":{"data":"AAAA\\n"}}', 'base64'],
    ['invalid_base64', '{"kind":"AudioData","audioData":{"data":"AA==AA=="}}', 'base64'],
    ['invalid_base64', '{"kind":"AudioData","audioData":{"data":"AAB="}}', 'base64'],
    ['bad_frame_length', '{"kind":"AudioData","audioData":{"data":"AA=="}}', '1 bytes, not a whole number'],
    ['bad_frame_length', '{"kind":"AudioData","audioData":{"data":"AAAA"}}', '3 bytes'],
    [
      'bad_sample_rate',
      '{"kind":"AudioMetadata","audioMetadata":{"sampleRate":8000}}',
      'sampleRate 8000 is not',
    ],
    [
      'bad_sample_rate',
      '{"kind":"AudioMetadata","audioMetadata":{"sampleRate":"16000"}}',
      'sampleRate "16000"',
    ],
    ['bad_sample_rate', '{"kind":"AudioMetadata","audioMetadata":{"sampleRate":[16000]}}', 'an array'],
    [
      'unsupported_format',
      '{"kind":"AudioMetadata","audioMetadata":{"sampleRate":16000,"encoding":"OPUS"}}',
      'encoding "OPUS" is not PCM',
    ],
    [
      'unsupported_format',
      '{"kind":"AudioMetadata","audioMetadata":{"sampleRate":16000,"channels":2}}',
      '2 channels',
    ],
  ];

  it.each(cases)('%s: %s', (reason, text, message) => {
    const result = parseAcsMessage(text);
    expect(result).toBeInstanceOf(AcsParseError);
    expect(result).toBeInstanceOf(RtvoiceError);
    expect(result).toMatchObject({ reason, code: 'ACS_PROTOCOL', message: expect.stringContaining(message) });
  });

  it('returns an error for large garbage instead of throwing, with a short message', () => {
    const random = Array.from({ length: 1 << 20 }, (_, i) => String.fromCharCode((i * 7919) % 65536)).join(
      '',
    );
    expect(parseAcsMessage(random)).toMatchObject({ reason: 'not_json' });
    expect(parseAcsMessage('['.repeat(1 << 20))).toMatchObject({ reason: 'not_json' });
    const hugeKind = parseAcsMessage(JSON.stringify({ kind: 'x'.repeat(1 << 20) }));
    expect(hugeKind).toMatchObject({ reason: 'unknown_kind' });
    expect((hugeKind as AcsParseError).message.length).toBeLessThan(100);
    const hugeData = `{"kind":"AudioData","audioData":{"data":"${'A!'.repeat(1 << 21)}"}}`;
    expect(parseAcsMessage(hugeData)).toMatchObject({ reason: 'invalid_base64' });
  });
});

describe('validateAudioFrame', () => {
  it.each([
    [16000, 320, undefined],
    [24000, 480, undefined],
    [16000, 319, 'ACS audio frame has 319 samples; 20 ms at 16000 Hz is 320'],
    [16000, 321, 'has 321 samples'],
    [16000, 480, 'has 480 samples'],
    [24000, 320, 'ACS audio frame has 320 samples; 20 ms at 24000 Hz is 480'],
    [24000, 0, 'has 0 samples'],
  ] as const)('at %i Hz, %i samples', (rate, length, expected) => {
    const problem = validateAudioFrame(new Int16Array(length), rate);
    if (expected === undefined) expect(problem).toBeUndefined();
    else expect(problem).toContain(expected);
  });

  it('agrees with the sizes ACS announces (640 and 960 bytes)', () => {
    expect(samplesPerFrame(16000) * 2).toBe(640);
    expect(samplesPerFrame(24000) * 2).toBe(960);
  });
});

describe('server → ACS', () => {
  it('encodes audio and stop byte for byte', () => {
    expect(encodeAcsAudio(Int16Array.from([1, -1, 32767, -32768]))).toBe(
      '{"kind":"AudioData","AudioData":{"data":"AQD///9/AIA="},"StopAudio":null}',
    );
    expect(ACS_STOP_AUDIO).toBe('{"Kind":"StopAudio","AudioData":null,"StopAudio":{}}');
  });

  it('round-trips audio and stop through the simulator parser', () => {
    expect(outboundSamples(parseAcsOutbound(encodeAcsAudio(FRAME)))).toEqual([...FRAME]);
    expect(parseAcsOutbound(ACS_STOP_AUDIO)).toEqual({ kind: 'stop' });
    // Agent audio goes out in chunks of any size, not just 20 ms.
    const odd = Int16Array.from({ length: 777 }, (_, i) => i);
    expect(outboundSamples(parseAcsOutbound(encodeAcsAudio(odd)))).toEqual([...odd]);
  });

  it.each([
    [
      '.NET OutStreamingData',
      `{"Kind":"AudioData","AudioData":{"Data":"${B64}","Timestamp":"0001-01-01T00:00:00+00:00","Participant":null,"IsSilent":false},"StopAudio":null}`,
      '{"Kind":"StopAudio","AudioData":null,"StopAudio":{}}',
    ],
    [
      'Python docs / accel',
      `{"Kind":"AudioData","AudioData":{"Data":"${B64}"},"StopAudio":null}`,
      '{"Kind":"StopAudio","AudioData":null,"StopAudio":{}}',
    ],
    [
      'JS SDK',
      `{"kind":"audioData","audioData":{"data":"${B64}","isSilent":false},"stopAudio":{}}`,
      '{"kind":"stopAudio","stopAudio":{}}',
    ],
  ])('accepts the %s spelling', (_name, play, stop) => {
    expect(outboundSamples(parseAcsOutbound(play))).toEqual([...FRAME]);
    expect(parseAcsOutbound(stop)).toEqual({ kind: 'stop' });
  });

  it.each([
    ['not_json', '{'],
    ['not_object', '[1]'],
    ['missing_field', '{"AudioData":{"Data":"AAAA"}}'],
    ['missing_field', '{"Kind":"AudioData","AudioData":null,"StopAudio":{}}'],
    ['missing_field', '{"Kind":"AudioData","AudioData":{"Data":null}}'],
    ['invalid_field', '{"Kind":"AudioData","AudioData":{"Data":[]}}'],
    ['unknown_kind', '{"kind":"AudioMetadata","audioMetadata":{"sampleRate":16000}}'],
    ['invalid_base64', '{"Kind":"AudioData","AudioData":{"Data":"AAA"}}'],
    ['bad_frame_length', '{"Kind":"AudioData","AudioData":{"Data":"AAAA"}}'],
  ] as const)('reports %s for %s', (reason, text) => {
    expect(parseAcsOutbound(text)).toMatchObject({ reason });
  });
});

describe('ACS side (simulator) → server', () => {
  it.each([16000, 24000] as const)('round-trips metadata at %i Hz', (rate) => {
    expect(parseAcsMessage(encodeAcsMetadata(rate, 'sub-1'))).toEqual({
      kind: 'metadata',
      sampleRate: rate,
      subscriptionId: 'sub-1',
      encoding: 'PCM',
      channels: 1,
      length: samplesPerFrame(rate) * 2,
    });
  });

  it('gives each stream a fresh subscription id by default', () => {
    const first = ok(parseAcsMessage(encodeAcsMetadata(16000)));
    const second = ok(parseAcsMessage(encodeAcsMetadata(16000)));
    expect(first).toMatchObject({ subscriptionId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(first).not.toEqual(second);
  });

  it('encodes inbound audio in the documented shape', () => {
    const text = encodeAcsAudioIn(Int16Array.from([1, -1]), {
      timestamp: '2025-01-01T10:00:00.020Z',
      participantRawID: '4:+15551230000',
      silent: false,
    });
    expect(text).toBe(
      '{"kind":"AudioData","audioData":{"timestamp":"2025-01-01T10:00:00.020Z","participantRawID":"4:+15551230000","data":"AQD//w==","silent":false}}',
    );
    expect(encodeAcsAudioIn(Int16Array.from([1, -1]))).toBe(
      '{"kind":"AudioData","audioData":{"data":"AQD//w=="}}',
    );
    expect(JSON.parse(text)).toBeTypeOf('object');
  });

  it.each([
    ['no options', {}],
    [
      'every option',
      { timestamp: '2025-01-01T10:00:00.020Z', participantRawID: '8:acs:"q"\\', silent: true },
    ],
    ['silent false', { silent: false }],
  ])('round-trips inbound audio with %s', (_name, options) => {
    for (const rate of [16000, 24000] as const) {
      const frame = Int16Array.from({ length: samplesPerFrame(rate) }, (_, i) => (i * 97) % 65536);
      const parsed = audio(parseAcsMessage(encodeAcsAudioIn(frame, options)));
      expect([...parsed.samples]).toEqual([...frame]);
      expect(validateAudioFrame(parsed.samples, rate)).toBeUndefined();
      expect(parsed).toMatchObject({
        timestamp: undefined,
        participantRawID: undefined,
        silent: undefined,
        ...options,
      });
    }
  });

  it('round-trips a blank silent frame', () => {
    const parsed = audio(parseAcsMessage(encodeAcsAudioIn(new Int16Array(0), { silent: true })));
    expect(parsed.samples.length).toBe(0);
    expect(parsed.silent).toBe(true);
  });

  it.each([...'0123456789*#ABCD'])('round-trips DTMF %s', (digit) => {
    expect(parseAcsMessage(encodeAcsDtmf(digit))).toEqual({
      kind: 'dtmf',
      digits: digit,
      timestamp: undefined,
      participantRawID: undefined,
    });
  });

  it.each(['', '12', 'a', 'E', '"'])('refuses to encode DTMF %j', (digit) => {
    expect(() => encodeAcsDtmf(digit)).toThrow(RtvoiceError);
  });
});
