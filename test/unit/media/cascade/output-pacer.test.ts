import { describe, expect, it } from 'vitest';
import { PacingClock } from '../../../../src/audio/pacing-clock.ts';
import { OutputPacer } from '../../../../src/media/cascade/output-pacer.ts';

/** A pacer on a hand-moved clock: `advance(ms)` moves time and ticks it. */
function pacer(leadMs = 40) {
  let now = 1000;
  const sent: number[] = [];
  const p = new OutputPacer({
    sampleRate: 16000,
    leadMs,
    send: (frame, turn) => sent.push(frame.length, turn),
    now: () => now,
    clock: new PacingClock({ frameMs: 1_000_000 }), // never fires by itself
  });
  const advance = (ms: number) => {
    for (let t = 0; t < ms; t += 20) {
      now += 20;
      p.onTick();
    }
  };
  return { p, sent, advance, frames: () => sent.length / 2 };
}

const audio = (ms: number) => new Int16Array((16000 * ms) / 1000).fill(1000);

describe('OutputPacer', () => {
  it('sends exact 20 ms frames at real-time pace, only the lead ahead of playback', () => {
    const { p, sent, advance, frames } = pacer(40);
    p.enqueue(audio(200), { turn: 1, textStart: 0, textEnd: 20 });
    expect(frames()).toBe(2); // 40 ms ahead at once
    advance(100);
    expect(frames()).toBe(7);
    advance(200);
    expect(frames()).toBe(10);
    expect(sent.filter((_, i) => i % 2 === 0).every((n) => n === 320)).toBe(true);
  });

  it('knows which text was heard from the playback clock, not from what was sent', () => {
    const { p, advance } = pacer(200);
    p.enqueue(audio(400), { turn: 3, textStart: 0, textEnd: 40 });
    expect(p.sentPosition).toBe(200);
    advance(100); // 100 ms of 400 played
    expect(p.playedMs()).toBe(100);
    expect(p.heardChars(3)).toBe(10);
    expect(p.heardChars(2)).toBe(0);
  });

  it('holds, resumes, and clears: nothing queued is sent after a clear, and drained() resolves', async () => {
    const { p, advance, frames } = pacer(40);
    p.enqueue(audio(200), { turn: 1, textStart: 0, textEnd: 10 });
    p.hold();
    advance(100);
    expect(frames()).toBe(2);
    p.resume(); // the far end ran dry meanwhile: the lead is sent again at once
    expect(frames()).toBe(4);
    const stoppedAt = p.clear();
    expect(stoppedAt).toBeLessThanOrEqual(p.sentPosition);
    advance(200);
    expect(frames()).toBe(4);
    await p.drained();
  });

  it('pads the last frame of a turn with silence, and close() releases drained() waiters', async () => {
    const { p, sent, frames } = pacer(1000);
    p.enqueue(audio(30), { turn: 1, textStart: 0, textEnd: 5 });
    expect(frames()).toBe(1);
    const waiting = p.drained();
    p.close(); // with 10 ms still in the framer
    await waiting;
    const { p: other, frames: otherFrames } = pacer(1000);
    other.enqueue(audio(30), { turn: 1, textStart: 0, textEnd: 5 });
    other.endOfTurn();
    expect(otherFrames()).toBe(2);
    expect(sent[0]).toBe(320);
  });
});
