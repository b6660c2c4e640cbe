import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { PacingClock, type PacingTick } from '../../../src/audio/pacing-clock.ts';

const busy = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};

describe.concurrent('PacingClock', () => {
  it('beats every 20 ms on a schedule computed from the start, so lateness never accumulates', async () => {
    const clock = new PacingClock();
    const ticks: PacingTick[] = [];
    const stop = clock.add({ onTick: (tick) => ticks.push(tick) });
    await sleep(1010);
    stop();
    // About 50 beats in the second: played, or skipped when a busy machine stalled the event loop.
    const beats = ticks.length + clock.stats.skippedTicks;
    expect(beats).toBeGreaterThanOrEqual(48);
    expect(beats).toBeLessThanOrEqual(52);
    const first = ticks[0]!;
    for (const [i, tick] of ticks.entries()) {
      if (i > 0) expect(tick.index).toBeGreaterThan(ticks[i - 1]!.index);
      expect(tick.deadlineMs - first.deadlineMs).toBeCloseTo((tick.index - first.index) * 20, 6);
      expect(tick.nowMs).toBeGreaterThanOrEqual(tick.deadlineMs);
      expect(tick.isoTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
    expect(clock.listenerCount).toBe(0);
  });

  it('drives many listeners from one timer, and a throwing listener does not stop the others', async () => {
    const clock = new PacingClock();
    const counts = new Array<number>(100).fill(0);
    const stops = counts.map((_, i) =>
      clock.add({
        onTick: () => {
          counts[i]! += 1;
          if (i === 0) throw new Error('listener bug');
        },
      }),
    );
    await sleep(200);
    for (const stop of stops) stop();
    expect(new Set(counts).size).toBe(1);
    expect(counts[0]).toBeGreaterThanOrEqual(8);
  });
});

// Alone: its stalls block the event loop for every test running beside it.
describe('PacingClock under a busy event loop', () => {
  it('catches up after a short stall and skips (counting) beats after a long one', async () => {
    const clock = new PacingClock({ maxCatchUpTicks: 5 });
    const ticks: PacingTick[] = [];
    const stop = clock.add({
      onTick: (tick) => {
        ticks.push(tick);
        if (ticks.length === 5) busy(80); // 4 beats behind: replayed
        if (ticks.length === 20) busy(300); // 15 behind: 10 skipped
      },
    });
    await sleep(1000);
    stop();
    const { lateTicks, skippedTicks, maxLateMs } = clock.stats;
    expect(lateTicks).toBeGreaterThanOrEqual(3);
    // At most 5 of the 15 beats the long stall cost are replayed; a busy machine may skip a few more.
    expect(skippedTicks).toBeGreaterThanOrEqual(9);
    expect(skippedTicks).toBeLessThanOrEqual(15);
    expect(maxLateMs).toBeGreaterThan(95);
    // Over the second: 50 beats, played or skipped.
    expect(ticks.length + skippedTicks).toBeGreaterThanOrEqual(47);
    expect(ticks.length + skippedTicks).toBeLessThanOrEqual(52);
  });
});
