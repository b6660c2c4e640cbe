import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Envelope } from '../../../src/connections/envelope.ts';
import type { RunningServer } from '../../../src/server/server.ts';
import type { AcsSimulator } from '../../../src/telephony/simulator/acs-simulator.ts';
import { callerSpeech, thread, watchSession } from '../../helpers/media.ts';
import { startPhoneSystem } from '../../helpers/telephony.ts';
import { playsSettled, ringTranscribed } from '../../helpers/transcription.ts';
import { until } from '../../helpers/wait.ts';

let acs: AcsSimulator;
let server: RunningServer;
let close: () => Promise<void>;
beforeAll(async () => {
  // Plays last as long as their audio: the caller talks over a sentence while ACS plays it.
  ({ acs, server, close } = await startPhoneSystem({ ACS_STREAMING_MODE: 'transcription' }));
});
afterAll(() => close());

const payloads = (envelopes: Envelope[], type: string) =>
  envelopes.filter((e) => e.type === type).map((e) => e.payload);

describe('transcription mode: the caller interrupts the agent', () => {
  it('an Intermediate result over a play cancels it, and the history keeps only the sentences played in full', async () => {
    const { call, sessionId, line } = await ringTranscribed(acs, server);
    const dashboard = await watchSession(server, sessionId);
    // The greeting is two sentences: the caller speaks (real audio, recognised) over the second.
    await until(() => call.speaker.plays[1]?.startedAt !== undefined, 10_000);
    await line.say(await callerSpeech('My name is Alice Brown.'));
    await playsSettled(call, 2);
    const [first, second] = call.speaker.plays;
    expect(first?.outcome).toBe('completed');
    expect(second?.outcome).toBe('canceled');
    expect(second!.endedAt! - second!.startedAt!).toBeLessThan(second!.audioMs!);

    const greeting = (await thread(server, sessionId, 'AuthAgent')).filter(
      (m) => m.role === 'assistant' && m.meta?.['turn'] === 1,
    );
    expect(greeting.map((m) => m.content).join(' ')).toBe(first?.text);
    const bargeIn = payloads(dashboard.envelopes, 'event').find((p) => p['event'] === 'barge_in');
    expect(bargeIn?.['heard_text']).toBe(first?.text);

    // The interruption was a turn: the agent answered it, and its figures were taken.
    expect(call.speaker.plays.slice(2).some((p) => p.outcome === 'completed')).toBe(true);
    await until(() => payloads(dashboard.envelopes, 'metrics').some((m) => m['turn'] === 2), 5000);
    const turn = payloads(dashboard.envelopes, 'metrics').find((m) => m['turn'] === 2)!;
    expect(turn['final_to_play_ms']).toEqual(expect.any(Number));
    expect(turn['voice_to_voice_ms']).toEqual(expect.any(Number));
    expect(turn['voice_to_voice_ms'] as number).toBeGreaterThan(turn['final_to_play_ms'] as number);
    expect(
      payloads(dashboard.envelopes, 'metrics').find((m) => m['turn'] === 1)?.['barge_in_stop_ms'],
    ).toEqual(expect.any(Number));
    const captions = payloads(dashboard.envelopes, 'user_transcript');
    expect(captions.some((c) => c['final'] === false && c['speaker'] === 'caller')).toBe(true);
    expect(captions.some((c) => c['final'] === true && c['speaker'] === 'caller')).toBe(true);
    dashboard.close();
    await acs.callerHangsUp(call.callId);
  }, 60_000);

  it('a short sound over the agent ("mm") neither interrupts it nor makes a turn', async () => {
    const { call, sessionId, line } = await ringTranscribed(acs, server);
    await until(() => call.speaker.plays[0]?.startedAt !== undefined, 10_000);
    const at = line.streamMs();
    const mm = {
      text: 'mm',
      offsetMs: at,
      durationMs: 120,
      words: [{ text: 'mm', offsetMs: at, durationMs: 120 }],
    };
    line.send({ ...mm, final: false, confidence: undefined, participantRawId: `4:${call.from}` });
    line.send({ ...mm, final: true, confidence: 0.6, participantRawId: `4:${call.from}` });
    await playsSettled(call, 1);
    expect(call.speaker.plays.map((p) => p.outcome)).toEqual(['completed', 'completed']);
    const said = (await thread(server, sessionId, 'AuthAgent')).filter((m) => m.role === 'user');
    expect(said).toEqual([]);
    await acs.callerHangsUp(call.callId);
  }, 30_000);
});
