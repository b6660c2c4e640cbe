import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rms } from '../../../src/audio/levels.ts';
import type { Pcm16 } from '../../../src/audio/pcm.ts';
import type { RunningServer } from '../../../src/server/server.ts';
import { callerSpeech, newCaller, startMediaServer, thread } from '../../helpers/media.ts';
import { RealtimeServiceSimulator, type RealtimeSession } from '../../helpers/simulators/realtime-service.ts';
import { until } from '../../helpers/wait.ts';

let ga: RealtimeServiceSimulator;
let preview: RealtimeServiceSimulator;
let server: RunningServer;
let previewServer: RunningServer;
beforeAll(async () => {
  [ga, preview] = await Promise.all([
    RealtimeServiceSimulator.start('ga'),
    RealtimeServiceSimulator.start('preview'),
  ]);
  [server, previewServer] = await Promise.all([
    startMediaServer({
      ACS_STREAMING_MODE: 'voice_live',
      VOICE_LIVE_URL: ga.url,
      VOICE_LIVE_API_KEY: 'vl-key',
    }),
    startMediaServer({
      ACS_STREAMING_MODE: 'voice_live',
      VOICE_LIVE_URL: preview.url,
      VOICE_LIVE_DIALECT: 'preview',
    }),
  ]);
});
afterAll(async () => {
  await Promise.all([server.close(), previewServer.close()]);
  await Promise.all([ga.close(), preview.close()]);
});

/** A caller on `on`, the service session it opened, and when the caller heard agent audio. */
async function call(on: RunningServer, service: RealtimeServiceSimulator) {
  // The call takes a session the pool connected ahead, or a new one: the one that gets configured now.
  const configured = new Set(service.sessions.filter((s) => s.eventsOf('session.update').length > 0));
  const sessionId = `vl-${service.sessions.length}-${Date.now()}`;
  const heardAt: number[] = [];
  const caller = newCaller(on, {
    sessionId,
    callId: `call-${sessionId}`,
    onAgentAudio: (samples: Pcm16) => {
      if (rms(samples) > 0.01) heardAt.push(performance.now());
    },
  });
  expect(await caller.connect()).toBe(true);
  let session: RealtimeSession | undefined;
  await until(() => {
    session = service.sessions.find((s) => !configured.has(s) && s.eventsOf('session.update').length > 0);
    return session !== undefined;
  }, 10_000);
  if (!session) throw new Error('no realtime session was configured for the call');
  return { caller, session, sessionId, heardAt };
}

const history = async (on: RunningServer, sessionId: string, agent = 'AuthAgent') =>
  (await thread(on, sessionId, agent)).map((m) => [m.role, m.content]);

describe('VOICE_LIVE mode against a realtime service simulator', () => {
  it('connects a service session ahead, so a call does not wait for the handshake, and refills', async () => {
    await until(() => ga.sessions.length >= 1, 5000);
    const ahead = ga.sessions.length;
    expect(ahead).toBeGreaterThanOrEqual(1); // VOICE_LIVE_POOL_WARM=1: connected before any call
    const waiting = ga.sessions.at(-1)!;
    const { caller, session } = await call(server, ga);
    expect(session).toBe(waiting); // the call took the session made ahead
    await until(() => ga.sessions.length > ahead, 5000);
    expect(ga.sessions.length).toBe(ahead + 1); // and the pool made the next one
    await caller.hangup();
  }, 30_000);

  it('configures the session from the agent, streams the caller up and the answer down, and keeps both transcripts', async () => {
    const { caller, session, sessionId } = await call(server, ga);
    expect(ga.credentials.at(-1)).toBe('vl-key');
    const update = session.eventsOf('session.update')[0]!['session'] as Record<string, unknown>;
    expect(update).toMatchObject({ type: 'realtime', output_modalities: ['audio'], tool_choice: 'auto' });
    expect(String(update['instructions'])).toMatch(/front desk|insurance/i);
    expect((update['tools'] as { name: string }[]).map((t) => t.name)).toContain('authenticate_caller');
    expect((update['tools'] as Record<string, unknown>[])[0]).toMatchObject({
      type: 'function',
      parameters: expect.any(Object),
    });

    await caller.say(await callerSpeech('My name is Alice Brown.'));
    expect(session.appendedMs).toBeGreaterThan(1000); // 24 kHz appends of the 16 kHz caller
    const item = session.speechStarted();
    session.speechStopped(item, 'my name is alice brown');
    await session.respond({ text: 'Thanks, Alice. What is your ZIP code?', audioMs: 1500 });
    expect((await caller.waitForAgentSpeech({ timeoutMs: 5000 })).ok).toBe(true);
    expect((await caller.waitForAgentSilence({ silenceMs: 500, timeoutMs: 5000 })).ok).toBe(true);
    await until(async () => (await history(server, sessionId)).length === 2, 3000);
    expect(await history(server, sessionId)).toEqual([
      ['user', 'my name is alice brown'],
      ['assistant', 'Thanks, Alice. What is your ZIP code?'],
    ]);
    await caller.hangup();
  }, 30_000);

  it('runs the tools the service calls, and follows a handoff by reconfiguring the session', async () => {
    const { caller, session, sessionId } = await call(server, ga);
    await session.respond({
      functionCall: { name: 'handoff_to_agent', arguments: { agent: 'ClaimsAgent', reason: 'file a claim' } },
    });
    const [output] = await session.waitFor('conversation.item.create');
    expect(output!['item']).toMatchObject({
      type: 'function_call_output',
      call_id: expect.stringMatching(/^call_/),
    });
    const updates = await session.waitFor('session.update', 2);
    expect(String((updates[1]!['session'] as Record<string, unknown>)['instructions'])).toMatch(/claim/i);
    await session.waitFor('response.create');
    const activeAgent = async () =>
      (await server.services.sessions.store.load(sessionId))?.corememory['active_agent'];
    await until(async () => (await activeAgent()) === 'ClaimsAgent', 3000);
    expect(await activeAgent()).toBe('ClaimsAgent');
    // A tool the agent does not have is refused as a tool error, and nothing runs.
    await session.respond({ functionCall: { name: 'record_fnol', arguments: {} } });
    const outputs = await session.waitFor('conversation.item.create', 2);
    expect(JSON.parse(String((outputs[1]!['item'] as Record<string, unknown>)['output']))).toHaveProperty(
      'error',
    );
    await caller.hangup();
  }, 30_000);

  it('on speech_started stops the audio, cancels, truncates at what was played, and drops late deltas', async () => {
    const { caller, session, sessionId, heardAt } = await call(server, ga);
    // 4 s of answer, sent faster than real time, still coming when the caller speaks.
    const answering = session.respond({
      text: 'Here is a rather long answer that goes on.',
      audioMs: 4000,
      chunkMs: 100,
      paceMs: 25,
      deltasAfterCancel: 5,
    });
    expect((await caller.waitForAgentSpeech({ timeoutMs: 5000 })).ok).toBe(true);
    const firstHeard = performance.now();
    await sleep(900);
    session.speechStarted();
    const stoppedAt = performance.now();
    expect(await answering).toBe('cancelled');
    const [truncate] = await session.waitFor('conversation.item.truncate');
    const playedMs = Number(truncate!['audio_end_ms']);
    // What the pacer's clock says was played: about 0.9 s, never past the item's 4 s.
    expect(playedMs).toBeGreaterThan(500);
    expect(playedMs).toBeLessThan(Math.min(4000, stoppedAt - firstHeard + 400));
    expect(session.eventsOf('response.cancel')).toHaveLength(1);
    expect(session.truncates).toHaveLength(1); // accepted: within the item
    await sleep(800);
    expect(heardAt.filter((t) => t > stoppedAt + 300)).toEqual([]); // nothing after the stop, late deltas included
    const kept = await history(server, sessionId);
    expect(kept).toHaveLength(1);
    expect(String(kept[0]![1]).length).toBeLessThan('Here is a rather long answer that goes on.'.length);
    await caller.hangup();
  }, 30_000);

  it('when the service drops the session mid-call, the caller hears a fallback line and the session records why', async () => {
    const { caller, session, sessionId, heardAt } = await call(server, ga);
    await caller.say(await callerSpeech('Hello?'));
    session.close(1011, 'server error');
    await until(() => caller.state === 'closed', 15_000);
    expect(heardAt.length).toBeGreaterThan(10); // the fallback line, spoken by the local synthesizer
    const record = caller.record();
    expect(record.closeCode).toBe(1013);
    const stored = await server.services.sessions.store.load(sessionId);
    expect(String(stored?.corememory['voice_live_ended'])).toContain('1011');
  }, 30_000);

  it('speaks the preview dialect (Azure Voice Live): flat session settings, response.audio.* events', async () => {
    const { caller, session, sessionId } = await call(previewServer, preview);
    expect(preview.credentials.at(-1)).toBeUndefined();
    expect(session.eventsOf('session.update')[0]!['session']).toMatchObject({
      input_audio_format: 'pcm16',
      output_audio_format: 'pcm16',
      voice: { type: 'azure-standard', name: 'en-US-AvaMultilingualNeural' },
    });
    await session.respond({ text: 'Hello from Voice Live.', audioMs: 1000 });
    expect((await caller.waitForAgentSpeech({ timeoutMs: 5000 })).ok).toBe(true);
    await until(async () => (await history(previewServer, sessionId)).length === 1, 5000);
    expect(await history(previewServer, sessionId)).toEqual([['assistant', 'Hello from Voice Live.']]);
    await caller.hangup();
  }, 30_000);
});
