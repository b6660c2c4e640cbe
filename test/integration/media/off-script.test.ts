import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
    expect(String(heard?.['text'])).toMatch(/what/);
    const said = async () => (await thread(server, sessionId, 'AuthAgent')).map((m) => m.content);
    expect((await said()).at(-1)).toMatch(/ZIP code/);
    expect((await said()).join(' ')).toMatch(/noted your question/);
    const memory = async () => (await server.services.sessions.store.load(sessionId))?.corememory ?? {};
    expect((await memory())['slots']).not.toHaveProperty('verifier');

    // Asked to wait, the agent waits; then the answer in the grammar goes through.
    await exchange(caller, await callerSpeech('Wait a moment please.'));
    expect((await said()).at(-1)).toBe('Sure, take your time.');
    await exchange(caller, await callerSpeech('Six oh six oh one.'));
    expect((await said()).at(-1)).toMatch(/verified/);
    expect(transcripts().at(-1)).toMatchObject({
      in_grammar: true,
    });
    expect((await memory())['caller_questions']).toEqual([expect.stringMatching(/what/)]);
    await caller.hangup();
    watcher.close();
  }, 90_000);
});
