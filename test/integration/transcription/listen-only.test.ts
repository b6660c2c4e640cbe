import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/server.ts';
import type { AcsSimulator } from '../../../src/telephony/simulator/acs-simulator.ts';
import { callerSpeech, thread, watchSession } from '../../helpers/media.ts';
import { callRecordOf, CALLER, PERSON, startPhoneSystem } from '../../helpers/telephony.ts';
import { until } from '../../helpers/wait.ts';

let acs: AcsSimulator;
let server: RunningServer;
let close: () => Promise<void>;
beforeAll(async () => {
  // The server answers in media mode; the call below asks for listen-only transcription.
  ({ acs, server, close } = await startPhoneSystem({}, { endSilenceMs: 300 }));
});
afterAll(() => close());

describe('transcription mode, listen-only: a live transcript of a call between people', () => {
  it('keeps a speaker-attributed transcript with word timings in the session and on a dashboard, and says nothing', async () => {
    const placed = await fetch(`${server.url}/api/v1/calls/initiate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        target_number: CALLER,
        streaming_mode: 'transcription',
        transcription: 'listen',
      }),
    });
    expect(placed.status).toBe(200);
    const placedCall = (await placed.json()) as { call_connection_id: string; session_id: string };
    const { call_connection_id: callId, session_id: sessionId } = placedCall;
    const dashboard = await watchSession(server, sessionId);
    const line = await acs.transcriptionOf(callId);
    expect(acs.calls.get(callId)?.transcriptionOptions).toMatchObject({
      locale: 'en-US',
      startTranscription: true,
    });

    await line.speak('hello I would like to check on my order');
    await line.speak('sure what is the order number', { participant: `4:${PERSON}` });
    const spoken = await line.say(await callerSpeech('Four five six seven.'));

    const kept = async () => (await thread(server, sessionId, 'transcript')).length === 3;
    await until(kept, 5000);
    const transcript = await thread(server, sessionId, 'transcript');
    expect(transcript.map((m) => [m.meta?.['speaker'], m.meta?.['participant']])).toEqual([
      ['caller', `4:${CALLER}`],
      ['participant', `4:${PERSON}`],
      ['caller', `4:${CALLER}`],
    ]);
    expect(transcript.map((m) => m.content).slice(0, 2)).toEqual([
      'hello I would like to check on my order',
      'sure what is the order number',
    ]);
    expect(transcript[2]?.content).toBe(spoken.text); // what the recognizer heard, errors and all
    const words = transcript[0]?.meta?.['words'] as {
      text: string;
      offset_ms: number;
      duration_ms: number;
    }[];
    expect(words.map((w) => w.text)).toEqual([
      'hello',
      'i',
      'would',
      'like',
      'to',
      'check',
      'on',
      'my',
      'order',
    ]);
    for (let i = 1; i < words.length; i += 1)
      expect(words[i]!.offset_ms).toBeGreaterThan(words[i - 1]!.offset_ms);
    expect(words[0]!.duration_ms).toBeGreaterThan(0);

    const captions = dashboard.envelopes.filter((e) => e.type === 'user_transcript').map((e) => e.payload);
    expect(captions.filter((c) => c['final'] === true).map((c) => c['speaker'])).toEqual([
      'caller',
      'participant',
      'caller',
    ]);
    expect(captions.filter((c) => c['final'] === false).length).toBeGreaterThan(5); // live captions
    expect(acs.calls.get(callId)?.speaker.plays).toEqual([]); // nothing was spoken
    expect(await thread(server, sessionId, 'AuthAgent')).toEqual([]);

    // The API's hang-up ends a listen-only call at once: there is no agent to say goodbye.
    const hungUp = await fetch(`${server.url}/api/v1/calls/${callId}/hangup`, { method: 'POST' });
    expect(hungUp.status).toBe(202);
    await until(async () => (await callRecordOf(server, sessionId))?.state === 'disconnected', 5000);
    expect(await callRecordOf(server, sessionId)).toMatchObject({
      state: 'disconnected',
      endReason: 'hung up through the API',
    });
    dashboard.close();
  }, 60_000);
});
