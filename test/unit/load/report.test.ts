import { describe, expect, it } from 'vitest';
import type { CallRecord, TurnRecord } from '../../../src/load/call-record.ts';
import {
  buildReport,
  isFailedCall,
  LiveStats,
  LOAD_METRICS,
  MAX_LISTED_ERRORS,
  type LoadRunInfo,
  type TimelinePoint,
} from '../../../src/load/report.ts';

const RUN: LoadRunInfo = {
  url: 'ws://127.0.0.1:8080',
  protocol: 'acs',
  concurrency: 10,
  conversations: 20,
  turns: 3,
  ramp_up_s: 5,
  duration_s: null,
  scenario: null,
  started_at: '2025-01-01T00:00:00.000Z',
  finished_at: '2025-01-01T00:01:00.000Z',
  machine: 'linux x64, 2 cores',
};

function turn(index: number, fields: Partial<TurnRecord> = {}): TurnRecord {
  return {
    index,
    userSpeechStartMs: 1000 * index,
    agentSpeechMs: 0,
    bargeIn: false,
    framesIn: 0,
    framesOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    ...fields,
  };
}

/** A turn the agent answered after `v2v` ms with `speech` ms of audio. */
function answered(index: number, v2v: number, speech = 1000, extra: Partial<TurnRecord> = {}): TurnRecord {
  return turn(index, {
    userSpeechEndMs: 500,
    agentFirstAudioMs: 500 + v2v,
    voiceToVoiceMs: v2v,
    agentSpeechMs: speech,
    ...extra,
  });
}

function call(fields: Partial<CallRecord> = {}): CallRecord {
  return {
    protocol: 'acs',
    sessionId: 's',
    greetingSpeechMs: 0,
    turns: [],
    errors: [],
    errorCounts: {},
    endedBy: 'caller',
    durationMs: 5000,
    framesIn: 10,
    framesOut: 20,
    bytesIn: 100,
    bytesOut: 200,
    agentPlayedMs: 0,
    agentDroppedMs: 0,
    agentStops: 0,
    maxBufferedBytes: 0,
    ...fields,
  };
}

describe('buildReport', () => {
  it('gives exact percentiles (nearest rank), mean and max of known samples, to 0.1 ms', () => {
    // Voice-to-voice 1..100 ms, one turn per call; connect 10.04 ms rounds to 10 ms.
    const records = Array.from({ length: 100 }, (_, i) =>
      call({ sessionId: `s${i}`, connectMs: 10.04, greetingTtfbMs: 200 + i, turns: [answered(0, i + 1)] }),
    );
    const report = buildReport(records, [], RUN);
    expect(report.metrics.voice_to_voice_ms).toEqual({
      count: 100,
      mean: 50.5,
      p50: 50,
      p75: 75,
      p90: 90,
      p95: 95,
      p99: 99,
      max: 100,
    });
    expect(report.metrics.connect_ms).toMatchObject({ count: 100, p50: 10, max: 10, mean: 10 });
    expect(report.metrics.greeting_ttfb_ms).toMatchObject({ count: 100, p50: 249, p99: 298, max: 299 });
    expect(report.run).toEqual(RUN);
  });

  it('keeps 0.1 ms precision below 1.6 s and HDR precision (0.01 %) up to minutes', () => {
    const values = [123.4, 567.8, 1234.5, 45_678.9, 540_000];
    const records = values.map((v, i) => call({ sessionId: `s${i}`, turns: [answered(0, v)] }));
    const stats = buildReport(records, [], RUN).metrics.voice_to_voice_ms;
    expect(stats.p50).toBe(1234.5);
    expect(stats.max).toBe(540_000);
    // HDR reports the top of a value's bucket; it never passes the exact max.
    expect(stats.p75).toBeCloseTo(45_678.9, -1);
    expect(stats.p99).toBeLessThanOrEqual(540_000);
    expect(stats.mean).toBe(Math.round((values.reduce((a, b) => a + b, 0) / 5) * 10) / 10);
  });

  it('agrees with exact nearest-rank percentiles on 10 000 spread samples (0.01 %)', () => {
    let state = 1;
    const next = () => ((state = (state * 48271) % 2147483647) / 2147483647) * 60_000;
    const values = Array.from({ length: 10_000 }, () => Math.round(next() * 10) / 10);
    const records = values.map((v, i) => call({ sessionId: `s${i}`, turns: [answered(0, v)] }));
    const stats = buildReport(records, [], RUN).metrics.voice_to_voice_ms;
    const sorted = [...values].sort((a, b) => a - b);
    for (const [stat, percentile] of [
      ['p50', 50],
      ['p75', 75],
      ['p90', 90],
      ['p95', 95],
      ['p99', 99],
    ] as const) {
      const exact = sorted[Math.ceil((percentile / 100) * sorted.length) - 1]!;
      expect(Math.abs(stats[stat]! - exact)).toBeLessThanOrEqual(exact * 1e-4 + 0.1);
    }
    expect(stats.max).toBe(sorted.at(-1));
  });

  it('splits the per-turn metrics by turn index and pools them overall', () => {
    const records = [
      call({
        turns: [answered(0, 300), answered(1, 600, 2000, { bargeIn: true, bargeInStopMs: 150 }), turn(2)],
      }),
      call({ turns: [answered(0, 500), answered(1, 800)] }),
    ];
    const report = buildReport(records, [], RUN);
    expect(report.per_turn.map((t) => t.turn)).toEqual([0, 1, 2]);
    const [first, second, third] = report.per_turn;
    expect(first?.metrics.voice_to_voice_ms).toMatchObject({ count: 2, p50: 300, max: 500, mean: 400 });
    expect(second?.metrics.voice_to_voice_ms).toMatchObject({ count: 2, p50: 600, max: 800 });
    expect(second?.metrics.barge_in_stop_ms).toMatchObject({ count: 1, p50: 150 });
    expect(first?.metrics.barge_in_stop_ms).toMatchObject({ count: 0, p50: null });
    // The unanswered turn has no voice-to-voice sample and no 0 ms agent speech.
    expect(third?.metrics.voice_to_voice_ms?.count).toBe(0);
    expect(third?.metrics.agent_speech_ms?.count).toBe(0);
    expect(Object.keys(first?.metrics ?? {}).sort()).toEqual([
      'agent_speech_ms',
      'barge_in_stop_ms',
      'voice_to_voice_ms',
    ]);
    expect(report.metrics.voice_to_voice_ms).toMatchObject({ count: 4, p50: 500, max: 800 });
    expect(report.metrics.agent_speech_ms).toMatchObject({ count: 4, max: 2000 });
    expect(report.metrics.barge_in_stop_ms.count).toBe(1);
  });

  it('tells failed calls from completed ones', () => {
    const records = [
      call(),
      // An invalid frame or a timeout does not fail the call as a whole.
      call({ errorCounts: { invalid_frame: 3, timeout: 1 } }),
      call({ endedBy: 'error', errorCounts: { connect_failed: 1 } }),
      call({ errorCounts: { upgrade_refused: 1 }, httpStatus: 503 }),
      call({ endedBy: 'server', errorCounts: { server_closed: 1 } }),
      call({ errorCounts: { connect_timeout: 1 } }),
      call({ endedBy: 'error' }),
    ];
    expect(records.map(isFailedCall)).toEqual([false, false, true, true, true, true, true]);
    expect(buildReport(records, [], RUN).calls).toEqual({ total: 7, completed: 2, failed: 5 });
  });

  it('counts every error exactly, by kind, and lists them with their call up to the cap', () => {
    const records = [
      call({
        sessionId: 'a',
        errors: [
          { kind: 'invalid_frame', reason: 'frame of 3 bytes', atMs: 12.345 },
          { kind: 'malformed_message', reason: '<script>alert(1)</script>', atMs: 20 },
        ],
        // 250 invalid frames, only the first kept in the call's list.
        errorCounts: { invalid_frame: 250, malformed_message: 1 },
      }),
      call({ sessionId: 'b' }),
      call({
        sessionId: 'c',
        endedBy: 'error',
        errors: [{ kind: 'connect_failed', reason: 'ECONNREFUSED', atMs: 1 }],
        errorCounts: { connect_failed: 1 },
      }),
    ];
    const { errors } = buildReport(records, [], RUN);
    expect(errors.count).toBe(252);
    expect(errors.by_kind).toEqual({ invalid_frame: 250, malformed_message: 1, connect_failed: 1 });
    expect(errors.list).toEqual([
      { call: 0, session_id: 'a', kind: 'invalid_frame', reason: 'frame of 3 bytes', at_ms: 12.3 },
      { call: 0, session_id: 'a', kind: 'malformed_message', reason: '<script>alert(1)</script>', at_ms: 20 },
      { call: 2, session_id: 'c', kind: 'connect_failed', reason: 'ECONNREFUSED', at_ms: 1 },
    ]);

    const many = Array.from({ length: 30 }, (_, i) =>
      call({
        sessionId: `m${i}`,
        errors: Array.from({ length: 100 }, (_, j) => ({ kind: 'timeout' as const, reason: 'r', atMs: j })),
        errorCounts: { timeout: 100 },
      }),
    );
    const capped = buildReport(many, [], RUN).errors;
    expect(capped.count).toBe(3000);
    expect(capped.by_kind).toEqual({ timeout: 3000 });
    expect(capped.list).toHaveLength(MAX_LISTED_ERRORS);
  });

  it('gives null statistics for metrics without samples, and an empty run is still a report', () => {
    const report = buildReport([call({ connectMs: undefined })], [], RUN);
    for (const metric of LOAD_METRICS) {
      expect(report.metrics[metric]).toEqual({
        count: 0,
        mean: null,
        p50: null,
        p75: null,
        p90: null,
        p95: null,
        p99: null,
        max: null,
      });
      expect(report.distributions[metric]).toEqual({ from_ms: 0, bin_ms: 0, counts: [], above: 0 });
    }
    const empty = buildReport([], [], RUN);
    expect(empty.calls).toEqual({ total: 0, completed: 0, failed: 0 });
    expect(empty.per_turn).toEqual([]);
    expect(empty.errors).toEqual({ count: 0, by_kind: {}, list: [] });
    expect(JSON.parse(JSON.stringify(empty))).toEqual(empty);
  });

  it('sums frames and sorts and rounds the timeline', () => {
    const timeline: TimelinePoint[] = [
      { t_ms: 2000.04, active: 2, done: 1, errors: 0, voice_to_voice_p95_ms: 412.345 },
      { t_ms: 1000, active: 1, done: 0, errors: 0, voice_to_voice_p95_ms: null },
    ];
    const report = buildReport([call(), call()], timeline, RUN);
    expect(report.frames).toEqual({ in: 20, out: 40, bytes_in: 200, bytes_out: 400 });
    expect(report.timeline).toEqual([
      { t_ms: 1000, active: 1, done: 0, errors: 0, voice_to_voice_p95_ms: null },
      { t_ms: 2000, active: 2, done: 1, errors: 0, voice_to_voice_p95_ms: 412.3 },
    ]);
  });

  it('bins the distribution of each metric and counts far outliers apart', () => {
    const v2v = [...Array.from({ length: 200 }, (_, i) => 400 + (i % 100) * 3), 60_000];
    const records = v2v.map((v, i) => call({ sessionId: `s${i}`, turns: [answered(0, v)] }));
    const dist = buildReport(records, [], RUN).distributions.voice_to_voice_ms;
    expect(dist.counts.reduce((a, b) => a + b, 0) + dist.above).toBe(201);
    expect(dist.above).toBe(1);
    expect(dist.from_ms).toBeLessThanOrEqual(400);
    expect(dist.from_ms + dist.counts.length * dist.bin_ms).toBeGreaterThan(697);
    expect(dist.counts.length).toBeGreaterThan(10);
    expect(dist.counts.length).toBeLessThanOrEqual(40);

    const same = buildReport([call({ connectMs: 5 }), call({ connectMs: 5 })], [], RUN).distributions;
    expect(same.connect_ms.counts).toEqual([2]);
  });
});

describe('LiveStats', () => {
  it('counts calls and errors and gives voice-to-voice percentiles over the recent window', () => {
    const live = new LiveStats({ window: 100 });
    expect(live.snapshot()).toEqual({
      active: 0,
      done: 0,
      completed: 0,
      failed: 0,
      errors: 0,
      replies: 0,
      voice_to_voice_p50_ms: null,
      voice_to_voice_p95_ms: null,
    });
    live.callStarted();
    live.callStarted();
    live.callStarted();
    // 100 slow replies, then 100 fast ones push them out of the window.
    for (let i = 1; i <= 100; i++) live.addTurn({ voiceToVoiceMs: 5000 + i });
    expect(live.snapshot().voice_to_voice_p95_ms).toBe(5095);
    for (let i = 1; i <= 100; i++) live.addTurn({ voiceToVoiceMs: i + 0.04 });
    live.addTurn({ voiceToVoiceMs: undefined });
    live.addTurn(turn(3));
    live.callEnded(call({ errorCounts: { invalid_frame: 2 } }));
    live.callEnded(call({ endedBy: 'error', errorCounts: { connect_failed: 1 } }));
    expect(live.snapshot()).toEqual({
      active: 1,
      done: 2,
      completed: 1,
      failed: 1,
      errors: 3,
      replies: 200,
      voice_to_voice_p50_ms: 50,
      voice_to_voice_p95_ms: 95,
    });
    expect(live.timelinePoint(1234.56)).toEqual({
      t_ms: 1234.6,
      active: 1,
      done: 2,
      errors: 3,
      voice_to_voice_p95_ms: 95,
    });
  });

  it('rejects a window that is not a positive integer', () => {
    expect(() => new LiveStats({ window: 0 })).toThrow(RangeError);
  });
});
