import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/server.ts';
import type { AcsSimulator } from '../../../src/telephony/simulator/acs-simulator.ts';
import { callerSpeech } from '../../helpers/media.ts';
import { ACS_NUMBER, CALLER, callRecordOf, PERSON, startPhoneSystem } from '../../helpers/telephony.ts';
import { until } from '../../helpers/wait.ts';

let acs: AcsSimulator;
let server: RunningServer;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ acs, server, close } = await startPhoneSystem());
});
afterAll(() => close());

async function placeCall(body: Record<string, unknown>) {
  const response = await fetch(`${server.url}/api/v1/calls/initiate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, string> };
}

const speechPoolsIdle = () => {
  const speech = server.services.speech!;
  return [speech.recognizers, speech.synthesizers, speech.vads].every((p) => p.stats().inUse === 0);
};

describe('an outbound phone call, through the official SDK against the ACS simulator', () => {
  it('calls the number, greets whoever answers, and transfers to a person when asked', async () => {
    const placed = await placeCall({ target_number: CALLER });
    expect(placed).toMatchObject({ status: 200, body: { state: 'connecting' } });
    const callId = placed.body['call_connection_id']!;
    const sessionId = placed.body['session_id']!;
    expect(acs.calls.get(callId)).toMatchObject({ direction: 'outbound', from: ACS_NUMBER, to: CALLER });

    const line = await acs.lineOf(callId);
    expect((await line.waitForAgentSpeech({ timeoutMs: 5000 })).ok).toBe(true);
    expect((await line.waitForAgentSilence({ silenceMs: 700, timeoutMs: 15_000 })).ok).toBe(true);
    await line.say(await callerSpeech('I want to speak to a representative.'));
    await until(async () => (await callRecordOf(server, sessionId))?.state === 'disconnected', 20_000);

    expect(acs.calls.get(callId)?.transferredTo).toBe(PERSON);
    const record = await callRecordOf(server, sessionId);
    expect(record).toMatchObject({
      direction: 'outbound',
      state: 'disconnected',
      transfer: { target: PERSON, status: 'accepted' },
      endReason: `transferred to ${PERSON}`,
    });
    // The agent said why before the transfer, and the caller heard it.
    const history = JSON.stringify((await server.services.sessions.store.load(sessionId))?.chat_history);
    expect(history).toContain('I am transferring you to a representative now');
    expect(line.record().turns.at(-1)?.agentSpeechMs).toBeGreaterThan(1000);
    await until(speechPoolsIdle, 5000);
  }, 60_000);

  it('streams a call at 24 kHz when asked, and hangs up through the API after the agent says goodbye', async () => {
    const placed = await placeCall({
      target_number: CALLER,
      agent: 'PolicyAgent',
      audio_format: 'pcm24KMono',
    });
    expect(placed.status).toBe(200);
    const callId = placed.body['call_connection_id']!;
    expect(acs.calls.get(callId)?.mediaStreaming).toMatchObject({ audioFormat: 'pcm24KMono' });
    const line = await acs.lineOf(callId);
    expect(line.sampleRate).toBe(24000);
    expect((await line.waitForAgentSpeech({ timeoutMs: 5000 })).ok).toBe(true);
    expect((await line.waitForAgentSilence({ silenceMs: 700, timeoutMs: 15_000 })).ok).toBe(true);
    const before = line.record().turns.length;

    const hangUp = await fetch(`${server.url}/api/v1/calls/${callId}/hangup`, { method: 'POST' });
    expect(hangUp.status).toBe(202);
    expect((await line.waitForAgentSpeech({ timeoutMs: 5000 })).ok).toBe(true);
    const sessionId = placed.body['session_id']!;
    await until(async () => (await callRecordOf(server, sessionId))?.state === 'disconnected', 15_000);
    expect(line.record().turns.length).toBeGreaterThanOrEqual(before);
    const record = await callRecordOf(server, sessionId);
    expect(record).toMatchObject({ state: 'disconnected', endReason: 'hung up through the API' });
    const history = (await server.services.sessions.store.load(placed.body['session_id']!))?.chat_history;
    expect(JSON.stringify(history)).toContain('Goodbye');
    expect((await fetch(`${server.url}/api/v1/calls/${callId}/hangup`, { method: 'POST' })).status).toBe(404);
    await until(speechPoolsIdle, 5000);
  }, 60_000);

  it('refuses a number that is not E.164, and an agent that does not exist', async () => {
    expect((await placeCall({ target_number: '4255550123' })).status).toBe(400);
    const unknown = await placeCall({ target_number: CALLER, agent: 'NoSuchAgent' });
    expect(unknown.status).toBe(400);
    expect(unknown.body['message']).toContain('AuthAgent');
  });
});
