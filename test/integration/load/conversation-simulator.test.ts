import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concatPcm16 } from '../../../src/audio/pcm.ts';
import { createResampler } from '../../../src/audio/resampler.ts';
import { writeWav } from '../../../src/audio/wav.ts';
import { ConversationSimulator } from '../../../src/load/conversation-simulator.ts';
import { loadScenario } from '../../../src/load/scenario.ts';
import type { RunningServer } from '../../../src/server/server.ts';
import { callerSpeech, startMediaServer } from '../../helpers/media.ts';

let server: RunningServer;
beforeAll(async () => {
  server = await startMediaServer({ STT_POOL_WARM: '2', TTS_POOL_WARM: '2' });
});
afterAll(() => server.close());

const PAUSE_MS = 1500;
const RAMP_UP_S = 2;

/** A scenario with a recorded turn: a 22.05 kHz stereo WAV, as a user might bring one. */
async function recordedScenario(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'rtvoice-scenario-'));
  const resampler = await createResampler(16000, 22050);
  const mono = concatPcm16([resampler.process(await callerSpeech('Bob Martinez.')), resampler.flush()]);
  resampler.destroy();
  const stereo = new Int16Array(mono.length * 2);
  mono.forEach((sample, i) => stereo.set([sample, sample], i * 2));
  writeFileSync(join(dir, 'name.wav'), writeWav(stereo, 22050, 2));
  writeFileSync(join(dir, 'scenario.yaml'), `turns:\n  - audio: name.wav\n    pause_ms: ${PAUSE_MS}\n`);
  return join(dir, 'scenario.yaml');
}

describe('ConversationSimulator as a library', () => {
  it('ramps calls up, plays a recorded turn after its pause, and measures each call', async () => {
    const scenario = await loadScenario(await recordedScenario());
    expect(scenario.turns).toMatchObject([{ kind: 'audio', label: 'name.wav', pauseMs: PAUSE_MS }]);

    // When each call reaches the server, seen from the server's side.
    const t0 = performance.now();
    const arrivals: number[] = [];
    const watch = setInterval(() => {
      const active = server.services.connections.activeSessions();
      while (arrivals.length < active) arrivals.push(performance.now() - t0);
    }, 10);
    const progress: number[] = [];
    const run = await new ConversationSimulator({
      url: server.url,
      protocol: 'acs',
      concurrency: 2,
      conversations: 2,
      turns: 1,
      rampUpS: RAMP_UP_S,
      scenario,
      onProgress: (point) => progress.push(point.t_ms),
    }).run();
    clearInterval(watch);

    expect(run.records).toHaveLength(2);
    // The second of two lanes starts half the ramp-up after the first.
    expect(arrivals[1]! - arrivals[0]!).toBeGreaterThan(RAMP_UP_S * 500 * 0.8);
    expect(progress.length).toBeGreaterThan(1);
    for (const record of run.records) {
      expect(record.errors).toEqual([]);
      expect(record.endedBy).toBe('caller');
      const [turn] = record.turns;
      expect(turn).toMatchObject({ index: 0, label: 'name.wav' });
      expect(turn!.voiceToVoiceMs).toBeGreaterThan(0); // the agent answered the recording
      // The caller waited for the greeting to end (800 ms of silence), then paused.
      const greetingEnd = record.connectMs! + record.greetingTtfbMs! + record.greetingSpeechMs;
      expect(turn!.userSpeechStartMs - greetingEnd).toBeGreaterThan(PAUSE_MS + 700);
    }
  }, 90_000);
});
