import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { RunningServer } from '../../../src/server/server.ts';
import type { AcsSimulator } from '../../../src/telephony/simulator/acs-simulator.ts';
import { TROUBLE_MESSAGE } from '../../../src/telephony/telephony.ts';
import { thread } from '../../helpers/media.ts';
import { callRecordOf, PERSON, startPhoneSystem } from '../../helpers/telephony.ts';
import { playedSince, playsSettled, ringTranscribed } from '../../helpers/transcription.ts';
import { until } from '../../helpers/wait.ts';

let acs: AcsSimulator;
let server: RunningServer;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ acs, server, close } = await startPhoneSystem(
    { ACS_STREAMING_MODE: 'transcription', MAX_BAD_MESSAGES: '5' },
    { endSilenceMs: 300, playbackSpeed: 4 },
  ));
});
afterAll(() => close());

const badMessages = async () => {
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  return [
    ...metrics.matchAll(
      /^rtvoice_media_bad_messages_total\{[^}]*transport="acs_transcription"[^}]*\} (\d+)/gm,
    ),
  ]
    .map((m) => Number(m[1]))
    .reduce((a, b) => a + b, 0);
};

describe('transcription mode when things go wrong: never a silent line', () => {
  it('counts and skips malformed messages; a run of them breaks the stream, which is restarted without a second greeting', async () => {
    const { call, sessionId, line } = await ringTranscribed(acs, server);
    await playsSettled(call);
    const before = await badMessages();
    line.sendRaw('{not json');
    line.sendRaw(
      JSON.stringify({ kind: 'TranscriptionData', transcriptionData: { text: 'x', resultStatus: 'Maybe' } }),
    );
    line.sendRaw(JSON.stringify({ kind: 'AudioData', audioData: {} }));
    line.sendRaw(
      JSON.stringify({ kind: 'transcriptiondata', transcriptionData: { text: 7, resultStatus: 'final' } }),
    );
    let from = call.speaker.plays.length;
    await line.speak('my name is alice brown');
    await playsSettled(call, from);
    expect(playedSince(call, from)).toMatch(/ZIP code/);
    expect((await badMessages()) - before).toBe(4);

    // Six in a row: the server closes the socket (1007), ACS reports the transcription failed, rtvoice restarts it.
    for (let i = 0; i < 6; i += 1) line.sendRaw('garbage');
    expect((await line.closed).code).toBe(1007);
    const resumed = await acs.transcriptionOf(call.callId);
    expect(resumed).not.toBe(line);
    from = call.speaker.plays.length;
    await resumed.speak('six oh six oh one');
    await playsSettled(call, from);
    expect(playedSince(call, from)).toMatch(/verified/);
    expect(call.speaker.plays.filter((p) => p.text.includes('Hi there from XYZ Insurance!'))).toHaveLength(1);
    expect(await callRecordOf(server, sessionId)).toMatchObject({
      state: 'connected',
      transcriptionRestarts: 1,
    });
    await acs.callerHangsUp(call.callId);
  }, 60_000);

  it('hands the caller to a person, with an apology, when the transcription fails again after its restart', async () => {
    const { call, sessionId } = await ringTranscribed(acs, server);
    await playsSettled(call);
    await acs.failTranscription(call.callId);
    await acs.transcriptionOf(call.callId); // restarted once
    const from = call.speaker.plays.length;
    await acs.failTranscription(call.callId);
    await until(() => call.transferredTo !== undefined, 10_000);
    expect(call.transferredTo).toBe(PERSON);
    expect(call.speaker.plays.slice(from).map((p) => p.text)).toEqual([TROUBLE_MESSAGE]);
    const record = await callRecordOf(server, sessionId);
    expect(record?.transfer).toMatchObject({ target: PERSON });
    expect(record?.transcriptionRestarts).toBe(1);
  }, 30_000);

  it('retries a failed play in the default voice, and hands the call over when ACS cannot play at all', async () => {
    acs.failNextPlays(1);
    const first = await ringTranscribed(acs, server);
    await playsSettled(first.call);
    const [failed, retried] = first.call.speaker.plays;
    expect(failed).toMatchObject({ outcome: 'failed', voice: 'en-US-AvaMultilingualNeural' });
    expect(retried).toMatchObject({ outcome: 'completed', voice: undefined, text: failed?.text });
    await acs.callerHangsUp(first.call.callId);

    acs.failNextPlays(2);
    const second = await ringTranscribed(acs, server);
    await until(() => second.call.transferredTo !== undefined, 10_000);
    expect(second.call.transferredTo).toBe(PERSON);
    expect(second.call.speaker.plays.map((p) => p.outcome)).toEqual(['failed', 'failed']);
    // Nothing could be played, so the history keeps none of it (saved as the call's handler closes).
    const spoken = async () =>
      (await thread(server, second.sessionId, 'AuthAgent')).filter((m) => m.role === 'assistant');
    await until(async () => (await spoken()).length === 0, 5000);
    expect(await spoken()).toEqual([]);
  }, 30_000);

  it('refuses a transcription stream for a call rtvoice does not know, and goes on serving the others', async () => {
    const token = await acs.issuer.mint({ lifetimeSeconds: 300 });
    const socket = new WebSocket(`${server.url.replace('http', 'ws')}/api/v1/media/transcription`, {
      headers: { authorization: `Bearer ${token}`, 'x-ms-call-connection-id': 'no-such-call' },
    });
    const [code, reason] = (await once(socket, 'close')) as [number, Buffer];
    expect(code).toBe(4002);
    expect(reason.toString()).toContain('call no-such-call is not one of them');
    const { call } = await ringTranscribed(acs, server);
    await playsSettled(call);
    expect(call.speaker.plays.every((p) => p.outcome === 'completed')).toBe(true);
    await acs.callerHangsUp(call.callId);
  }, 30_000);
});
