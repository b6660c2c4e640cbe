import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallErrorKind, CallRecord, TurnRecord } from '../../../src/load/call-record.ts';
import { renderHtml } from '../../../src/load/html-report.ts';
import { buildReport, LiveStats, type LoadReport, type TimelinePoint } from '../../../src/load/report.ts';
import { evaluateSlos, parseSlos } from '../../../src/load/slo.ts';
import { findChromium } from '../../helpers/browser.ts';

const chromiumFound = findChromium();
const skipReason = 'skipReason' in chromiumFound ? chromiumFound.skipReason : undefined;

const HOSTILE = '<script>alert(1)</script>';

/** Deterministic "random" numbers, so the page is the same every run. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A run of 240 calls of 4 turns against a server that slows down under load, with a few failures. */
function realisticReport(): LoadReport {
  const rnd = random(42);
  const logNormal = (median: number, spread: number) =>
    median * Math.exp(spread * Math.sqrt(-2 * Math.log(rnd() || 1e-9)) * Math.cos(2 * Math.PI * rnd()));
  const live = new LiveStats();
  const records: CallRecord[] = [];
  const timeline: TimelinePoint[] = [];
  for (let i = 0; i < 240; i++) {
    const load = Math.min(1, i / 120);
    live.callStarted();
    const failure: CallErrorKind | undefined =
      i % 61 === 60 ? 'connect_failed' : i % 97 === 50 ? 'server_closed' : undefined;
    const turns: TurnRecord[] = [];
    for (let index = 0; index < (failure === 'connect_failed' ? 0 : 4); index++) {
      const v2v = logNormal(550 + 300 * load, 0.25);
      const bargeIn = index === 2 && rnd() < 0.5;
      const record: TurnRecord = {
        index,
        userSpeechStartMs: 3000 + index * 6000,
        userSpeechEndMs: 5000 + index * 6000,
        agentFirstAudioMs: 5000 + index * 6000 + v2v,
        voiceToVoiceMs: v2v,
        agentSpeechMs: Math.round(logNormal(2400, 0.3) / 20) * 20,
        bargeIn,
        ...(bargeIn ? { bargeInStopMs: logNormal(180, 0.3) } : {}),
        framesIn: 120,
        framesOut: 300,
        bytesIn: 76_800,
        bytesOut: 192_000,
      };
      turns.push(record);
      live.addTurn(record);
    }
    const errors: CallRecord['errors'] =
      failure === 'connect_failed'
        ? [{ kind: 'connect_failed', reason: 'connect ECONNREFUSED 127.0.0.1:8080', atMs: 2.1 }]
        : failure === 'server_closed'
          ? [{ kind: 'server_closed', reason: 'closed by the server: 1011 internal error', atMs: 14_200 }]
          : i === 7
            ? [{ kind: 'malformed_message', reason: `unreadable message: ${HOSTILE} & "quotes"`, atMs: 900 }]
            : [];
    const record: CallRecord = {
      protocol: 'acs',
      sessionId: `load-${String(i).padStart(4, '0')}`,
      connectMs: failure === 'connect_failed' ? undefined : logNormal(4, 0.4),
      greetingTtfbMs: failure === 'connect_failed' ? undefined : logNormal(250, 0.2),
      greetingSpeechMs: 1800,
      turns,
      errors,
      errorCounts: Object.fromEntries(errors.map((e) => [e.kind, 1])),
      endedBy: failure === 'connect_failed' ? 'error' : failure === 'server_closed' ? 'server' : 'caller',
      durationMs: 26_000,
      framesIn: turns.length * 120 + 90,
      framesOut: turns.length * 300,
      bytesIn: (turns.length * 120 + 90) * 640,
      bytesOut: turns.length * 300 * 640,
      agentPlayedMs: 9000,
      agentDroppedMs: 400,
      agentStops: 1,
      maxBufferedBytes: 0,
    };
    records.push(record);
    live.callEnded(record);
    // 50 concurrent calls after a 10 s ramp-up, draining over the last 26 s.
    const t = i * 500;
    const point = live.timelinePoint(t);
    timeline.push({ ...point, active: Math.round(50 * Math.min(1, t / 10_000, (120_000 - t) / 26_000)) });
  }
  return buildReport(records, timeline, {
    url: 'ws://127.0.0.1:8080',
    protocol: 'acs',
    concurrency: 50,
    conversations: 240,
    turns: 4,
    ramp_up_s: 10,
    duration_s: null,
    scenario: 'examples/load/support-call.yaml',
    started_at: '2025-06-01T12:00:00.000Z',
    finished_at: '2025-06-01T12:02:00.000Z',
    machine: 'linux x64, 2 cores, Node v24',
  });
}

describe.skipIf(skipReason !== undefined)('HTML load report in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: (chromiumFound as { path: string }).path,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('renders the tables and plots without errors, and shows a hostile reason as text', async () => {
    const report = realisticReport();
    const slo = evaluateSlos(report, parseSlos('v2v_p95<900,errors=0,barge_in_p95<300'));
    const html = renderHtml(report, { slo });
    expect(html).not.toContain(HOSTILE);
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('dialog', (dialog) => {
      problems.push(`dialog: ${dialog.message()}`);
      void dialog.dismiss();
    });
    page.on('request', (request) => {
      if (!request.url().startsWith('data:') && request.url() !== 'about:blank') requests.push(request.url());
    });
    await page.setContent(html, { waitUntil: 'load' });

    expect(await page.title()).toBe('rtvoice load report');
    expect(await page.locator('h1').textContent()).toBe('rtvoice load report');
    for (const heading of [
      'SLOs',
      'Run',
      'Latency percentiles (ms)',
      'Latency distributions',
      'Per turn (ms)',
    ]) {
      await expect.poll(() => page.getByRole('heading', { name: heading }).count()).toBeGreaterThan(0);
    }
    // The percentile table: a row per metric, with the report's numbers.
    const v2vRow = page.locator('tr', { hasText: 'voice_to_voice_ms' }).first();
    expect(await v2vRow.textContent()).toContain(
      new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 }).format(
        report.metrics.voice_to_voice_ms.p95!,
      ),
    );
    expect(await page.locator('table').count()).toBeGreaterThanOrEqual(5);
    // One row per turn index.
    const perTurnRows = page.locator('section', { hasText: 'Per turn (ms)' }).locator('tbody tr');
    expect(await perTurnRows.count()).toBe(4);

    // 5 distributions + 3 timeline plots, each drawn at a real size, with bars and lines in them.
    const plots = page.locator('svg.plot');
    expect(await plots.count()).toBe(8);
    for (const plot of await plots.all()) {
      const box = await plot.boundingBox();
      expect(box?.width).toBeGreaterThan(200);
      expect(box?.height).toBeGreaterThan(80);
    }
    expect(await page.locator('svg rect.bar').count()).toBeGreaterThan(50);
    expect(await page.locator('svg polyline').count()).toBeGreaterThanOrEqual(4);

    // The hostile reason is text in the error list, not a script.
    const reason = page.locator('.reason', { hasText: '<script>' });
    expect(await reason.textContent()).toBe(`unreadable message: ${HOSTILE} & "quotes"`);
    expect(await page.locator('script').count()).toBe(0);
    expect(await page.getByText('connect ECONNREFUSED').count()).toBeGreaterThan(0);

    await page.screenshot({ path: '/tmp/rtvoice-report.png', fullPage: true });
    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  });

  it('renders a run where nothing connected', async () => {
    const report = buildReport([], [], {
      url: 'ws://127.0.0.1:1',
      protocol: 'browser',
      concurrency: 1,
      conversations: 1,
      turns: 1,
      ramp_up_s: 0,
      duration_s: 30,
      scenario: null,
      started_at: '2025-06-01T12:00:00.000Z',
      finished_at: '2025-06-01T12:00:01.000Z',
      machine: HOSTILE,
    });
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    await page.setContent(renderHtml(report), { waitUntil: 'load' });
    expect(await page.getByText('No samples.').count()).toBe(5);
    expect(await page.getByText('No errors.').count()).toBe(1);
    expect(await page.getByText(HOSTILE).count()).toBe(1);
    expect(problems).toEqual([]);
    await page.close();
  });
});
