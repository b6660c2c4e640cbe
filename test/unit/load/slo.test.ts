import { describe, expect, it } from 'vitest';
import { RtvoiceError } from '../../../src/errors.ts';
import { buildReport, type LoadReport } from '../../../src/load/report.ts';
import { evaluateSlos, parseSlos, type Slo } from '../../../src/load/slo.ts';

function parseError(text: string): RtvoiceError {
  try {
    parseSlos(text);
  } catch (err) {
    if (err instanceof RtvoiceError) return err;
    throw err;
  }
  throw new Error(`parsed: ${text}`);
}

describe('parseSlos', () => {
  it('reads every operator, aliases and full metric names', () => {
    const slos = parseSlos(
      'v2v_p95<900, errors=0,greeting_p99<=300,barge_in_p95>=10 ,connect_max>0.5,failed_calls==0,' +
        'voice_to_voice_ms_mean<700ms,agent_speech_p50>100,AGENT_SPEECH_MS_P75<5000,',
    );
    expect(slos).toEqual<Slo[]>([
      {
        text: 'v2v_p95<900',
        target: { kind: 'metric', metric: 'voice_to_voice_ms', stat: 'p95' },
        op: '<',
        threshold: 900,
      },
      { text: 'errors=0', target: { kind: 'count', count: 'errors' }, op: '=', threshold: 0 },
      {
        text: 'greeting_p99<=300',
        target: { kind: 'metric', metric: 'greeting_ttfb_ms', stat: 'p99' },
        op: '<=',
        threshold: 300,
      },
      {
        text: 'barge_in_p95>=10',
        target: { kind: 'metric', metric: 'barge_in_stop_ms', stat: 'p95' },
        op: '>=',
        threshold: 10,
      },
      {
        text: 'connect_max>0.5',
        target: { kind: 'metric', metric: 'connect_ms', stat: 'max' },
        op: '>',
        threshold: 0.5,
      },
      { text: 'failed_calls==0', target: { kind: 'count', count: 'failed_calls' }, op: '=', threshold: 0 },
      {
        text: 'voice_to_voice_ms_mean<700ms',
        target: { kind: 'metric', metric: 'voice_to_voice_ms', stat: 'mean' },
        op: '<',
        threshold: 700,
      },
      {
        text: 'agent_speech_p50>100',
        target: { kind: 'metric', metric: 'agent_speech_ms', stat: 'p50' },
        op: '>',
        threshold: 100,
      },
      {
        text: 'AGENT_SPEECH_MS_P75<5000',
        target: { kind: 'metric', metric: 'agent_speech_ms', stat: 'p75' },
        op: '<',
        threshold: 5000,
      },
    ]);
    expect(parseSlos('greeting_p90 < 250')[0]).toMatchObject({ op: '<', threshold: 250 });
  });

  it.each([
    ['', /no SLOs/],
    [' , ', /no SLOs/],
    ['v2v_p95', /"v2v_p95" is not <name><operator><number>.*operators: < <= = >= >/],
    ['v2v_p95!900', /is not <name><operator><number>/],
    ['v2v_p95<', /"" is not a number/],
    ['v2v_p95<fast', /"fast" is not a number/],
    ['v2v_p95<<900', /"<900" is not a number/],
    ['errors=0ms', /"0ms" is not a number/],
    [
      'v2v_p96<900',
      /unknown statistic "p96" of voice_to_voice_ms; use one of p50, p75, p90, p95, p99, max, mean/,
    ],
    ['latency_p95<900', /unknown name "latency_p95"; use <metric>_<stat> with metric one of v2v, greeting/],
    ['v2v<900', /"v2v" needs a statistic, e.g. v2v_p95/],
    ['constructor_p95<1', /unknown name "constructor_p95"/],
    ['__proto__<1', /unknown name "__proto__"/],
    ['warnings=0', /unknown name "warnings".*errors, failed_calls/],
  ])('rejects %j', (text, message) => {
    const err = parseError(text);
    expect(err.code).toBe('SLO_INVALID');
    expect(err.message).toMatch(/^invalid SLO: /);
    expect(err.message).toMatch(message);
  });

  it('names the bad part of a longer list', () => {
    expect(parseError('v2v_p95<900,greeting_p95<abc,errors=0').message).toContain('"greeting_p95<abc"');
  });
});

describe('evaluateSlos', () => {
  const base = buildReport([], [], {
    url: 'ws://x',
    protocol: 'browser',
    concurrency: 1,
    conversations: 1,
    turns: 1,
    ramp_up_s: 0,
    duration_s: null,
    scenario: null,
    started_at: '',
    finished_at: '',
    machine: '',
  });
  const report: LoadReport = {
    ...base,
    calls: { total: 10, completed: 9, failed: 1 },
    errors: { ...base.errors, count: 2 },
    metrics: {
      ...base.metrics,
      voice_to_voice_ms: {
        count: 50,
        mean: 700,
        p50: 650,
        p75: 750,
        p90: 850,
        p95: 900,
        p99: 1200,
        max: 1500,
      },
    },
  };

  it('passes when every SLO holds and fails when one does not', () => {
    const ok = evaluateSlos(
      report,
      parseSlos('v2v_p95<=900,v2v_p99<1300,v2v_mean=700,errors<3,failed_calls>=1'),
    );
    expect(ok.pass).toBe(true);
    expect(ok.results.map((r) => [r.slo, r.actual, r.pass])).toEqual([
      ['v2v_p95<=900', 900, true],
      ['v2v_p99<1300', 1200, true],
      ['v2v_mean=700', 700, true],
      ['errors<3', 2, true],
      ['failed_calls>=1', 1, true],
    ]);
    expect(ok.results[0]?.detail).toBe('900 <= 900');

    const bad = evaluateSlos(report, parseSlos('v2v_p95<900,errors=0,failed_calls=0,v2v_max>2000'));
    expect(bad.pass).toBe(false);
    expect(bad.results.map((r) => r.pass)).toEqual([false, false, false, false]);
    expect(bad.results[0]).toEqual({ slo: 'v2v_p95<900', actual: 900, pass: false, detail: '900 not < 900' });
  });

  it('fails an SLO on a metric with no samples and says so', () => {
    const result = evaluateSlos(report, parseSlos('barge_in_p95<300,v2v_p95<1000'));
    expect(result.pass).toBe(false);
    expect(result.results[0]).toEqual({
      slo: 'barge_in_p95<300',
      actual: null,
      pass: false,
      detail: 'no barge_in_stop_ms samples: nothing to check',
    });
    expect(result.results[1]?.pass).toBe(true);
  });

  it('passes an empty list', () => {
    expect(evaluateSlos(report, [])).toEqual({ pass: true, results: [] });
  });
});
