import { describe, expect, it } from 'vitest';
import { AgentPlayback } from '../../../src/load/agent-audio.ts';

describe('AgentPlayback', () => {
  it('plays audio sent faster than real time at real time', () => {
    const playback = new AgentPlayback();
    for (let i = 0; i < 5; i += 1) playback.enqueue(1000, 20, true); // a 100 ms burst
    expect(playback.playedMs(1000)).toBe(0);
    expect(playback.playedMs(1050)).toBe(50);
    expect(playback.isPlaying(1099)).toBe(true);
    expect(playback.isPlaying(1100)).toBe(false);
    expect(playback.playedMs(2000)).toBe(100);
    expect(playback.quietForMs(1300)).toBe(200);
  });

  it('starts a new run after a gap, and keeps counting played audio across runs', () => {
    const playback = new AgentPlayback();
    playback.enqueue(0, 20, true);
    playback.enqueue(500, 20, true);
    expect(playback.playedMs(510)).toBe(30);
    expect(playback.playedMs(600)).toBe(40);
    expect(playback.receivedMs).toBe(40);
  });

  it('drops what is queued on stop, and ends the speech at once', () => {
    const playback = new AgentPlayback();
    for (let i = 0; i < 10; i += 1) playback.enqueue(0, 20, true);
    expect(playback.stop(60)).toBe(140);
    expect(playback.playedMs(1000)).toBe(60);
    expect(playback.droppedMs).toBe(140);
    expect(playback.stops).toBe(1);
    expect(playback.isPlaying(61)).toBe(false);
    expect(playback.isSpeaking(61, 200)).toBe(false);
    expect(playback.quietForMs(160)).toBe(100);
  });

  it('tells speech from silent frames, with a hangover across gaps between words', () => {
    const playback = new AgentPlayback();
    expect(playback.quietForMs(0)).toBe(Number.POSITIVE_INFINITY);
    playback.enqueue(0, 20, true);
    playback.enqueue(20, 20, false);
    playback.enqueue(40, 20, false);
    expect(playback.isPlaying(50)).toBe(true);
    expect(playback.isSpeaking(50)).toBe(false);
    expect(playback.isSpeaking(50, 200)).toBe(true);
    expect(playback.quietForMs(50)).toBe(30);
  });
});
