import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/server.ts';
import type { AcsSimulator } from '../../../src/telephony/simulator/acs-simulator.ts';
import { ACS_NUMBER, CALLER, callRecordOf, startPhoneSystem } from '../../helpers/telephony.ts';
import { until } from '../../helpers/wait.ts';

let acs: AcsSimulator;
let server: RunningServer;
let close: () => Promise<void>;
beforeAll(async () => {
  // The null speech stack: these tests are about call control, not audio.
  ({ acs, server, close } = await startPhoneSystem({ STT_PROVIDER: 'null', TTS_PROVIDER: 'null' }));
});
afterAll(() => close());

/** An incoming call, answered, with its media connected. */
async function answeredCall() {
  const rang = await acs.ringIn(`${server.url}/api/v1/calls/answer`, { from: CALLER, to: ACS_NUMBER });
  const [answered] = rang.body['answered'] as { call_connection_id: string; session_id: string }[];
  const line = await acs.lineOf(answered!.call_connection_id);
  return { callId: answered!.call_connection_id, sessionId: answered!.session_id, line };
}

describe('ACS callbacks', () => {
  it('applies a redelivered event once', async () => {
    const { callId, sessionId } = await answeredCall();
    const tone = await acs.send(callId, 'ContinuousDtmfRecognitionToneReceived', {
      sequenceId: 1,
      tone: 'five',
    });
    expect(JSON.parse(tone.body)).toEqual({ received: 1, applied: 1 });
    const again = await acs.redeliver(tone);
    expect(again.status).toBe(200);
    expect(JSON.parse(again.body)).toEqual({ received: 1, duplicate: 1 });
    expect((await callRecordOf(server, sessionId))?.dtmf).toBe('5');
    await acs.callerHangsUp(callId);
  });

  it('isolates a failing handler: the other events of the delivery apply, and ACS gets its 200', async () => {
    const { callId, sessionId } = await answeredCall();
    // A participant list with junk in it is applied (the junk skipped), not a failure.
    const junk = await acs.send(callId, 'ParticipantsUpdated', {
      sequenceNumber: 9,
      participants: [null, 7],
    });
    expect(JSON.parse(junk.body)).toEqual({ received: 1, applied: 1 });
    // A handler that throws (the store failing, say) fails its event only.
    const telephony = server.services.telephony!;
    const handle = telephony.handle.bind(telephony);
    telephony.handle = (event) =>
      event.type === 'ParticipantsUpdated' ? Promise.reject(new Error('store down')) : handle(event);
    try {
      const event = (type: string, data: Record<string, unknown>) => ({
        id: `${type}-${Math.random()}`,
        type: `Microsoft.Communication.${type}`,
        data: { callConnectionId: callId, ...data },
      });
      const delivered = await fetch(`${server.url}/api/v1/calls/callbacks?session_id=${sessionId}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${await acs.issuer.mint({ lifetimeSeconds: 300 })}`,
        },
        body: JSON.stringify([
          event('ParticipantsUpdated', { sequenceNumber: 10, participants: [] }),
          event('ContinuousDtmfRecognitionToneReceived', { sequenceId: 1, tone: 'pound' }),
        ]),
      });
      expect(delivered.status).toBe(200);
      expect(await delivered.json()).toEqual({ received: 2, failed: 1, applied: 1 });
    } finally {
      telephony.handle = handle;
    }
    expect((await callRecordOf(server, sessionId))?.dtmf).toBe('#');
    await acs.callerHangsUp(callId);
  });

  it('acknowledges event types it does not handle, and refuses a body with no call event', async () => {
    const { callId } = await answeredCall();
    const unknown = await acs.send(callId, 'HoldAudioStarted', {});
    expect(unknown.status).toBe(200);
    expect(JSON.parse(unknown.body)).toEqual({ received: 1, unhandled: 1 });
    await acs.callerHangsUp(callId);
    const token = await acs.issuer.mint({ lifetimeSeconds: 300 });
    const garbage = await fetch(`${server.url}/api/v1/calls/callbacks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify([{ id: 1, type: 'Something.Else' }]),
    });
    expect(garbage.status).toBe(400);
    expect(((await garbage.json()) as { message: string }).message).toContain('no call event');
  });

  it('ends the media handler on CallDisconnected even when the media socket never closes', async () => {
    const { callId, sessionId, line } = await answeredCall();
    await until(() => server.services.connections.activeSessions() >= 1);
    await acs.callerHangsUp(callId, { keepSocket: true });
    // The server ended the call itself: it closed the socket, released the call and saved the session.
    const record = await line.done;
    expect(record.closeCode).toBe(1000);
    expect(record.endedBy).toBe('server');
    expect(await callRecordOf(server, sessionId)).toMatchObject({ state: 'disconnected' });
    const speech = server.services.speech!;
    await until(() =>
      [speech.recognizers, speech.synthesizers, speech.vads].every((p) => p.stats().inUse === 0),
    );
    const stored = await server.services.sessions.store.load(sessionId);
    expect(Object.keys(stored?.chat_history ?? {})).not.toEqual([]);
  });
});
