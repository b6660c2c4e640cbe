import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../../src/server/server.ts';
import { NullStt } from '../../../src/speech/null/null-stt.ts';
import { noise } from '../../helpers/speech-data.ts';
import { newCaller, watchSession } from '../../helpers/media.ts';
import { capturingLogger, testConfig } from '../../helpers/server.ts';
import { until } from '../../helpers/wait.ts';

let server: RunningServer;
const logger = capturingLogger('warn');
beforeAll(async () => {
  server = await startServer(
    testConfig({ STT_PROVIDER: 'null', TTS_PROVIDER: 'null', AGENT_ENGINE: 'flow' }),
    logger.log,
  );
});
afterAll(() => server.close());

describe('a server with STT_PROVIDER=null and TTS_PROVIDER=null', () => {
  it('is ready without any speech library', async () => {
    const reply = await fetch(`${server.url}/api/v1/readiness`);
    expect(reply.status).toBe(200);
  });

  it('takes an ACS call, counts its audio, starts no turn and closes cleanly', async () => {
    const speech = server.services.speech!;
    expect(speech.stt).toBeInstanceOf(NullStt);
    const audio = (speech.stt as NullStt).audio;
    const framesBefore = audio.frames;
    const sessionId = `null-${Date.now()}`;
    const watcher = await watchSession(server, sessionId);
    const caller = newCaller(server, { sessionId });
    expect(await caller.connect()).toBe(true);

    // One second of loud noise: Silero would call it speech, the null detector hears nothing.
    expect(await caller.say(noise('pinknoise', 1))).toBe(true);
    await until(() => audio.frames - framesBefore >= 45, 3000);
    const record = await caller.hangup();

    expect(audio.frames - framesBefore).toBeGreaterThanOrEqual(45);
    expect(audio.samples).toBe(audio.frames * 320);
    expect(record.errors).toEqual([]);
    expect(record.endedBy).toBe('caller');
    expect(record.framesIn).toBe(0); // the null synthesizer says nothing, not even the greeting
    expect(record.closeCode).toBe(1000);
    await until(() => speech.vads.stats().inUse === 0 && speech.recognizers.stats().inUse === 0);
    expect(speech.vads.stats().inUse).toBe(0);
    expect(speech.recognizers.stats().inUse).toBe(0);
    expect(speech.synthesizers.stats().inUse).toBe(0);

    await until(() => watcher.envelopes.some((e) => e.type === 'session_end'));
    watcher.close();
    const types = watcher.envelopes.map((e) => e.type);
    expect(types).not.toContain('user_transcript');
    expect(types).not.toContain('error');
    expect(types).toContain('session_end');
    expect(logger.lines().filter((line) => Number(line.level) >= 50)).toEqual([]);
  });
});
