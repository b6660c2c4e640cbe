import { describe, expect, it } from 'vitest';
import {
  parseRealtimeClientEvent,
  RealtimeParseError,
  realtimeError,
} from '../../../../src/transports/realtime/realtime-codec.ts';

describe('the OpenAI Realtime codec (GA dialect) of /v1/realtime', () => {
  it('reads client events, decoding appended audio as 24 kHz PCM16', () => {
    const samples = new Int16Array([1, -2, 32767, -32768]);
    const audio = Buffer.from(samples.buffer).toString('base64');
    const parsed = parseRealtimeClientEvent(
      JSON.stringify({ type: 'input_audio_buffer.append', event_id: 'e1', audio }),
    );
    expect(parsed).not.toBeInstanceOf(RealtimeParseError);
    expect(Array.from((parsed as { samples: Int16Array }).samples)).toEqual([1, -2, 32767, -32768]);
    expect(
      parseRealtimeClientEvent(
        JSON.stringify({
          type: 'conversation.item.truncate',
          item_id: 'item_1',
          content_index: 0,
          audio_end_ms: 1200,
        }),
      ),
    ).toEqual({
      event: { type: 'conversation.item.truncate', item_id: 'item_1', content_index: 0, audio_end_ms: 1200 },
    });
    expect(
      parseRealtimeClientEvent(
        JSON.stringify({
          type: 'session.update',
          session: { type: 'realtime', audio: { input: { turn_detection: null } } },
        }),
      ),
    ).not.toBeInstanceOf(RealtimeParseError);
    // The client's tools, and context items of each role.
    expect(
      parseRealtimeClientEvent(
        JSON.stringify({
          type: 'session.update',
          session: { tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object' } }] },
        }),
      ),
    ).not.toBeInstanceOf(RealtimeParseError);
    for (const [role, type] of [
      ['assistant', 'output_text'],
      ['system', 'input_text'],
      ['assistant', 'text'],
    ])
      expect(
        parseRealtimeClientEvent(
          JSON.stringify({
            type: 'conversation.item.create',
            item: { type: 'message', role, content: [{ type, text: 'Earlier words.' }] },
          }),
        ),
      ).not.toBeInstanceOf(RealtimeParseError);
  });

  it('turns each malformed event into the protocol error, with the field at fault and the event id', () => {
    const cases: [string, string, string | null][] = [
      ['{', 'invalid_json', null],
      ['{"type":"nope","event_id":"e2"}', 'unknown_event', 'type'],
      ['{"type":"input_audio_buffer.append","audio":"abc*"}', 'invalid_audio', 'audio'],
      ['{"type":"input_audio_buffer.append","audio":"AAEC"}', 'invalid_audio', 'audio'], // an odd byte count
      [
        '{"type":"conversation.item.truncate","item_id":"i","content_index":0,"audio_end_ms":-1}',
        'invalid_value',
        'audio_end_ms',
      ],
      [
        '{"type":"session.update","session":{"audio":{"input":{"format":{"type":"audio/pcm","rate":16000}}}}}',
        'invalid_value',
        'session.audio.input.format.rate',
      ],
      [
        '{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[]}}',
        'invalid_value',
        'item.content',
      ],
      [
        '{"type":"conversation.item.create","item":{"type":"message","role":"tool","content":[{"type":"input_text","text":"x"}]}}',
        'invalid_value',
        'item.role',
      ],
      [
        '{"type":"session.update","session":{"tools":[{"type":"function","name":"has spaces"}]}}',
        'invalid_value',
        'session.tools.0.name',
      ],
    ];
    for (const [text, code, param] of cases) {
      const parsed = parseRealtimeClientEvent(text);
      expect(parsed, text).toBeInstanceOf(RealtimeParseError);
      const { error } = realtimeError(parsed as RealtimeParseError) as unknown as {
        error: Record<string, unknown>;
      };
      expect(error, text).toMatchObject({ type: 'invalid_request_error', code, param });
    }
    const withId = realtimeError(
      parseRealtimeClientEvent('{"type":"nope","event_id":"e2"}') as RealtimeParseError,
    );
    expect((withId as unknown as { error: { event_id: string } }).error.event_id).toBe('e2');
  });
});
