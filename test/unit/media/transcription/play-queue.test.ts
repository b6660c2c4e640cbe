import { describe, expect, it } from 'vitest';
import type { VoiceSelection } from '../../../../src/agents/voices.ts';
import type { CallMedia, PlayRequest } from '../../../../src/media/call-context.ts';
import { PlayQueue } from '../../../../src/media/transcription/play-queue.ts';
import type { CallEvent } from '../../../../src/calls/call-events.ts';
import { silentLogger } from '../../../helpers/agents.ts';

const VOICE: VoiceSelection = {
  alias: 'front',
  provider: 'azure',
  voice: 'en-US-AvaMultilingualNeural',
  style: undefined,
  rate: 1,
  language: 'en-US',
};

/** A CallMedia that records the plays asked of it; the test reports their outcomes as ACS would. */
function fakeAcs() {
  const plays: PlayRequest[] = [];
  let cancels = 0;
  const media: CallMedia = {
    play: (request) => {
      plays.push(request);
      return Promise.resolve();
    },
    cancelAll: () => {
      cancels += 1;
      return Promise.resolve();
    },
    updateTranscription: () => Promise.resolve(),
    startTranscription: () => Promise.resolve(),
    stopTranscription: () => Promise.resolve(),
    startContinuousDtmf: () => Promise.resolve(),
  };
  const report = (type: string, play = plays.at(-1)!): CallEvent => ({
    id: `${type}-${Math.random()}`,
    type,
    callId: 'c1',
    data: { callConnectionId: 'c1', operationContext: play.operationContext },
  });
  return { media, plays, report, cancels: () => cancels };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

function queue(acs: ReturnType<typeof fakeAcs>) {
  const events: string[] = [];
  const plays = new PlayQueue({
    media: acs.media,
    log: silentLogger,
    prefix: 'test',
    events: {
      requested: (turn) => events.push(`requested ${turn}`),
      started: (turn) => events.push(`started ${turn}`),
      failed: (detail) => events.push(`failed ${detail}`),
    },
  });
  return { plays, events };
}

const sentences = ['One two.', 'Three four.', 'Five six.'];
const say = (plays: PlayQueue, turn: number, signal = new AbortController().signal) => {
  const output = plays.output();
  let start = 0;
  for (const text of sentences) {
    output.say({ text, start, end: start + text.length }, turn, VOICE, signal);
    start += text.length + 1;
  }
  return output;
};

describe('the play queue: ACS speaks a reply one sentence at a time', () => {
  it('asks for the next sentence only when ACS reports the one before completed', async () => {
    const acs = fakeAcs();
    const { plays, events } = queue(acs);
    const output = say(plays, 3);
    let done = false;
    void output.done().then(() => (done = true));
    expect(acs.plays.map((p) => p.text)).toEqual(['One two.']);
    plays.callEvent(acs.report('PlayStarted'));
    plays.callEvent(acs.report('PlayCompleted'));
    expect(acs.plays.map((p) => p.text)).toEqual(['One two.', 'Three four.']);
    plays.callEvent(acs.report('PlayCompleted'));
    plays.callEvent(acs.report('PlayCompleted'));
    await flush();
    expect(done).toBe(true);
    expect(plays.heard(3)).toBe(sentences.join(' ').length);
    expect(events).toEqual(['requested 3', 'started 3', 'requested 3', 'requested 3']);
    expect(new Set(acs.plays.map((p) => p.operationContext)).size).toBe(3);
  });

  it('ignores callbacks of other operations', () => {
    const acs = fakeAcs();
    const { plays } = queue(acs);
    say(plays, 1);
    plays.callEvent({
      ...acs.report('PlayCompleted'),
      data: { callConnectionId: 'c1', operationContext: 'other' },
    });
    expect(acs.plays).toHaveLength(1);
    expect(plays.heard(1)).toBe(0);
  });

  it('on barge-in keeps the sentences that completed, counting one that completed while the cancel was on its way', async () => {
    const acs = fakeAcs();
    const { plays } = queue(acs);
    say(plays, 2);
    plays.callEvent(acs.report('PlayCompleted')); // "One two." heard
    const cancelled = plays.cancel();
    expect(acs.cancels()).toBe(1);
    plays.callEvent(acs.report('PlayCompleted')); // "Three four." finished before ACS got the cancel
    await cancelled;
    expect(plays.heard(2)).toBe('One two. Three four.'.length);
    expect(plays.busy).toBe(false);
    expect(acs.plays).toHaveLength(2); // "Five six." was never asked for
  });

  it('counts a cancelled play as unheard', async () => {
    const acs = fakeAcs();
    const { plays } = queue(acs);
    say(plays, 2);
    plays.callEvent(acs.report('PlayStarted')); // playing, but not played in full
    const cancelled = plays.cancel();
    plays.callEvent(acs.report('PlayCanceled'));
    await cancelled;
    expect(plays.heard(2)).toBe(0);
  });

  it('retries a failed sentence once in the default voice, then reports that ACS cannot play', () => {
    const acs = fakeAcs();
    const { plays, events } = queue(acs);
    say(plays, 1);
    plays.callEvent(acs.report('PlayFailed'));
    expect(acs.plays.map((p) => [p.text, p.voice?.voice])).toEqual([
      ['One two.', 'en-US-AvaMultilingualNeural'],
      ['One two.', undefined],
    ]);
    plays.callEvent(acs.report('PlayCompleted'));
    expect(acs.plays.at(-1)?.voice?.voice).toBe('en-US-AvaMultilingualNeural'); // the next sentence
    plays.callEvent(acs.report('PlayFailed'));
    plays.callEvent(acs.report('PlayFailed'));
    expect(events.at(-1)).toMatch(/^failed /);
    expect(plays.busy).toBe(false);
  });

  it('skips the sentences of a reply that was cancelled before their turn', () => {
    const acs = fakeAcs();
    const { plays } = queue(acs);
    const cancelled = new AbortController();
    say(plays, 1, cancelled.signal);
    cancelled.abort();
    plays.callEvent(acs.report('PlayCompleted'));
    expect(acs.plays).toHaveLength(1);
  });
});
