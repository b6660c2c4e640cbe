import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadReport } from '../../../src/load/report.ts';
import type { RunningServer } from '../../../src/server/server.ts';
import { startMediaServer } from '../../helpers/media.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'rtvoice-load-'));

/** The real `rtvoice load`, as a user runs it. */
async function rtvoiceLoad(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['bin/rtvoice.js', 'load', ...args], {
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

let server: RunningServer;
beforeAll(async () => {
  server = await startMediaServer({ STT_POOL_WARM: '2', TTS_POOL_WARM: '2' });
});
afterAll(() => server.close());

describe('rtvoice load', () => {
  it('runs conversations over ACS, writes JSON and HTML reports and enforces SLOs', async () => {
    const scenario = join(dir, 'scenario.yaml');
    writeFileSync(
      scenario,
      'turns:\n  - say: Bob Martinez.\n  - dtmf: "94105#"\n  - say: I have a question about my policy.\n    barge_in_ms: 1200\n',
    );
    const json = join(dir, 'acs.json');
    const html = join(dir, 'acs.html');
    const result = await rtvoiceLoad(
      '--url',
      server.url,
      '--concurrency',
      '2',
      '--conversations',
      '2',
      '--scenario',
      scenario,
      '--json',
      json,
      '--html',
      html,
      '--slo',
      'v2v_p95<2000,greeting_p95<2000,errors=0',
    );
    expect(result.stderr).not.toMatch(/Error/);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/SLO met {4}v2v_p95<2000/);
    const report = JSON.parse(readFileSync(json, 'utf8')) as LoadReport;
    expect(report.calls).toEqual({ total: 2, completed: 2, failed: 0 });
    expect(report.errors.count).toBe(0);
    for (const key of ['p50', 'p75', 'p90', 'p95', 'p99', 'max'])
      expect(report.metrics.voice_to_voice_ms).toHaveProperty(key);
    // Spoken turns answered without being interrupted (DTMF has no speech end; the barge-in is its own figure).
    expect(report.metrics.voice_to_voice_ms.count).toBeGreaterThanOrEqual(2);
    expect(report.metrics.barge_in_stop_ms.count).toBe(2);
    expect(report.metrics.greeting_ttfb_ms.count).toBe(2);
    expect(report.per_turn.length).toBeGreaterThanOrEqual(1);
    expect(report.timeline.length).toBeGreaterThan(0);
    expect(readFileSync(html, 'utf8')).toMatch(/<svg|<canvas/);

    const strict = await rtvoiceLoad(
      '--url',
      server.url,
      '--scenario',
      scenario,
      '--turns',
      '1',
      '--slo',
      'v2v_p95<1',
    );
    expect(strict.code).toBe(1);
    expect(strict.stdout).toMatch(/SLO FAILED v2v_p95<1/);
  }, 120_000);

  it('talks the browser protocol too', async () => {
    const json = join(dir, 'browser.json');
    const scenario = join(dir, 'browser.yaml');
    writeFileSync(scenario, 'turns:\n  - say: Alice Brown.\n');
    const result = await rtvoiceLoad(
      '--url',
      server.url,
      '--protocol',
      'browser',
      '--scenario',
      scenario,
      '--json',
      json,
    );
    expect(result.code).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8')) as LoadReport;
    expect(report.run.protocol).toBe('browser');
    expect(report.errors.count).toBe(0);
    expect(report.metrics.voice_to_voice_ms.count).toBe(1);
  }, 60_000);

  it('stops starting calls after --duration and hangs up the ones still running', async () => {
    const json = join(dir, 'duration.json');
    const started = performance.now();
    const result = await rtvoiceLoad(
      '--url',
      server.url,
      '--conversations',
      '50',
      '--turns',
      '20',
      '--duration',
      '4',
      '--json',
      json,
    );
    const elapsedS = (performance.now() - started) / 1000;
    expect(result.code).toBe(0);
    expect(elapsedS).toBeLessThan(20); // 50 calls of 20 turns would take many minutes
    const report = JSON.parse(readFileSync(json, 'utf8')) as LoadReport;
    expect(report.run).toMatchObject({ duration_s: 4 });
    expect(report.calls.total).toBe(1); // one lane, and its call outlasts the duration
    expect(report.calls.failed).toBe(0);
    expect(report.metrics.greeting_ttfb_ms.count).toBe(1);
  }, 60_000);

  it('reports an unreachable server as errors, finishes, and fails an errors SLO', async () => {
    const json = join(dir, 'down.json');
    const result = await rtvoiceLoad(
      '--url',
      'ws://127.0.0.1:1',
      '--conversations',
      '3',
      '--json',
      json,
      '--slo',
      'errors=0',
    );
    expect(result.code).toBe(1);
    const report = JSON.parse(readFileSync(json, 'utf8')) as LoadReport;
    expect(report.calls).toMatchObject({ total: 3, failed: 3 });
    expect(report.errors.by_kind).toHaveProperty('connect_failed', 3);
    expect(report.errors.list[0]!.reason).toMatch(/ECONNREFUSED/);
  }, 60_000);

  it('explains bad options and bad scenarios', async () => {
    const protocol = await rtvoiceLoad('--url', server.url, '--protocol', 'sip');
    expect(protocol.code).toBe(2);
    expect(protocol.stderr).toContain('--protocol is acs or browser');
    const slo = await rtvoiceLoad('--url', server.url, '--slo', 'speed>9000');
    expect(slo.code).toBe(2);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'turns:\n  - say: hello\n    dtmf: "1"\n');
    const scenario = await rtvoiceLoad('--url', server.url, '--scenario', bad);
    expect(scenario.code).toBe(2);
    expect(scenario.stderr).toContain('a turn has exactly one of say, audio or dtmf');
  }, 60_000);
});
