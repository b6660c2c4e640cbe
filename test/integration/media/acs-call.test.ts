import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TURN_METRICS } from '../../../src/media/cascade/turn-metrics.ts';
import type { RunningServer } from '../../../src/server/server.ts';
import { noise } from '../../helpers/speech-data.ts';
import {
  callerSpeech,
  exchange,
  newCaller,
  startMediaServer,
  thread,
  watchSession,
} from '../../helpers/media.ts';
import { until } from '../../helpers/wait.ts';

let server: RunningServer;
beforeAll(async () => {
  server = await startMediaServer();
});
afterAll(() => server.close());

describe('a call over ACS media streaming, through the real local speech stack', () => {
  it('greets, understands speech and keypad digits, and keeps only what the caller heard when interrupted', async () => {
    const sessionId = `acs-${Date.now()}`;
    const watcher = await watchSession(server, sessionId);
    const caller = newCaller(server, { sessionId, callId: `call-${sessionId}` });
    expect(await caller.connect()).toBe(true);

    // The greeting.
    expect((await caller.waitForAgentSpeech({ timeoutMs: 5000 })).ok).toBe(true);
    expect((await caller.waitForAgentSilence({ silenceMs: 700, timeoutMs: 15_000 })).ok).toBe(true);

    // A name, spoken.
    await exchange(caller, await callerSpeech('Bob Martinez.'));
    const auth = await thread(server, sessionId, 'AuthAgent');
    expect(auth.find((m) => m.role === 'user')?.content.toLowerCase()).toContain('bob martinez');
    expect(auth.at(-1)?.content).toContain('ZIP code');

    // The ZIP code on the keypad; the answer is long, and the caller talks over it.
    caller.sendDtmf('94105#');
    expect((await caller.waitForAgentSpeech({ timeoutMs: 5000 })).ok).toBe(true);
    await sleep(1500);
    await caller.say(await callerSpeech('I want to report a claim about my car.'));
    expect((await caller.waitForAgentSpeech({ timeoutMs: 8000 })).ok).toBe(true);
    expect((await caller.waitForAgentSilence({ silenceMs: 700, timeoutMs: 20_000 })).ok).toBe(true);
    const record = await caller.hangup();
    watcher.close();

    // Every frame the caller got was exactly 20 ms of 16 kHz PCM16, and nothing broke.
    expect(record.errors).toEqual([]);
    expect(record.greetingTtfbMs).toBeGreaterThan(0);
    const bargeIn = record.turns.find((t) => t.bargeIn);
    expect(bargeIn?.bargeInStopMs).toBeDefined();
    // At least BARGE_IN_MIN_SPEECH_MS of speech; well before the 2 s utterance ends (bench:e2e has the figure).
    expect(bargeIn!.bargeInStopMs!).toBeGreaterThanOrEqual(150);
    expect(bargeIn!.bargeInStopMs!).toBeLessThan(1500);

    // The verified prompt was cut where the caller interrupted it: a prefix of it, marked interrupted.
    await until(async () => (await thread(server, sessionId, 'ClaimsAgent')).length > 0, 5000);
    const authAfter = await thread(server, sessionId, 'AuthAgent');
    expect(authAfter.find((m) => m.meta?.dtmf)?.content).toBe('94105');
    const cut = authAfter.find((m) => m.meta?.interrupted);
    // The agent says it in two messages: the verification, then the question.
    const full = [
      "Thank you, Bob, you're verified.",
      'Are you calling to report a claim, or do you have a question about your policy?',
    ].find((sentence) => sentence.startsWith(cut?.content ?? '-'))!;
    expect(cut).toBeDefined();
    expect(full).toBeDefined();
    expect(cut!.content.length).toBeGreaterThan(0);
    expect(cut!.content.length).toBeLessThan(full.length);
    const claims = await thread(server, sessionId, 'ClaimsAgent');
    expect(claims[0]?.content).toContain('claims specialist');

    // Each turn's metrics, with every field (null where it does not apply).
    const metrics = watcher.envelopes.filter((e) => e.type === 'metrics').map((e) => e.payload);
    expect(metrics.length).toBeGreaterThanOrEqual(4);
    for (const payload of metrics) for (const name of TURN_METRICS) expect(payload).toHaveProperty(name);
    expect(metrics[0]!.greeting_ttfb_ms).toEqual(expect.any(Number));
    const spokenTurn = metrics.find((m) => m.voice_to_voice_ms !== null);
    expect(spokenTurn).toMatchObject({ eou_delay_ms: expect.any(Number), stt_final_ms: expect.any(Number) });
    expect(metrics.find((m) => m.interrupted)?.barge_in_stop_ms).toEqual(expect.any(Number));
    const events = watcher.envelopes.map((e) => e.type);
    expect(events).toEqual(
      expect.arrayContaining(['user_transcript', 'assistant_transcript', 'tool_start', 'tool_end', 'event']),
    );
  }, 90_000);

  it('does not stop for a short noise or a short "yeah" while the agent speaks', async () => {
    const caller = newCaller(server);
    expect(await caller.connect()).toBe(true);
    expect((await caller.waitForAgentSpeech({ timeoutMs: 5000 })).ok).toBe(true);
    await sleep(300);
    await caller.say(noise('pinknoise', 0.12));
    await sleep(300);
    // 150 ms of real speech (the start of a spoken "yeah"): under the 200 ms minimum, a backchannel.
    const yeah = await callerSpeech('Yeah.');
    const start = yeah.findIndex((sample) => Math.abs(sample) > 300);
    await caller.say(yeah.slice(start, start + 2400));
    expect((await caller.waitForAgentSilence({ silenceMs: 700, timeoutMs: 15_000 })).ok).toBe(true);
    const record = await caller.hangup();
    expect(record.errors).toEqual([]);
    expect(record.agentStops ?? 0).toBe(0);
  }, 30_000);
});
