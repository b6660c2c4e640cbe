import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TURN_METRICS } from '../../../src/media/cascade/turn-metrics.ts';
import type { RunningServer } from '../../../src/server/server.ts';
import { callerSpeech, exchange, newCaller, startMediaServer, thread } from '../../helpers/media.ts';
import { until } from '../../helpers/wait.ts';

let server: RunningServer;
beforeAll(async () => {
  server = await startMediaServer();
});
afterAll(() => server.close());

describe('a browser conversation, through the real local speech stack', () => {
  it('talks at the rate the page asked for, takes typed and spoken input, and trims an interrupted reply to the played marks', async () => {
    const sessionId = `web-${Date.now()}`;
    const caller = newCaller(server, { protocol: 'browser', sessionId, sampleRate: 48000 });
    expect(await caller.connect()).toBe(true);
    expect((await caller.waitForAgentSpeech({ timeoutMs: 5000 })).ok).toBe(true);
    expect((await caller.waitForAgentSilence({ silenceMs: 700, timeoutMs: 15_000 })).ok).toBe(true);

    caller.sendText('Alice Brown');
    expect((await caller.waitForAgentSpeech({ timeoutMs: 5000 })).ok).toBe(true);
    expect((await caller.waitForAgentSilence({ silenceMs: 700, timeoutMs: 15_000 })).ok).toBe(true);

    // The ZIP code spoken: the flow asked the recognizer for its digits grammar.
    await caller.say(await callerSpeech('six zero six zero one'));
    expect((await caller.waitForAgentSpeech({ timeoutMs: 8000 })).ok).toBe(true);
    await sleep(1500);
    await exchange(caller, await callerSpeech('I have a question about my policy.'));
    const record = await caller.hangup();

    // Every frame was 20 ms at 48 kHz (the caller checks each), and nothing failed.
    expect(record.errors).toEqual([]);
    expect(record.framesIn).toBeGreaterThan(100);
    expect(record.agentStops).toBeGreaterThanOrEqual(1);

    const transcripts = caller.envelopesOfType('user_transcript').map((e) => e.payload);
    expect(transcripts).toContainEqual(expect.objectContaining({ text: 'Alice Brown', typed: true }));
    expect(transcripts).toContainEqual(
      expect.objectContaining({ text: expect.stringContaining('six zero six zero one'), final: true }),
    );
    expect(caller.envelopesOfType('tool_end').map((e) => e.payload)).toContainEqual(
      expect.objectContaining({ tool: 'authenticate_caller', ok: true }),
    );
    expect(caller.envelopesOfType('event').map((e) => e.payload)).toContainEqual(
      expect.objectContaining({ event: 'handoff', from: 'AuthAgent', to: 'PolicyAgent' }),
    );
    const metrics = caller.envelopesOfType('metrics').map((e) => e.payload);
    for (const payload of metrics) for (const name of TURN_METRICS) expect(payload).toHaveProperty(name);
    const interrupted = metrics.find((m) => m.interrupted);
    // The page's played mark after audio_stop confirms the flush: the played variant is measured too.
    expect(interrupted).toMatchObject({
      barge_in_stop_ms: expect.any(Number),
      barge_in_played_ms: expect.any(Number),
    });
    // One metrics envelope per turn, even for a turn interrupted while its audio played.
    const turnsSeen = metrics.map((m) => m.turn);
    expect(new Set(turnsSeen).size).toBe(turnsSeen.length);

    await until(async () => (await thread(server, sessionId, 'PolicyAgent')).length > 0, 5000);
    const cut = (await thread(server, sessionId, 'AuthAgent')).find((m) => m.meta?.interrupted);
    // The agent says it in two messages: the verification, then the question.
    const full = [
      "Thank you, Alice, you're verified.",
      'Are you calling to report a claim, or do you have a question about your policy?',
    ].find((sentence) => sentence.startsWith(cut?.content ?? '-'))!;
    expect(cut).toBeDefined();
    expect(full).toBeDefined();
    expect(cut!.content.length).toBeLessThan(full.length);
  }, 90_000);
});
