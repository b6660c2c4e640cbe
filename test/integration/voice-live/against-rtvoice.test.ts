import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Envelope } from '../../../src/connections/envelope.ts';
import type { RunningServer } from '../../../src/server/server.ts';
import type { AcsSimulator } from '../../../src/telephony/simulator/acs-simulator.ts';
import {
  callerSpeech,
  exchange,
  newCaller,
  startMediaServer,
  thread,
  watchSession,
} from '../../helpers/media.ts';
import { ACS_NUMBER, CALLER, callRecordOf, startPhoneSystem } from '../../helpers/telephony.ts';
import { until } from '../../helpers/wait.ts';

// VOICE_LIVE mode fully offline: server A hands its calls to server B's /v1/realtime, which runs the local
// cascade; A paces B's audio to the caller, keeps both sides' transcripts and handles barge-in.
let far: RunningServer;
let near: RunningServer;
// A phone system (ACS simulator) whose calls go voice_live to the same far rtvoice.
let acs: AcsSimulator;
let phone: RunningServer;
let closePhone: () => Promise<void>;
beforeAll(async () => {
  far = await startMediaServer();
  const service = {
    ACS_STREAMING_MODE: 'voice_live',
    VOICE_LIVE_URL: `${far.url.replace('http', 'ws')}/v1/realtime?model=rtvoice`,
  };
  near = await startMediaServer(service);
  ({ acs, server: phone, close: closePhone } = await startPhoneSystem(service));
});
afterAll(async () => {
  await Promise.all([near.close(), closePhone()]);
  await far.close();
});

const payloads = (envelopes: Envelope[], type: string) =>
  envelopes.filter((e) => e.type === type).map((e) => e.payload);

describe('voice_live mode against another rtvoice’s /v1/realtime (offline)', () => {
  it('greets, answers the caller, and keeps both sides in the history', async () => {
    const sessionId = `vl-${Date.now()}`;
    const watcher = await watchSession(near, sessionId);
    const caller = newCaller(near, { sessionId, callId: `call-${sessionId}` });
    expect(await caller.connect()).toBe(true);
    expect((await caller.waitForAgentSpeech({ timeoutMs: 8000 })).ok).toBe(true);
    expect((await caller.waitForAgentSilence({ silenceMs: 700, timeoutMs: 15_000 })).ok).toBe(true);

    await exchange(caller, await callerSpeech('My name is Alice Brown.'));
    await until(async () => (await thread(near, sessionId, 'AuthAgent')).length >= 3, 5000);
    const history = await thread(near, sessionId, 'AuthAgent');
    expect(history[0]).toMatchObject({ role: 'assistant' });
    expect(history[0]?.content).toMatch(/XYZ Insurance/);
    expect(history.find((m) => m.role === 'user')?.content).toMatch(/alice/i);
    expect(history.at(-1)?.content).toMatch(/ZIP code/);
    const metrics = payloads(watcher.envelopes, 'metrics');
    expect(metrics.find((m) => m['greeting'] === true)?.['greeting_ttfb_ms']).toEqual(expect.any(Number));
    const answer = metrics.find((m) => m['greeting'] === false);
    expect(answer?.['voice_to_voice_ms']).toEqual(expect.any(Number));
    expect(answer?.['service_first_audio_ms']).toEqual(expect.any(Number));
    expect(answer!['service_first_audio_ms'] as number).toBeLessThan(answer!['voice_to_voice_ms'] as number);
    const record = await caller.hangup();
    expect(record.errors).toEqual([]);
    watcher.close();
  }, 60_000);

  it('on barge-in stops the audio, cancels and truncates the answer at what was heard, and keeps only that', async () => {
    const sessionId = `vl-barge-${Date.now()}`;
    const watcher = await watchSession(near, sessionId);
    const caller = newCaller(near, { sessionId, callId: `call-${sessionId}` });
    expect(await caller.connect()).toBe(true);
    // The greeting is two sentences; the caller talks over the second.
    expect((await caller.waitForAgentSpeech({ timeoutMs: 8000 })).ok).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 2200));
    await exchange(caller, await callerSpeech('Sorry, my name is Bob Martinez.'));
    const bargeIn = payloads(watcher.envelopes, 'event').find((p) => p['event'] === 'barge_in');
    expect(bargeIn).toBeDefined();
    expect(bargeIn?.['heard_ms']).toBeGreaterThan(0);
    const greeting = (await thread(near, sessionId, 'AuthAgent')).find(
      (m) => m.meta?.['interrupted'] === true,
    );
    expect(greeting?.content).toMatch(/^Hi there/);
    expect(greeting?.content.length).toBeLessThan(
      'Hi there from XYZ Insurance! To get started, may I have your full name?'.length,
    );
    // The conversation goes on with the far rtvoice.
    expect((await thread(near, sessionId, 'AuthAgent')).at(-1)?.content).toMatch(/ZIP code/);
    await caller.hangup();
    watcher.close();
  }, 60_000);

  it('completes the insurance demo on a phone call, offline: verified, a claim filed, and the agent hangs up', async () => {
    const rang = await acs.ringIn(`${phone.url}/api/v1/calls/answer`, { from: CALLER, to: ACS_NUMBER });
    const [answered] = rang.body['answered'] as { call_connection_id: string; session_id: string }[];
    const { call_connection_id: callId, session_id: sessionId } = answered!;
    const line = await acs.lineOf(callId);
    expect((await line.waitForAgentSpeech({ timeoutMs: 8000 })).ok).toBe(true);
    expect((await line.waitForAgentSilence({ silenceMs: 700, timeoutMs: 15_000 })).ok).toBe(true);
    const said = async () => (await thread(phone, sessionId, 'AuthAgent')).map((m) => m.content);
    const turns: [string, RegExp][] = [
      ['My name is Alice Brown.', /ZIP code/],
      ['Six oh six oh one.', /verified/],
      ['I want to report a claim.', /When did it happen/],
      ['Yesterday.', /what happened/],
      ['A tree fell on my car.', /anyone injured/],
      ['No one.', /Shall I file the claim/], // a bare "No." is too short for pocketsphinx to hear reliably
      ['Yes.', /anything else/i],
    ];
    for (const [words, reply] of turns) {
      const before = (await said()).length;
      const answered = async () => (await said()).slice(before).some((text) => reply.test(text));
      await exchange(line, await callerSpeech(words));
      // The claim is filed between two replies: wait for the words the turn ends with.
      await until(answered, 8000);
      // Not understood (the agent asked again): a caller says it once more.
      if (!(await answered())) {
        await exchange(line, await callerSpeech(words));
        await until(answered, 8000);
      }
      expect((await said()).slice(before).join(' | '), `after "${words}"`).toMatch(reply);
      expect((await line.waitForAgentSilence({ silenceMs: 700, timeoutMs: 15_000 })).ok).toBe(true);
    }
    expect((await said()).join(' ')).toMatch(/Your claim number is/);
    // "No, thank you." is heard as "yeah thank you" through the yes/no grammar: see issue 18.
    await line.say(await callerSpeech('Not really.'));
    await until(async () => (await callRecordOf(phone, sessionId))?.state === 'disconnected', 20_000);
    expect((await said()).at(-1)).toMatch(/Goodbye/i);
    const record = await callRecordOf(phone, sessionId);
    expect(record).toMatchObject({ state: 'disconnected', hangUpBy: 'agent' });
    const memory = (await phone.services.sessions.store.load(sessionId))?.corememory ?? {};
    expect(String(memory['voice_live_ended'])).toMatch(/ended the conversation/);
  }, 120_000);
});
