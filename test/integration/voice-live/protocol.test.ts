import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rms } from '../../../src/audio/levels.ts';
import type { Pcm16 } from '../../../src/audio/pcm.ts';
import type { RunningServer } from '../../../src/server/server.ts';
import { callerSpeech, newCaller, startMediaServer, thread } from '../../helpers/media.ts';
import {
  RealtimeServiceSimulator,
  type Dialect,
  type RealtimeSession,
} from '../../helpers/simulators/realtime-service.ts';
import { until } from '../../helpers/wait.ts';

/** The pacer's default lead (OUTPUT_LEAD_MS): sent but not yet played when the caller speaks. */
const LEAD_MS = 160;

/** The sessions of `service` a call configured (sent a session.update to). */
const configuredSessions = (service: RealtimeServiceSimulator) =>
  new Set(service.sessions.filter((s) => s.eventsOf('session.update').length > 0));

/** A session of `service` configured that is not among `known`. */
async function newlyConfigured(
  service: RealtimeServiceSimulator,
  known: ReadonlySet<RealtimeSession>,
  timeoutMs = 10_000,
): Promise<RealtimeSession> {
  const find = () => service.sessions.find((s) => !known.has(s) && s.eventsOf('session.update').length > 0);
  await until(() => find() !== undefined, timeoutMs);
  const session = find();
  if (!session) throw new Error('no new realtime session was configured');
  return session;
}

/** A caller on `on`, the service session it opened, when it heard agent audio and how much of it. */
async function call(on: RunningServer, service: RealtimeServiceSimulator) {
  // The call takes a session the pool connected ahead, or a new one: the one that gets configured now.
  const configured = configuredSessions(service);
  const sessionId = `vl-${service.sessions.length}-${Date.now()}`;
  const heardAt: number[] = [];
  let heardMs = 0;
  const caller = newCaller(on, {
    sessionId,
    callId: `call-${sessionId}`,
    onAgentAudio: (samples: Pcm16) => {
      if (rms(samples) <= 0.01) return;
      heardAt.push(performance.now());
      heardMs += samples.length / 16; // 16 kHz
    },
  });
  expect(await caller.connect()).toBe(true);
  const session = await newlyConfigured(service, configured);
  return { caller, session, sessionId, heardAt, heardMs: () => heardMs };
}

const history = async (on: RunningServer, sessionId: string, agent = 'AuthAgent') =>
  (await thread(on, sessionId, agent)).map((m) => [m.role, m.content]);

const stored = async (on: RunningServer, sessionId: string) =>
  (await on.services.sessions.store.load(sessionId))?.corememory ?? {};

describe.each(['ga', 'preview'] as Dialect[])(
  'VOICE_LIVE mode against a realtime service simulator (%s dialect)',
  (dialect) => {
    let service: RealtimeServiceSimulator;
    let server: RunningServer;
    // A second pair whose sessions roll over after 2 s (VOICE_LIVE_ROLLOVER_S), none connected ahead.
    let rolling: RealtimeServiceSimulator;
    let rollingServer: RunningServer;
    beforeAll(async () => {
      [service, rolling] = await Promise.all([
        RealtimeServiceSimulator.start(dialect),
        RealtimeServiceSimulator.start(dialect),
      ]);
      const env = { ACS_STREAMING_MODE: 'voice_live', VOICE_LIVE_DIALECT: dialect };
      [server, rollingServer] = await Promise.all([
        startMediaServer({ ...env, VOICE_LIVE_URL: service.url, VOICE_LIVE_API_KEY: 'vl-key' }),
        startMediaServer({
          ...env,
          VOICE_LIVE_URL: rolling.url,
          VOICE_LIVE_ROLLOVER_S: '2',
          VOICE_LIVE_POOL_WARM: '0',
        }),
      ]);
    });
    afterAll(async () => {
      await Promise.all([server.close(), rollingServer.close()]);
      await Promise.all([service.close(), rolling.close()]);
    });

    it('connects a service session ahead, so a call does not wait for the handshake, and refills', async () => {
      await until(() => service.sessions.length >= 1, 5000);
      const ahead = service.sessions.length;
      expect(ahead).toBeGreaterThanOrEqual(1); // VOICE_LIVE_POOL_WARM=1: connected before any call
      const waiting = service.sessions.at(-1)!;
      const { caller, session } = await call(server, service);
      expect(session).toBe(waiting); // the call took the session made ahead
      await until(() => service.sessions.length > ahead, 5000);
      expect(service.sessions.length).toBe(ahead + 1); // and the pool made the next one
      await caller.hangup();
    }, 30_000);

    it('configures the session from the agent, streams the caller up and the answer down, and keeps both transcripts', async () => {
      const { caller, session, sessionId } = await call(server, service);
      expect(service.credentials.at(-1)).toBe('vl-key'); // a bearer key: not an Azure host
      const update = session.eventsOf('session.update')[0]!['session'] as Record<string, unknown>;
      expect(String(update['instructions'])).toMatch(/front desk|insurance/i);
      expect(update).toMatchObject({ tool_choice: 'auto' });
      expect((update['tools'] as { name: string }[]).map((t) => t.name)).toContain('authenticate_caller');
      expect((update['tools'] as Record<string, unknown>[])[0]).toMatchObject({
        type: 'function',
        parameters: expect.any(Object),
      });
      if (dialect === 'ga')
        expect(update).toMatchObject({
          type: 'realtime',
          output_modalities: ['audio'],
          audio: { input: { format: { type: 'audio/pcm', rate: 24000 } } },
        });
      else
        expect(update).toMatchObject({
          input_audio_format: 'pcm16',
          output_audio_format: 'pcm16',
          voice: { type: 'azure-standard', name: 'en-US-AvaMultilingualNeural' },
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
      const { caller, session, sessionId } = await call(server, service);
      await session.respond({
        functionCall: {
          name: 'handoff_to_agent',
          arguments: { agent: 'ClaimsAgent', reason: 'file a claim' },
        },
      });
      const [output] = await session.waitFor('conversation.item.create');
      expect(output!['item']).toMatchObject({
        type: 'function_call_output',
        call_id: expect.stringMatching(/^call_/),
      });
      const updates = await session.waitFor('session.update', 2);
      expect(String((updates[1]!['session'] as Record<string, unknown>)['instructions'])).toMatch(/claim/i);
      await session.waitFor('response.create');
      await until(async () => (await stored(server, sessionId))['active_agent'] === 'ClaimsAgent', 3000);
      expect((await stored(server, sessionId))['active_agent']).toBe('ClaimsAgent');
      // A tool the agent does not have is refused as a tool error, and nothing runs.
      await session.respond({ functionCall: { name: 'record_fnol', arguments: {} } });
      const outputs = await session.waitFor('conversation.item.create', 2);
      expect(JSON.parse(String((outputs[1]!['item'] as Record<string, unknown>)['output']))).toHaveProperty(
        'error',
      );
      await caller.hangup();
    }, 30_000);

    it('on speech_started stops the audio, cancels, truncates at what the caller heard, and drops late deltas', async () => {
      const { caller, session, sessionId, heardAt, heardMs } = await call(server, service);
      // 4 s of answer, sent faster than real time, still coming when the caller speaks.
      const answering = session.respond({
        text: 'Here is a rather long answer that goes on.',
        audioMs: 4000,
        chunkMs: 100,
        paceMs: 25,
        deltasAfterCancel: 5, // the cancel race: the service still sends a few deltas after it
      });
      expect((await caller.waitForAgentSpeech({ timeoutMs: 5000 })).ok).toBe(true);
      await sleep(900);
      session.speechStarted();
      const stoppedAt = performance.now();
      expect(await answering).toBe('cancelled');
      const [truncate] = await session.waitFor('conversation.item.truncate');
      await sleep(800);
      expect(heardAt.filter((t) => t > stoppedAt + 300)).toEqual([]); // nothing after the stop, late deltas included
      // The truncate position is what the caller received less what StopAudio flushed (the pacer's lead).
      const playedMs = Number(truncate!['audio_end_ms']);
      const received = heardMs();
      expect(received).toBeGreaterThan(700);
      expect(received - playedMs).toBeGreaterThanOrEqual(-25);
      expect(received - playedMs).toBeLessThanOrEqual(LEAD_MS + 40);
      expect(session.eventsOf('response.cancel')).toHaveLength(1);
      expect(session.truncates).toHaveLength(1); // accepted: within the item
      const kept = await history(server, sessionId);
      expect(kept).toHaveLength(1);
      expect(String(kept[0]![1]).length).toBeLessThan('Here is a rather long answer that goes on.'.length);
      await caller.hangup();
    }, 30_000);

    it('when the service drops the session mid-call, the caller hears a fallback line and the session records why', async () => {
      const { caller, session, sessionId, heardAt } = await call(server, service);
      await caller.say(await callerSpeech('Hello?'));
      session.close(1011, 'server error');
      await until(() => caller.state === 'closed', 15_000);
      expect(heardAt.length).toBeGreaterThan(10); // the fallback line, spoken by the local synthesizer
      expect(caller.record().closeCode).toBe(1013);
      expect(String((await stored(server, sessionId))['voice_live_ended'])).toContain('1011');
    }, 30_000);

    it('when the service expires the session, a new one seeded with the conversation takes over, unheard by the caller', async () => {
      const { caller, session, sessionId, heardAt } = await call(server, service);
      const item = session.speechStarted();
      session.speechStopped(item, 'i want to file a claim');
      await session.respond({ text: 'Sure. What is your name?', audioMs: 800 });
      await until(async () => (await history(server, sessionId)).length === 2, 5000);
      const known = configuredSessions(service);
      const heardBefore = heardAt.length;
      session.expire();
      const next = await newlyConfigured(service, known);
      const seeded = await next.waitFor('conversation.item.create', 2);
      expect(seeded.map((e) => e['item'])).toEqual([
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'i want to file a claim' }] },
        {
          type: 'message',
          role: 'assistant',
          content: [{ type: dialect === 'ga' ? 'output_text' : 'text', text: 'Sure. What is your name?' }],
        },
      ]);
      await sleep(500);
      expect(heardAt.length).toBe(heardBefore); // no fallback line: the call just goes on
      expect(caller.state).not.toBe('closed');
      await next.respond({ text: 'Still here.', audioMs: 600 });
      expect((await caller.waitForAgentSpeech({ timeoutMs: 5000 })).ok).toBe(true);
      await until(async () => (await stored(server, sessionId))['voice_live_rollovers'] === 1, 3000);
      const memory = await stored(server, sessionId);
      expect(memory['voice_live_rollovers']).toBe(1);
      expect(memory['voice_live_ended']).toBeUndefined();
      await caller.hangup();
    }, 30_000);

    it('rolls a session over at its age limit, at a pause, to a new one seeded with the conversation', async () => {
      const { caller, session, sessionId, heardAt } = await call(rollingServer, rolling);
      const known = configuredSessions(rolling);
      // A turn that runs past the 2 s limit: the rollover waits for its answer to play out.
      await caller.say(await callerSpeech('My name is Alice Brown.'));
      const item = session.speechStarted();
      session.speechStopped(item, 'my name is alice brown');
      await session.respond({ text: 'Thanks, Alice. What is your ZIP code?', audioMs: 1500 });
      expect((await caller.waitForAgentSpeech({ timeoutMs: 5000 })).ok).toBe(true);
      const next = await newlyConfigured(rolling, known, 8000);
      const rolledAt = performance.now();
      // Due at 2 s, mid-answer: it waited until the whole answer had played.
      expect(heardAt.length).toBeGreaterThan(50);
      expect(heardAt.at(-1)!).toBeLessThanOrEqual(rolledAt);
      expect(caller.state).not.toBe('closed');
      const seeded = await next.waitFor('conversation.item.create', 2);
      expect(seeded.map((e) => (e['item'] as { role: string }).role)).toEqual(['user', 'assistant']);
      await until(() => session.closed, 3000);
      expect(session.closed).toBe(true); // the old session is let go once the new one has the call
      // The caller's audio goes to the new session now.
      const before = next.appendedMs;
      await caller.say(await callerSpeech('Six oh six oh one.'));
      expect(next.appendedMs).toBeGreaterThan(before + 1000);
      const memory = await stored(rollingServer, sessionId);
      expect(memory['voice_live_rollovers']).toBeGreaterThanOrEqual(1);
      await caller.hangup();
    }, 30_000);
  },
);
