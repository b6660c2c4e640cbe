import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, it } from 'vitest';
import { SimulatedCaller } from '../../../src/load/simulated-caller.ts';
import { sine } from '../../helpers/signals.ts';
import {
  framesInWindow,
  startFakeAgent,
  type FakeAgent,
  type FakeAgentOptions,
} from '../../helpers/fake-agent.ts';

const voice = (ms: number) => sine(300, 16000, 16 * ms, 0.3);
const servers: FakeAgent[] = [];
const start = async (options: Omit<FakeAgentOptions, 'protocol'> = {}) => {
  const server = await startFakeAgent({ protocol: 'browser', ...options });
  servers.push(server);
  return server;
};
const caller = (url: string) => new SimulatedCaller({ url, protocol: 'browser', connectTimeoutMs: 2000 });
const playedMarks = (server: FakeAgent) =>
  server.calls[0]!.messages.filter((m) => m.type === 'played').map((m) => m.until_ms as number);

afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

describe.concurrent('SimulatedCaller over the browser protocol', () => {
  it('measures greeting and voice-to-voice, acknowledges playback with played marks, keeps envelopes', async ({
    expect,
  }) => {
    const server = await start();
    const call = caller(server.url);
    expect(await call.connect()).toBe(true);
    await call.waitForAgentSpeech({ timeoutMs: 1000 });
    await sleep(300);
    // Mid-greeting: marks every ~100 ms of the playback clock, so 1–4 by now.
    const early = playedMarks(server);
    expect(early.length).toBeGreaterThanOrEqual(1);
    expect(early.length).toBeLessThanOrEqual(4);
    await call.waitForAgentSilence({ silenceMs: 200, timeoutMs: 2000 });
    // The whole greeting was heard: the last mark is exactly its length, and no more marks while idle.
    expect(playedMarks(server).at(-1)).toBe(600);
    await call.say(voice(500));
    await call.waitForAgentSpeech({ timeoutMs: 1500 });
    await call.waitForAgentSilence({ silenceMs: 200, timeoutMs: 2000 });
    const record = await call.hangup();

    expect(record.errors).toEqual([]);
    expect(record.greetingTtfbMs).toBeLessThan(100);
    expect(record.turns[0]).toMatchObject({ agentSpeechMs: 400, bargeIn: false });
    expect(record.turns[0]!.voiceToVoiceMs).toBeGreaterThanOrEqual(300);
    expect(record.turns[0]!.voiceToVoiceMs).toBeLessThanOrEqual(600);

    const marks = playedMarks(server);
    expect(marks.at(-1)).toBe(1000);
    expect(marks).toEqual([...marks].sort((a, b) => a - b));
    expect(new Set(marks).size).toBe(marks.length);
    // ~10 marks per second of agent audio (1 s played), one more as each spurt ends.
    expect(marks.length).toBeGreaterThanOrEqual(8);
    expect(marks.length).toBeLessThanOrEqual(14);

    const [fake] = server.calls;
    expect(fake!.url).toBe(`/api/v1/realtime/conversation?session_id=${call.sessionId}`);
    expect(fake!.messages[0]).toEqual({ type: 'start', sample_rate: 16000 });
    expect(fake!.frames.every((frame) => frame.bytes === 640)).toBe(true);
    const perSecond = framesInWindow(fake!.frames, 300, 1000);
    expect(perSecond).toBeGreaterThanOrEqual(48);
    expect(perSecond).toBeLessThanOrEqual(52);

    expect(call.envelopesOfType('user_transcript')).toMatchObject([{ payload: { text: 'caller spoke' } }]);
    expect(call.envelopes.map((e) => e.envelope.type)).toEqual([
      'user_transcript',
      'assistant_transcript',
      'metrics',
    ]);
    expect(call.envelopes[0]!.atMs).toBeGreaterThan(record.turns[0]!.userSpeechEndMs!);
  });

  it('measures a barge-in to audio_stop and reports what was heard at once', async ({ expect }) => {
    const server = await start();
    const call = caller(server.url);
    await call.connect();
    await call.waitForAgentSpeech({ timeoutMs: 1000 });
    await sleep(250);
    await call.say(voice(300));
    await call.waitForAgentSpeech({ timeoutMs: 1500 });
    await call.waitForAgentSilence({ silenceMs: 200, timeoutMs: 2000 });
    const record = await call.hangup();
    expect(record.errors).toEqual([]);
    expect(record.agentStops).toBe(1);
    const [turn] = record.turns;
    expect(turn!.bargeIn).toBe(true);
    expect(turn!.bargeInStopMs).toBeLessThan(100);
    expect(turn!.voiceToVoiceMs).toBeGreaterThanOrEqual(300);
    // The mark right after the stop: the greeting as far as it played (about 250 ms of 600), then the reply.
    const marks = playedMarks(server);
    expect(marks.at(-1)).toBe(Math.round(record.greetingSpeechMs - record.agentDroppedMs) + 400);
    expect(record.agentDroppedMs).toBeGreaterThanOrEqual(0);
    expect(marks.some((m) => m > 200 && m < 450)).toBe(true);
  });

  it('sends typed text as a turn, and DTMF', async ({ expect }) => {
    const server = await start({ greetingMs: 100 });
    const call = caller(server.url);
    await call.connect();
    await call.waitForAgentSilence({ silenceMs: 200, timeoutMs: 2000 });
    expect(call.sendText('hello there')).toBe(true);
    expect(call.sendDtmf('5')).toBe(true);
    await call.waitForAgentSpeech({ timeoutMs: 1000 });
    const record = await call.hangup();
    expect(record.turns[0]).toMatchObject({ label: 'text', bargeIn: false });
    // The fake server answers text after 100 ms.
    expect(record.turns[0]!.voiceToVoiceMs).toBeGreaterThanOrEqual(95);
    expect(record.turns[0]!.voiceToVoiceMs).toBeLessThan(300);
    expect(server.calls[0]!.messages).toEqual(
      expect.arrayContaining([
        { type: 'user_text', text: 'hello there' },
        { type: 'dtmf', digits: '5' },
      ]),
    );
  });

  it('counts a wrong-length binary frame as invalid', async ({ expect }) => {
    const server = await start({ greetingMs: 200, badFrame: { index: 2, bytes: 1001 }, junk: ['{"type":'] });
    const call = caller(server.url);
    await call.connect();
    await call.waitForAgentSpeech({ timeoutMs: 1000 });
    await call.waitForAgentSilence({ silenceMs: 200, timeoutMs: 2000 });
    const record = await call.hangup();
    expect(record.errorCounts).toEqual({ invalid_frame: 1, malformed_message: 1 });
    expect(record.errors.find((e) => e.kind === 'invalid_frame')?.reason).toContain('1001 bytes');
    expect(record.errors.find((e) => e.kind === 'malformed_message')?.reason).toBe(
      'not_json: text frame is not JSON ({"type":)',
    );
    expect(record.greetingSpeechMs).toBe(180);
  });

  it('treats a close after session_end as the end of the call, and any other close as an error', async ({
    expect,
  }) => {
    const ended = await start({
      closeAfter: { ms: 200, code: 1000, reason: 'done' },
      sessionEndBeforeClose: true,
    });
    const normal = caller(ended.url);
    await normal.connect();
    const record = await normal.done;
    expect(record).toMatchObject({ endedBy: 'server', closeCode: 1000, errors: [] });
    expect(normal.envelopesOfType('session_end')).toHaveLength(1);

    const crashed = await start({ closeAfter: { ms: 200, code: 1000, reason: 'bye' } });
    const abrupt = caller(crashed.url);
    await abrupt.connect();
    expect((await abrupt.done).errors).toMatchObject([{ kind: 'server_closed' }]);
  });
});
