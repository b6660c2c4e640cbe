import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { LatencyTool } from '../../../../src/media/cascade/latency-tool.ts';
import { TURN_METRICS, TurnReports, turnMetrics } from '../../../../src/media/cascade/turn-metrics.ts';
import { MemoManager } from '../../../../src/state/memo-manager.ts';
import { MemorySessionStore } from '../../../../src/state/memory-store.ts';
import { capturingLogger } from '../../../helpers/server.ts';

/** A reply as the reports see it: its latency run and its payload, once. */
function reply(number: number) {
  const latency = new LatencyTool();
  latency.beginRun();
  let finished = false;
  return {
    latency,
    finish: () => {
      if (finished) return undefined;
      finished = true;
      return turnMetrics({ number, interrupted: true, greeting: false }, latency.run);
    },
  };
}

async function reports() {
  const memo = await MemoManager.load('metrics-test', new MemorySessionStore(60), {
    budget: { maxMessages: 10, maxChars: 1000 },
    log: capturingLogger('silent').log,
  });
  const published: Record<string, unknown>[] = [];
  return { memo, published, reports: new TurnReports(memo, (_type, payload) => published.push(payload)) };
}

describe('turn metrics', () => {
  it('names every figure, null where it does not apply', () => {
    const payload = turnMetrics({ number: 3, interrupted: false, greeting: true }, { greeting_ttfb_ms: 120 });
    expect(payload).toMatchObject({ turn: 3, interrupted: false, greeting: true, greeting_ttfb_ms: 120 });
    for (const name of TURN_METRICS) expect(payload).toHaveProperty(name);
    expect(payload['voice_to_voice_ms']).toBeNull();
  });

  it('publishes a reply once and keeps it in the session', async () => {
    const { memo, published, reports: turns } = await reports();
    const one = reply(1);
    turns.finish(one);
    turns.finish(one);
    expect(published).toHaveLength(1);
    expect(memo.getContext<unknown[]>('turn_metrics')).toEqual(published);
  });

  it('waits for the played mark after an interruption, with the time it took', async () => {
    const { published, reports: turns } = await reports();
    const cut = reply(2);
    turns.awaitPlayed(cut, performance.now());
    expect(published).toEqual([]);
    await sleep(30);
    turns.played();
    expect(published).toHaveLength(1);
    expect(published[0]!['barge_in_played_ms']).toBeGreaterThanOrEqual(25);
  });

  it('publishes without the played figure when no mark comes in time, or the call closes', async () => {
    const { published, reports: turns } = await reports();
    turns.awaitPlayed(reply(3), performance.now());
    turns.flush();
    expect(published).toHaveLength(1);
    expect(published[0]!['barge_in_played_ms']).toBeNull();
    turns.played(); // nothing waits any more
    expect(published).toHaveLength(1);
  });
});
