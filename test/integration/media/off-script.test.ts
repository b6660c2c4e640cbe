import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concatPcm16 } from '../../../src/audio/pcm.ts';
import type { RunningServer } from '../../../src/server/server.ts';
import {
  callerSpeech,
  exchange,
  newCaller,
  startMediaServer,
  thread,
  watchSession,
} from '../../helpers/media.ts';

let server: RunningServer;
beforeAll(async () => {
  server = await startMediaServer();
});
afterAll(() => server.close());

describe('a caller who goes off-script, in real speech over the ACS socket', () => {
  it('is not forced into the grammar: a question at the ZIP prompt is heard as words, noted, and the prompt resumes', async () => {
    const sessionId = `off-script-${Date.now()}`;
    const watcher = await watchSession(server, sessionId);
    const transcripts = () =>
      watcher.envelopes.filter((e) => e.type === 'user_transcript').map((e) => e.payload);
    const caller = newCaller(server, { sessionId, callId: `call-${sessionId}` });
    expect(await caller.connect()).toBe(true);
    expect((await caller.waitForAgentSpeech({ timeoutMs: 8000 })).ok).toBe(true);
    expect((await caller.waitForAgentSilence({ silenceMs: 700, timeoutMs: 15_000 })).ok).toBe(true);
    await exchange(caller, await callerSpeech('My name is Alice Brown.'));

    // The ZIP prompt has the digits grammar: a question is read by the open model, not as digits.
    await exchange(caller, await callerSpeech('What do you need it for?'));
    const heard = transcripts().at(-1);
    expect(heard).toMatchObject({ in_grammar: false, final: true });
    expect(String(heard?.['text'])).toMatch(/need/);
    const said = async () => (await thread(server, sessionId, 'AuthAgent')).map((m) => m.content);
    expect((await said()).at(-1)).toMatch(/ZIP code/);
    expect((await said()).join(' ')).toMatch(/noted your question/);
    const memory = async () => (await server.services.sessions.store.load(sessionId))?.corememory ?? {};
    expect((await memory())['slots']).not.toHaveProperty('verifier');

    // Asked to wait, the agent waits (or, where the digits grammar took the words in, asks again: about
    // one run in three here); nothing is stored. Then the answer in the grammar goes through.
    await exchange(caller, await callerSpeech('Wait a moment please.'));
    expect((await said()).at(-1)).toMatch(/^Sure, take your time\.$|ZIP code/);
    expect((await memory())['slots']).not.toHaveProperty('verifier');
    await exchange(caller, await callerSpeech('Six oh six oh one.'));
    expect((await said()).slice(-2).join(' ')).toMatch(/verified/);
    expect(transcripts().at(-1)).toMatchObject({
      in_grammar: true,
    });
    expect((await memory())['caller_questions']).toEqual([expect.stringMatching(/need/)]);
    await caller.hangup();
    watcher.close();
  }, 90_000);

  it('waits through a pause inside an unfinished answer ("my name is … Alice Brown", "my zip code is … six oh six")', async () => {
    const sessionId = `paused-${Date.now()}`;
    const watcher = await watchSession(server, sessionId);
    const finals = () =>
      watcher.envelopes
        .filter((e) => e.type === 'user_transcript' && e.payload['final'] === true)
        .map((e) => String(e.payload['text']));
    const caller = newCaller(server, { sessionId, callId: `call-${sessionId}` });
    expect(await caller.connect()).toBe(true);
    expect((await caller.waitForAgentSpeech({ timeoutMs: 8000 })).ok).toBe(true);
    expect((await caller.waitForAgentSilence({ silenceMs: 700, timeoutMs: 15_000 })).ok).toBe(true);
    const paused = async (before: string, pauseMs: number, after: string) =>
      concatPcm16([
        await callerSpeech(before),
        new Int16Array((16000 * pauseMs) / 1000),
        await callerSpeech(after),
      ]);
    await exchange(caller, await paused('My name is', 700, 'Alice Brown.'));
    await exchange(caller, await paused('My zip code is six oh six', 600, 'oh one.'));
    // One answer each, whole: the agent waited, and it verified the caller.
    expect(finals()).toHaveLength(2);
    expect(finals()[0]).toMatch(/^my name is alice/i);
    // The greeting's question set the names grammar before the recognizer arrived: it was in force.
    const first = watcher.envelopes.find((e) => e.type === 'user_transcript' && e.payload['final'] === true);
    expect(first?.payload['in_grammar']).toBe(true);
    expect(finals()[1]).toMatch(/six oh six .*one/);
    const said = (await thread(server, sessionId, 'AuthAgent')).map((m) => m.content);
    expect(said.join(' ')).toMatch(/Alice, you're verified/);
    expect(caller.record().turns.filter((t) => t.bargeIn)).toHaveLength(0);
    await caller.hangup();
    watcher.close();
  }, 90_000);

  it('a whole claim call off the script: repair and the keypad, carry-over across the handoff, a question barged in, a correction', async () => {
    const sessionId = `claim-${Date.now()}`;
    const caller = newCaller(server, { sessionId, callId: `call-${sessionId}` });
    const memory = async () => (await server.services.sessions.store.load(sessionId))?.corememory ?? {};
    const slots = async () => ((await memory())['slots'] ?? {}) as Record<string, unknown>;
    const said = async (agent: string) => (await thread(server, sessionId, agent)).map((m) => m.content);
    const settle = async () => {
      expect((await caller.waitForAgentSpeech({ timeoutMs: 8000 })).ok).toBe(true);
      expect((await caller.waitForAgentSilence({ silenceMs: 700, timeoutMs: 20_000 })).ok).toBe(true);
    };
    expect(await caller.connect()).toBe(true);
    await settle();
    await exchange(caller, await callerSpeech('My name is Alice Brown.'));

    // Repair: two answers that are no ZIP code get two different re-asks, the second offering the keypad.
    await exchange(caller, await callerSpeech('I left it in the car.'));
    await exchange(caller, await callerSpeech('I left it in the car.'));
    const reasks = (await said('AuthAgent')).slice(-2);
    expect(reasks[0]).not.toBe(reasks[1]);
    expect(reasks[1]).toMatch(/keypad/);
    expect(caller.sendDtmf('60601#')).toBe(true);
    await settle();
    expect((await said('AuthAgent')).join(' ')).toMatch(/Alice, you're verified/);

    // Carry-over: what the caller says to pick claims tells the claims agent when and what happened.
    await caller.say(await callerSpeech('I had an accident in a parking lot yesterday.'));
    expect((await caller.waitForAgentSpeech({ timeoutMs: 8000 })).ok).toBe(true);
    const yesterday = new Date(Date.now() - 86_400_000).toLocaleDateString('sv');
    // A question barged into the claims agent's greeting: it stops, notes it, and asks on.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await caller.say(await callerSpeech('Sorry, I have a question.'));
    await settle();
    expect((await slots())['loss_date']).toBe(yesterday);
    expect(String((await slots())['description'])).toMatch(/parking/);
    const claims = await thread(server, sessionId, 'ClaimsAgent');
    expect(claims.some((m) => m.meta?.interrupted)).toBe(true);
    expect(claims.map((m) => m.content).join(' ')).not.toMatch(/When did it happen|what happened/);
    expect((await said('ClaimsAgent')).at(-1)).toBe('Was anyone injured?');
    expect((await memory())['caller_questions']).toHaveLength(1);
    expect(await slots()).not.toHaveProperty('injuries');

    // A correction by value, then the claim is confirmed with it.
    await exchange(caller, await callerSpeech('No, nobody.'));
    expect((await said('ClaimsAgent')).at(-1)).toMatch(/^Let me confirm/);
    await exchange(caller, await callerSpeech('No, it was on Tuesday.'));
    expect((await said('ClaimsAgent')).join(' ')).toMatch(/Got it/);
    expect((await slots())['loss_date']).not.toBe(yesterday);
    expect((await said('ClaimsAgent')).at(-1)).toMatch(/^Let me confirm/);
    await exchange(caller, await callerSpeech('Yes.'));
    expect((await said('ClaimsAgent')).join(' ')).toMatch(/claim number is/);
    await caller.hangup();
  }, 120_000);
});
