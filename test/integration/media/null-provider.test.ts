import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedCaller } from '../../../src/load/simulated-caller.ts';
import { startServer, type RunningServer } from '../../../src/server/server.ts';
import { NullStt } from '../../../src/speech/null/null-stt.ts';
import { noise } from '../../helpers/speech-data.ts';
import { newCaller, watchSession } from '../../helpers/media.ts';
import { hidingSpeechLibraries, startServeCli } from '../../helpers/serve-cli.ts';
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
  const hidden = hidingSpeechLibraries();
  const unavailable = 'reason' in hidden ? hidden.reason : undefined;
  if (unavailable && process.env['CI'] === 'true')
    throw new Error(`CI must hide the libraries: ${unavailable}`);
  if (unavailable) console.warn(`SKIPPED (speech libraries hidden): ${unavailable}`);

  it.skipIf(unavailable !== undefined)(
    'is ready and takes a call where the speech libraries cannot be loaded, and never maps them',
    async () => {
      const { wrap } = hidden as { wrap: string[] };
      // The control: in the same namespace the default stack cannot start, so the libraries are really gone.
      const control = await startServeCli({ STT_POOL_WARM: '1' }, wrap);
      try {
        await until(async () => (await fetch(`${control.url}/api/v1/readiness`)).status === 503);
        const checks = (await (await fetch(`${control.url}/api/v1/readiness`)).json()) as {
          checks: Record<string, { status: string }>;
        };
        expect(checks.checks['speech']?.status).toBe('unhealthy');
      } finally {
        await control.stop();
      }

      const nulls = await startServeCli(
        { STT_PROVIDER: 'null', TTS_PROVIDER: 'null', AGENT_ENGINE: 'flow' },
        wrap,
      );
      try {
        await until(async () => (await fetch(`${nulls.url}/api/v1/readiness`)).status === 200);
        expect((await fetch(`${nulls.url}/api/v1/readiness`)).status).toBe(200);
        const caller = new SimulatedCaller({ url: nulls.url!.replace('http', 'ws'), protocol: 'acs' });
        expect(await caller.connect()).toBe(true);
        expect(await caller.say(noise('pinknoise', 0.5))).toBe(true);
        const record = await caller.hangup();
        expect(record).toMatchObject({ errors: [], endedBy: 'caller', closeCode: 1000 });
        const maps = readFileSync(`/proc/${nulls.child.pid}/maps`, 'utf8');
        expect(maps).not.toMatch(/libflite|libpocketsphinx|libsphinxbase/);
      } finally {
        expect(await nulls.stop()).toBe(0);
      }
    },
    30_000,
  );

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
