import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/server.ts';
import type { AcsSimulator } from '../../../src/telephony/simulator/acs-simulator.ts';
import { thread } from '../../helpers/media.ts';
import { callRecordOf, startPhoneSystem } from '../../helpers/telephony.ts';
import { playedSince, playsSettled, ringTranscribed } from '../../helpers/transcription.ts';

let acs: AcsSimulator;
let server: RunningServer;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ acs, server, close } = await startPhoneSystem(
    { ACS_STREAMING_MODE: 'transcription' },
    { endSilenceMs: 300, playbackSpeed: 3 },
  ));
});
afterAll(() => close());

describe('transcription mode with an agent: ACS recognises, the agent answers, ACS speaks', () => {
  it('completes the insurance demo over scripted results, played sentence by sentence', async () => {
    const { call, sessionId, line } = await ringTranscribed(acs, server);
    expect(call.transcriptionOptions).toMatchObject({
      transportType: 'websocket',
      locale: 'en-US',
      startTranscription: true,
      enableIntermediateResults: true,
    });
    expect(call.mediaStreaming).toBeUndefined();
    await playsSettled(call);
    expect(playedSince(call, 0)).toMatch(/insurance/i);
    const turns = [
      ['my name is alice brown', /ZIP code/],
      ['six oh six oh one', /verified/],
      ['I want to report a claim', /claims/i],
      ['yesterday', /./],
      ['a tree fell on my car', /./],
      ['no', /./],
      ['yes', /./],
    ] as const;
    for (const [said, reply] of turns) {
      const from = call.speaker.plays.length;
      await line.speak(said);
      await playsSettled(call, from);
      expect(playedSince(call, from)).toMatch(reply);
    }
    const from = call.speaker.plays.length;
    await line.speak('no');
    await playsSettled(call, from);
    expect(playedSince(call, from)).toMatch(/Goodbye/);
    expect(call.speaker.plays.some((p) => /Your claim number is (\d ){5}\d\./.test(p.text))).toBe(true);
    const record = await callRecordOf(server, sessionId);
    expect(record).toMatchObject({ state: 'disconnected', hangUpBy: 'agent' });
    expect(record?.transcription?.status).toBe('transcriptionStarted');
    expect((await thread(server, sessionId, 'ClaimsAgent')).length).toBeGreaterThan(3);
  }, 120_000);

  it('hears the keypad through ACS (continuous DTMF recognition): the ZIP code keyed in verifies the caller', async () => {
    const { call, line } = await ringTranscribed(acs, server);
    await playsSettled(call);
    expect(call.keypadHeard).toBe(true);
    let from = call.speaker.plays.length;
    await line.speak('my name is alice brown');
    await playsSettled(call, from);
    from = call.speaker.plays.length;
    await acs.pressKeys(call.callId, '60601#');
    await playsSettled(call, from);
    expect(playedSince(call, from)).toMatch(/verified/);
    await acs.callerHangsUp(call.callId);
  }, 60_000);
});
