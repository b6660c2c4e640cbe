import { describe, expect, it } from 'vitest';
import { runReadinessChecks, type ReadinessCheck } from '../../../src/server/readiness.ts';

const healthy: ReadinessCheck = { name: 'fine', run: async () => {} };
const failing: ReadinessCheck = {
  name: 'broken',
  run: () => Promise.reject(new Error('connection refused')),
};
const hanging: ReadinessCheck = { name: 'stuck', run: () => new Promise(() => {}) };

describe('runReadinessChecks', () => {
  it('is ready when every check passes', async () => {
    const report = await runReadinessChecks([healthy], 100);
    expect(report.ready).toBe(true);
    expect(report.checks['fine']?.status).toBe('healthy');
  });

  it('names the failing check and its reason', async () => {
    const report = await runReadinessChecks([healthy, failing], 100);
    expect(report.ready).toBe(false);
    expect(report.checks['broken']).toMatchObject({ status: 'unhealthy', error: 'connection refused' });
    expect(report.checks['fine']?.status).toBe('healthy');
  });

  it('bounds a hung check by the timeout and aborts its signal', async () => {
    let aborted = false;
    const watching: ReadinessCheck = {
      name: 'watching',
      run: (signal) =>
        new Promise(() => {
          signal.addEventListener('abort', () => (aborted = true));
        }),
    };
    const started = performance.now();
    const report = await runReadinessChecks([hanging, watching], 80);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(report.checks['stuck']).toMatchObject({ status: 'unhealthy', error: 'no answer within 80 ms' });
    expect(aborted).toBe(true);
  });
});
