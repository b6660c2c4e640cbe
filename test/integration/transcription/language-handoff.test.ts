import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/server.ts';
import type { AcsSimulator } from '../../../src/telephony/simulator/acs-simulator.ts';
import { callRecordOf, startPhoneSystem } from '../../helpers/telephony.ts';
import { playsSettled, ringTranscribed } from '../../helpers/transcription.ts';
import { until } from '../../helpers/wait.ts';

let acs: AcsSimulator;
let server: RunningServer;
let close: () => Promise<void>;
let agentsDir: string;
beforeAll(async () => {
  // The trattoria example, with reservations taken in Spanish.
  agentsDir = mkdtempSync(join(tmpdir(), 'rtvoice-agents-'));
  cpSync(new URL('../../../examples/trattoria/agents', import.meta.url), agentsDir, { recursive: true });
  const voices = join(agentsDir, 'voices.yaml');
  writeFileSync(
    voices,
    readFileSync(voices, 'utf8')
      .replace(/(reservations:[\s\S]*?language: )en-US/, '$1es-ES')
      .replace('en-US-AndrewMultilingualNeural', 'es-ES-AlvaroNeural'),
  );
  ({ acs, server, close } = await startPhoneSystem(
    { ACS_STREAMING_MODE: 'transcription', AGENTS_DIR: agentsDir },
    { endSilenceMs: 300, playbackSpeed: 4 },
  ));
});
afterAll(async () => {
  await close();
  rmSync(agentsDir, { recursive: true, force: true });
});

describe('transcription mode: a handoff to an agent of another language', () => {
  it('switches the transcription locale and speaks with the new agent’s Azure voice', async () => {
    const { call, sessionId, line } = await ringTranscribed(acs, server);
    expect(call.transcriptionOptions?.['locale']).toBe('en-US');
    await playsSettled(call);
    const from = call.speaker.plays.length;
    await line.speak('I would like to book a table');
    await playsSettled(call, from);
    await until(() => call.transcriber?.locale !== undefined, 5000);
    expect(call.transcriber?.locale).toBe('es-ES');
    const voices = call.speaker.plays.slice(from).map((p) => [p.text, p.voice]);
    expect(voices).toContainEqual(['Let me put you through to reservations.', 'en-US-AvaMultilingualNeural']);
    expect(voices).toContainEqual(['Reservations, this is Marco.', 'es-ES-AlvaroNeural']);
    await until(
      async () => (await callRecordOf(server, sessionId))?.transcription?.status === 'transcriptionUpdated',
      5000,
    );
    expect((await callRecordOf(server, sessionId))?.transcription).toEqual({
      status: 'transcriptionUpdated',
      details: 'transcriptionLocaleUpdated',
    });
    await acs.callerHangsUp(call.callId);
  }, 30_000);
});
