import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/server.ts';
import type { AcsSimulator } from '../../../src/telephony/simulator/acs-simulator.ts';
import { callerSpeech, exchange, thread } from '../../helpers/media.ts';
import { ACS_NUMBER, CALLER, callRecordOf, startPhoneSystem } from '../../helpers/telephony.ts';
import { until } from '../../helpers/wait.ts';

let acs: AcsSimulator;
let server: RunningServer;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ acs, server, close } = await startPhoneSystem());
});
afterAll(() => close());

describe('an incoming phone call, through the official SDK against the ACS simulator', () => {
  it('answers from Event Grid, holds the demo conversation over media streaming, and ends when the caller hangs up', async () => {
    const rang = await acs.ringIn(`${server.url}/api/v1/calls/answer`, { from: CALLER, to: ACS_NUMBER });
    expect(rang.status).toBe(200);
    const [answered] = rang.body['answered'] as { call_connection_id: string; session_id: string }[];
    const callId = answered!.call_connection_id;
    const sessionId = answered!.session_id;
    expect(acs.calls.get(callId)?.callbackUri).toContain(`/api/v1/calls/callbacks?session_id=${sessionId}`);

    const line = await acs.lineOf(callId);
    expect((await line.waitForAgentSpeech({ timeoutMs: 5000 })).ok).toBe(true);
    expect((await line.waitForAgentSilence({ silenceMs: 700, timeoutMs: 15_000 })).ok).toBe(true);
    await exchange(line, await callerSpeech('Bob Martinez.'));
    expect((await thread(server, sessionId, 'AuthAgent')).at(-1)?.content).toContain('ZIP code');
    line.sendDtmf('94105#');
    expect((await line.waitForAgentSpeech({ timeoutMs: 5000 })).ok).toBe(true);
    expect((await line.waitForAgentSilence({ silenceMs: 700, timeoutMs: 15_000 })).ok).toBe(true);
    const said = (await thread(server, sessionId, 'AuthAgent')).slice(-2).map((m) => m.content);
    expect(said.join(' ')).toContain("you're verified");

    const listed = await (await fetch(`${server.url}/api/v1/calls`)).json();
    expect(listed).toMatchObject({ calls: [{ callId, sessionId, state: 'connected', from: CALLER }] });

    await acs.callerHangsUp(callId);
    const record = await callRecordOf(server, sessionId);
    expect(record).toMatchObject({
      direction: 'inbound',
      state: 'disconnected',
      endReason: 'the caller hung up',
      from: CALLER,
      to: ACS_NUMBER,
      media: { status: 'mediaStreamingStarted' },
      participants: expect.arrayContaining([CALLER]) as unknown,
    });
    expect(record?.connectedAt).toEqual(expect.any(String));
    expect(record?.endedAt).toEqual(expect.any(String));
    expect(acs.deliveriesOf(callId).map((d) => [d.event['type'], d.status])).toEqual([
      ['Microsoft.Communication.CallConnected', 200],
      ['Microsoft.Communication.ParticipantsUpdated', 200],
      ['Microsoft.Communication.MediaStreamingStarted', 200],
      ['Microsoft.Communication.CallDisconnected', 200],
    ]);
    expect(acs.refusedRequests).toEqual([]);
    const speech = server.services.speech!;
    await until(
      () => [speech.recognizers, speech.synthesizers, speech.vads].every((p) => p.stats().inUse === 0),
      5000,
    );
    expect(await (await fetch(`${server.url}/api/v1/calls`)).json()).toEqual({ calls: [] });
  }, 60_000);
});
