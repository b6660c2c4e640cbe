import { setTimeout as sleep } from 'node:timers/promises';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, it } from 'vitest';
import { SimulatedCaller } from '../../../src/load/simulated-caller.ts';
import { sine } from '../../helpers/signals.ts';
import { framesInWindow, startFakeAgent, type FakeAgent } from '../../helpers/fake-agent.ts';

const voice = (ms: number) => sine(300, 16000, 16 * ms, 0.3);
const servers: FakeAgent[] = [];
const start = async (options: Omit<Parameters<typeof startFakeAgent>[0], 'protocol'> = {}) => {
  const server = await startFakeAgent({ protocol: 'acs', ...options });
  servers.push(server);
  return server;
};
const caller = (url: string) => new SimulatedCaller({ url, protocol: 'acs', connectTimeoutMs: 2000 });

afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

describe.concurrent('SimulatedCaller over ACS', () => {
  it('measures the greeting, voice-to-voice and the reply, and streams exact 20 ms frames at 50/s', async ({
    expect,
  }) => {
    const server = await start();
    const call = caller(server.url);
    expect(await call.connect()).toBe(true);
    expect(await call.waitForAgentSpeech({ timeoutMs: 1000 })).toMatchObject({ ok: true });
    expect(await call.waitForAgentSilence({ silenceMs: 200, timeoutMs: 2000 })).toMatchObject({ ok: true });
    expect(await call.say(voice(500), { label: 'hello' })).toBe(true);
    expect(await call.waitForAgentSpeech({ timeoutMs: 1500 })).toMatchObject({ ok: true });
    expect(await call.waitForAgentSilence({ silenceMs: 200, timeoutMs: 2000 })).toMatchObject({ ok: true });
    const record = await call.hangup();

    expect(record.errors).toEqual([]);
    expect(record).toMatchObject({
      endedBy: 'caller',
      closeCode: 1000,
      greetingSpeechMs: 600,
      agentStops: 0,
    });
    expect(record.connectMs).toBeLessThan(200);
    expect(record.greetingTtfbMs).toBeGreaterThanOrEqual(0);
    expect(record.greetingTtfbMs).toBeLessThan(300); // the fake greets at once; its greeting ends at 600 ms
    expect(record.turns).toHaveLength(1);
    const [turn] = record.turns;
    expect(turn).toMatchObject({
      index: 0,
      label: 'hello',
      bargeIn: false,
      agentSpeechMs: 400,
      framesIn: 20,
    });
    expect(turn!.userSpeechEndMs! - turn!.userSpeechStartMs).toBeGreaterThanOrEqual(470);
    expect(turn!.voiceToVoiceMs).toBeGreaterThanOrEqual(300);
    expect(turn!.voiceToVoiceMs).toBeLessThanOrEqual(600);
    expect(turn!.agentSpeechSpanMs).toBeGreaterThan(360);
    expect(turn!.agentSpeechSpanMs).toBeLessThan(480);
    expect(record.agentPlayedMs).toBeCloseTo(1000, 0);

    const [fake] = server.calls;
    expect(fake!.url).toContain(`call_connection_id=${call.callId}`);
    expect(fake!.url).toContain(`session_id=${call.sessionId}`);
    expect(fake!.url.startsWith('/api/v1/media/stream?')).toBe(true);
    expect(fake!.headers['x-ms-call-connection-id']).toBe(call.callId);
    expect(fake!.messages[0]).toMatchObject({
      kind: 'AudioMetadata',
      audioMetadata: { encoding: 'PCM', sampleRate: 16000, channels: 1, length: 640 },
    });
    expect(fake!.frames.every((frame) => frame.bytes === 640)).toBe(true);
    expect(fake!.frames.length).toBe(record.framesOut);
    const perSecond = framesInWindow(fake!.frames, 300, 1000);
    expect(perSecond).toBeGreaterThanOrEqual(48);
    expect(perSecond).toBeLessThanOrEqual(52);
    // Silence between utterances: the stream never pauses, one frame per 20 ms of the whole call.
    const streamed = fake!.frames.at(-1)!.at - fake!.frames[0]!.at;
    expect(Math.abs(fake!.frames.length - 1 - streamed / 20)).toBeLessThanOrEqual(3);
    // The utterance went out as speech, the rest as silence.
    expect(fake!.frames.filter((frame) => frame.level > 0.1).length).toBe(25);
  });

  it('measures a barge-in: speech onset to StopAudio, with the playback queue flushed', async ({
    expect,
  }) => {
    const server = await start();
    const call = caller(server.url);
    await call.connect();
    expect(await call.waitForAgentSpeech({ timeoutMs: 1000 })).toMatchObject({ ok: true });
    await sleep(200);
    await call.say(voice(300));
    expect(await call.waitForAgentSpeech({ timeoutMs: 1500 })).toMatchObject({ ok: true });
    await call.waitForAgentSilence({ silenceMs: 200, timeoutMs: 2000 });
    const record = await call.hangup();

    expect(record.errors).toEqual([]);
    expect(server.calls[0]!.stopsSent).toBe(1);
    expect(record.agentStops).toBe(1);
    expect(record.greetingSpeechMs).toBeLessThan(400);
    const [turn] = record.turns;
    expect(turn!.bargeIn).toBe(true);
    expect(turn!.bargeInStopMs).toBeGreaterThanOrEqual(0);
    expect(turn!.bargeInStopMs).toBeLessThan(250); // the fake stops at the first speech frame of 300 ms
    expect(turn!.voiceToVoiceMs).toBeGreaterThanOrEqual(300);
    expect(turn!.voiceToVoiceMs).toBeLessThanOrEqual(600);
  });

  it('counts only speech as agent audio when the server also streams silence frames', async ({ expect }) => {
    const server = await start({ streamSilence: true, greetingMs: 200 });
    const call = caller(server.url);
    await call.connect();
    await call.waitForAgentSpeech({ timeoutMs: 1000 });
    await call.waitForAgentSilence({ silenceMs: 200, timeoutMs: 2000 });
    await call.say(voice(200));
    await call.waitForAgentSpeech({ timeoutMs: 1500 });
    await call.waitForAgentSilence({ silenceMs: 200, timeoutMs: 2000 });
    const record = await call.hangup();
    expect(record.errors).toEqual([]);
    expect(record.greetingSpeechMs).toBe(200);
    expect(record.turns[0]).toMatchObject({ agentSpeechMs: 400, bargeIn: false });
    expect(record.turns[0]!.voiceToVoiceMs).toBeGreaterThanOrEqual(300);
    expect(record.turns[0]!.voiceToVoiceMs).toBeLessThanOrEqual(600);
    // Silence frames arrived too; they are frames, not speech.
    expect(record.turns[0]!.framesIn).toBeGreaterThan(20);
  });

  it('records a refused upgrade with its HTTP status instead of throwing', async ({ expect }) => {
    const server = await start({ refuseStatus: 503 });
    const call = caller(server.url);
    expect(await call.connect()).toBe(false);
    const record = await call.done;
    expect(record).toMatchObject({
      httpStatus: 503,
      endedBy: 'error',
      connectMs: undefined,
      closeCode: undefined,
    });
    expect(record.errors).toEqual([
      { kind: 'upgrade_refused', reason: expect.stringContaining('HTTP 503'), atMs: expect.any(Number) },
    ]);
    expect(await call.say(voice(100))).toBe(false);
    expect(await call.waitForAgentSpeech({ timeoutMs: 100 })).toEqual({ ok: false, reason: 'closed' });
  });

  it('records an unreachable server and a handshake that never completes', async ({ expect }) => {
    const refused = caller('ws://127.0.0.1:1');
    expect(await refused.connect()).toBe(false);
    expect((await refused.done).errors).toMatchObject([
      { kind: 'connect_failed', reason: expect.stringContaining('ECONNREFUSED') },
    ]);

    const silent: Server = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const stuck = new SimulatedCaller({
      url: `ws://127.0.0.1:${port}`,
      protocol: 'acs',
      connectTimeoutMs: 200,
    });
    expect(await stuck.connect()).toBe(false);
    expect((await stuck.done).errors).toMatchObject([{ kind: 'connect_timeout' }]);
    silent.close();
  });

  it('records the server closing mid-call, and ends the call cleanly', async ({ expect }) => {
    const server = await start({ closeAfter: { ms: 300, code: 1011, reason: 'boom' } });
    const call = caller(server.url);
    await call.connect();
    const speaking = call.say(voice(1000));
    const waiting = call.waitForAgentSilence({ silenceMs: 5000, timeoutMs: 5000 });
    const record = await call.done;
    expect(await speaking).toBe(false);
    expect(await waiting).toEqual({ ok: false, reason: 'closed' });
    expect(record).toMatchObject({ endedBy: 'server', closeCode: 1011, closeReason: 'boom' });
    expect(record.errors).toMatchObject([
      { kind: 'server_closed', reason: expect.stringContaining('1011 boom') },
    ]);
    expect(record.durationMs).toBeGreaterThan(250);
    expect(call.state).toBe('closed');
  });

  it('counts a wrong-length frame and unreadable messages as errors, and carries on', async ({ expect }) => {
    const server = await start({
      greetingMs: 200,
      badFrame: { index: 3, bytes: 100 },
      junk: ['not json', '{"kind":"AudioData","audioData":{"data":"@@@"}}', '{"Kind":"Mark"}', '{"data":1}'],
    });
    const call = caller(server.url);
    await call.connect();
    await call.waitForAgentSpeech({ timeoutMs: 1000 });
    await call.waitForAgentSilence({ silenceMs: 200, timeoutMs: 2000 });
    expect(call.state).toBe('open');
    const record = await call.hangup();
    expect(record.errorCounts).toEqual({ invalid_frame: 1, malformed_message: 4 });
    expect(
      record.errors.filter((e) => e.kind === 'malformed_message').map((e) => e.reason.split(':')[0]),
    ).toEqual(['not_json', 'invalid_base64', 'unknown_kind', 'missing_field']);
    expect(record.errors.find((e) => e.kind === 'invalid_frame')?.reason).toBe(
      'agent audio frame of 100 bytes; expected 640 (20 ms of PCM16 at 16000 Hz)',
    );
    expect(record.greetingSpeechMs).toBe(180);
  });

  it('sends DTMF as one DtmfData per digit', async ({ expect }) => {
    const server = await start({ greetingMs: 20 });
    const call = caller(server.url);
    await call.connect();
    expect(call.sendDtmf('12#')).toBe(true);
    expect(() => call.sendDtmf('x')).toThrow(/not DTMF/);
    expect(() => call.sendText('hi')).toThrow(/browser/);
    await sleep(50);
    await call.hangup();
    expect(server.calls[0]!.messages.slice(1)).toEqual(
      ['1', '2', '#'].map((data) => ({ kind: 'DtmfData', dtmfData: { data } })),
    );
  });

  it('streams 24 kHz when asked: 960-byte frames out, 960-byte agent frames expected', async ({ expect }) => {
    const server = await start({ sampleRate: 24000, greetingMs: 100 });
    const call = new SimulatedCaller({ url: server.url, protocol: 'acs', sampleRate: 24000 });
    await call.connect();
    await call.waitForAgentSpeech({ timeoutMs: 1000 });
    await call.waitForAgentSilence({ silenceMs: 200, timeoutMs: 1000 });
    const record = await call.hangup();
    expect(record.errors).toEqual([]);
    expect(record.greetingSpeechMs).toBe(100);
    expect(server.calls[0]!.messages[0]).toMatchObject({ audioMetadata: { sampleRate: 24000, length: 960 } });
    expect(server.calls[0]!.frames.every((frame) => frame.bytes === 960)).toBe(true);
    expect(() => new SimulatedCaller({ url: server.url, protocol: 'acs', sampleRate: 8000 })).toThrow(
      /16000, 24000/,
    );
  });

  it('hangs up when its signal aborts, and an aborted wait says so', async ({ expect }) => {
    const server = await start({ greetingMs: 100 });
    const controller = new AbortController();
    const call = new SimulatedCaller({ url: server.url, protocol: 'acs', signal: controller.signal });
    await call.connect();
    const waitAbort = new AbortController();
    const waiting = call.waitForAgentSilence({
      silenceMs: 10_000,
      timeoutMs: 10_000,
      signal: waitAbort.signal,
    });
    waitAbort.abort();
    expect(await waiting).toEqual({ ok: false, reason: 'aborted' });
    controller.abort();
    const record = await call.done;
    expect(record).toMatchObject({ endedBy: 'caller', closeCode: 1000, errors: [] });
  });
});
