import { describe, expect, it } from 'vitest';
import { toCallReport, type CallRecord } from '../../../src/load/call-record.ts';

describe('toCallReport', () => {
  it('gives the snake_case names of JSON reports, rounds times to 0.1 ms and leaves out absent values', () => {
    const record: CallRecord = {
      protocol: 'acs',
      sessionId: 's1',
      callId: undefined,
      connectMs: 3.14159,
      greetingTtfbMs: 12.06,
      greetingSpeechMs: 600,
      turns: [
        {
          index: 0,
          userSpeechStartMs: 900.123,
          userSpeechEndMs: 1400,
          agentFirstAudioMs: 1712.5,
          voiceToVoiceMs: 312.5,
          agentSpeechMs: 400,
          bargeIn: true,
          bargeInStopMs: 4.44,
          framesIn: 20,
          framesOut: 40,
          bytesIn: 12800,
          bytesOut: 40000,
        },
      ],
      errors: [{ kind: 'invalid_frame', reason: 'bad', atMs: 5.55 }],
      errorCounts: { invalid_frame: 1 },
      durationMs: 2000,
      framesIn: 50,
      framesOut: 100,
      bytesIn: 32000,
      bytesOut: 100000,
      agentPlayedMs: 1000,
      agentDroppedMs: 0,
      agentStops: 1,
      maxBufferedBytes: 0,
    };
    const report = toCallReport(record);
    expect(report).toMatchObject({
      connect_ms: 3.1,
      greeting_ttfb_ms: 12.1,
      greeting_speech_ms: 600,
      error_counts: { invalid_frame: 1 },
      errors: [{ kind: 'invalid_frame', reason: 'bad', at_ms: 5.6 }],
      agent_played_ms: 1000,
    });
    expect(report.turns[0]).toEqual({
      index: 0,
      user_speech_start_ms: 900.1,
      user_speech_end_ms: 1400,
      agent_first_audio_ms: 1712.5,
      voice_to_voice_ms: 312.5,
      agent_speech_ms: 400,
      barge_in: true,
      barge_in_stop_ms: 4.4,
      frames_in: 20,
      frames_out: 40,
      bytes_in: 12800,
      bytes_out: 40000,
    });
    expect('call_id' in report).toBe(false);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });
});
