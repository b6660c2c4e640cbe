import { describe, expect, it } from 'vitest';
import { envelope } from '../../../../src/connections/envelope.ts';
import { RtvoiceError } from '../../../../src/errors.ts';
import {
  BROWSER_AUDIO_STOP,
  BrowserParseError,
  encodeBrowserAudio,
  encodeBrowserText,
  parseBrowserBinary,
  parseBrowserServerText,
  parseBrowserText,
  type BrowserInboundInput,
  type BrowserParseReason,
} from '../../../../src/transports/browser/browser-codec.ts';

describe('parseBrowserText', () => {
  it.each([
    ['{"type":"start"}', { type: 'start', sample_rate: 16000 }],
    ['{"type":"start","sample_rate":8000}', { type: 'start', sample_rate: 8000 }],
    ['{"type":"start","sample_rate":16000}', { type: 'start', sample_rate: 16000 }],
    ['{"type":"start","sample_rate":24000}', { type: 'start', sample_rate: 24000 }],
    ['{"type":"start","sample_rate":48000}', { type: 'start', sample_rate: 48000 }],
    ['{"type":"played","until_ms":0}', { type: 'played', until_ms: 0 }],
    ['{"type":"played","until_ms":1234.5}', { type: 'played', until_ms: 1234.5 }],
    ['{"type":"user_text","text":"hello"}', { type: 'user_text', text: 'hello' }],
    ['{"type":"user_text","text":"  padded \\n"}', { type: 'user_text', text: 'padded' }],
    [
      JSON.stringify({ type: 'user_text', text: 'x'.repeat(2000) }),
      { type: 'user_text', text: 'x'.repeat(2000) },
    ],
    ['{"type":"dtmf","digits":"123#"}', { type: 'dtmf', digits: '123#' }],
    ['{"type":"dtmf","digits":"*0ABCD9"}', { type: 'dtmf', digits: '*0ABCD9' }],
    ['{"type":"played","until_ms":40,"seq":3}', { type: 'played', until_ms: 40 }],
  ])('accepts %s', (text, expected) => {
    expect(parseBrowserText(text)).toEqual(expected);
  });

  const errors: [BrowserParseReason, string, string][] = [
    ['not_json', 'hello', 'text frame is not JSON'],
    ['not_json', '', 'not JSON'],
    ['not_object', '[{"type":"start"}]', 'not a JSON object'],
    ['not_object', 'null', 'not a JSON object'],
    ['not_object', '"start"', 'not a JSON object'],
    ['unknown_type', '{}', 'unknown message type (none); expected one of start, played, user_text, dtmf'],
    ['unknown_type', '{"type":"stop"}', 'unknown message type "stop"'],
    ['unknown_type', '{"type":"START"}', 'unknown message type "START"'],
    ['unknown_type', '{"type":"toString"}', '"toString"'],
    ['unknown_type', '{"type":5}', 'unknown message type 5'],
    ['unknown_type', '{"type":{"a":1}}', 'of the wrong JSON type'],
    [
      'invalid_message',
      '{"type":"start","sample_rate":44100}',
      'invalid start message: sample_rate must be one of 8000, 16000, 24000, 48000',
    ],
    ['invalid_message', '{"type":"start","sample_rate":"16000"}', 'sample_rate must be one of'],
    ['invalid_message', '{"type":"start","sample_rate":null}', 'sample_rate must be one of'],
    ['invalid_message', '{"type":"played"}', 'invalid played message: until_ms must be a finite number'],
    ['invalid_message', '{"type":"played","until_ms":"5"}', 'until_ms must be a finite number'],
    ['invalid_message', '{"type":"played","until_ms":1e999}', 'until_ms must be a finite number'],
    ['invalid_message', '{"type":"played","until_ms":-1}', 'until_ms must not be negative'],
    ['invalid_message', '{"type":"user_text"}', 'text must be a string'],
    ['invalid_message', '{"type":"user_text","text":""}', 'text must not be blank'],
    ['invalid_message', '{"type":"user_text","text":" \\t\\n"}', 'text must not be blank'],
    [
      'invalid_message',
      JSON.stringify({ type: 'user_text', text: 'x'.repeat(2001) }),
      'at most 2000 characters',
    ],
    ['invalid_message', '{"type":"dtmf","digits":""}', 'digits must be 1 to 32 of 0-9 * # A-D'],
    ['invalid_message', '{"type":"dtmf","digits":"12a"}', 'digits must be'],
    ['invalid_message', '{"type":"dtmf","digits":"E"}', 'digits must be'],
    ['invalid_message', '{"type":"dtmf","digits":"1 2"}', 'digits must be'],
    ['invalid_message', JSON.stringify({ type: 'dtmf', digits: '1'.repeat(33) }), 'digits must be'],
    ['invalid_message', '{"type":"dtmf","digits":12}', 'digits must be a string'],
  ];

  it.each(errors)('%s: %s', (reason, text, message) => {
    const result = parseBrowserText(text);
    expect(result).toBeInstanceOf(BrowserParseError);
    expect(result).toBeInstanceOf(RtvoiceError);
    expect(result).toMatchObject({
      reason,
      code: 'BROWSER_PROTOCOL',
      message: expect.stringContaining(message),
    });
  });

  it('returns an error for large garbage instead of throwing', () => {
    const random = Array.from({ length: 1 << 20 }, (_, i) => String.fromCharCode((i * 7919) % 65536)).join(
      '',
    );
    expect(parseBrowserText(random)).toMatchObject({ reason: 'not_json' });
    expect(parseBrowserText('{'.repeat(1 << 20))).toMatchObject({ reason: 'not_json' });
    const hugeType = parseBrowserText(JSON.stringify({ type: 'x'.repeat(1 << 20) }));
    expect(hugeType).toMatchObject({ reason: 'unknown_type' });
    expect((hugeType as BrowserParseError).message.length).toBeLessThan(200);
    const hugeText = parseBrowserText(JSON.stringify({ type: 'user_text', text: 'y'.repeat(1 << 22) }));
    expect(hugeText).toMatchObject({ reason: 'invalid_message' });
    expect((hugeText as BrowserParseError).message.length).toBeLessThan(200);
  });
});

describe('parseBrowserBinary', () => {
  it('reads little-endian PCM16 into samples that own their memory', () => {
    const samples = parseBrowserBinary(Buffer.from([0x01, 0x00, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x80]));
    expect(samples).toEqual(Int16Array.from([1, -1, 32767, -32768]));
    const own = samples as Int16Array;
    expect(own.buffer.byteLength).toBe(own.byteLength);
  });

  it('reads a frame at an odd offset inside a larger buffer', () => {
    const backing = Buffer.from([9, 0x02, 0x00, 0xfe, 0xff, 9]);
    expect(parseBrowserBinary(backing.subarray(1, 5))).toEqual(Int16Array.from([2, -2]));
  });

  it.each([0, 2, 640, 1922])('accepts %i bytes', (n) => {
    expect(parseBrowserBinary(Buffer.alloc(n))).toEqual(new Int16Array(n / 2));
  });

  it.each([1, 3, 641])('rejects %i bytes', (n) => {
    expect(parseBrowserBinary(Buffer.alloc(n))).toMatchObject({
      reason: 'bad_frame_length',
      message: `audio frame has ${n} bytes, not a whole number of 16-bit samples`,
    });
  });
});

describe('browser client → server round trip', () => {
  it.each<BrowserInboundInput>([
    { type: 'start', sample_rate: 48000 },
    { type: 'played', until_ms: 2500 },
    { type: 'user_text', text: 'What is my balance? "quoted" \\ ünïcödé 👋' },
    { type: 'dtmf', digits: '0123456789*#ABCD' },
  ])('$type', (message) => {
    expect(parseBrowserText(encodeBrowserText(message))).toEqual(message);
  });

  it('fills in the default sample rate', () => {
    expect(parseBrowserText(encodeBrowserText({ type: 'start' }))).toEqual({
      type: 'start',
      sample_rate: 16000,
    });
  });

  it('audio', () => {
    const frame = Int16Array.from({ length: 320 }, (_, i) => (i - 160) * 200);
    expect(parseBrowserBinary(encodeBrowserAudio(frame))).toEqual(frame);
  });
});

describe('parseBrowserServerText', () => {
  it('recognises audio_stop', () => {
    expect(parseBrowserServerText(BROWSER_AUDIO_STOP)).toEqual({
      kind: 'control',
      control: { type: 'control', action: 'audio_stop' },
    });
  });

  it('keeps the extra keys of other control messages', () => {
    expect(parseBrowserServerText('{"type":"control","action":"tts_cancelled","reason":"barge_in"}')).toEqual(
      {
        kind: 'control',
        control: { type: 'control', action: 'tts_cancelled', reason: 'barge_in' },
      },
    );
  });

  it('round-trips an envelope', () => {
    const sent = envelope('assistant_streaming', { sessionId: 's-1', callId: 'c-1' }, { content: 'Hi' });
    expect(parseBrowserServerText(JSON.stringify(sent))).toEqual({ kind: 'envelope', envelope: sent });
  });

  it.each([
    ['not_json', '<html>', 'not JSON'],
    ['not_object', '[]', 'not a JSON object'],
    [
      'unknown_type',
      '{"type":"audio_data"}',
      'unknown message type "audio_data"; expected control or an envelope',
    ],
    ['unknown_type', '{"action":"audio_stop"}', 'unknown message type (none)'],
    ['invalid_message', '{"type":"control"}', 'invalid control message: action must be a string'],
    ['invalid_message', '{"type":"control","action":""}', 'action must not be empty'],
    [
      'invalid_message',
      '{"type":"status","topic":"session","sender":"System","ts":"2025-01-01T00:00:00Z","payload":{}}',
      'invalid status message: session_id',
    ],
    [
      'invalid_message',
      '{"type":"status","topic":"session","session_id":"s","sender":"System","ts":"yesterday","payload":{}}',
      'ts',
    ],
  ] as const)('%s: %s', (reason, text, message) => {
    expect(parseBrowserServerText(text)).toMatchObject({ reason, message: expect.stringContaining(message) });
  });
});
