import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { wordErrorRate } from '../../../src/speech/wer.ts';
import { RealtimeServiceSimulator } from '../../helpers/simulators/realtime-service.ts';

const run = promisify(execFile);

/** Runs the real CLI in a plain Node process, as a user would (no test-runner module loading). */
async function rtvoice(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return rtvoiceWith({}, ...args);
}

async function rtvoiceWith(
  env: Record<string, string>,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['bin/rtvoice.js', ...args], {
      env: { ...process.env, REDIS_URL: '', ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('rtvoice CLI', () => {
  it('simulate-acs: a whole phone call on this machine, with what the caller heard recorded', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rtvoice-phone-'));
    const name = join(dir, 'name.wav');
    const heard = join(dir, 'agent.wav');
    expect((await rtvoice('synthesize', 'Bob Martinez.', '--voice', 'kal16', '--out', name)).code).toBe(0);
    const call = await rtvoice(
      'simulate-acs',
      '--incoming',
      '--say',
      name,
      '--digits',
      '94105#',
      '--record',
      heard,
    );
    expect(call.stderr).toContain('☎ caller hangs up');
    expect(call.code).toBe(0);
    expect(call.stdout).toContain('caller: bob martinez');
    expect(call.stdout).toContain('caller: 94105');
    expect(call.stdout).toContain("AuthAgent: Thank you, Bob, you're verified.");
    expect(call.stdout).toMatch(/^call: disconnected, the caller hung up/m);
    const transcript = (await rtvoice('transcribe', heard)).stdout.trim().split('\n').at(-1)!;
    expect(transcript).toMatch(/full name/);
    expect(transcript).toMatch(/report a claim/);
  }, 90_000);

  it('simulate-acs --mode transcription: the simulated ACS recognises the caller and speaks the agent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rtvoice-phone-'));
    const name = join(dir, 'name.wav');
    expect(
      (await rtvoice('synthesize', 'My name is Alice Brown.', '--voice', 'kal16', '--out', name)).code,
    ).toBe(0);
    const call = await rtvoice('simulate-acs', '--incoming', '--mode', 'transcription', '--say', name);
    expect(call.stderr).toContain('☎ caller hangs up');
    expect(call.code).toBe(0);
    expect(call.stdout).toMatch(/^caller: my name is alice/im); // recognised by the simulated ACS (pocketsphinx)
    expect(call.stdout).toMatch(/^AuthAgent: .*(ZIP code|name)/m);
    expect(call.stdout).toMatch(/^call: disconnected, the caller hung up/m);
    const refused = await rtvoice('simulate-acs', '--incoming', '--mode', 'transcription', '--digits', '1');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--digits needs media mode');
  }, 90_000);

  it('synthesizes text to a WAV file and transcribes it back', async () => {
    const wav = join(mkdtempSync(join(tmpdir(), 'rtvoice-cli-')), 'reply.wav');
    const spoken = await rtvoice(
      'synthesize',
      'Your claim has been filed. Thank you for calling.',
      '--out',
      wav,
    );
    expect(spoken.code).toBe(0);
    expect(spoken.stderr).toMatch(/wrote .*reply\.wav: \d+\.\d+ s at 16000 Hz/);
    const heard = await rtvoice('transcribe', wav);
    expect(heard.code).toBe(0);
    const lastLine = heard.stdout.trim().split('\n').at(-1)!;
    expect(lastLine).toMatch(/has been filed/); // flite's output varies slightly between runs
    expect(wordErrorRate([['Your claim has been filed. Thank you for calling.', lastLine]])).toBeLessThan(
      0.35,
    );
    expect(heard.stderr).toMatch(/\[\d+\.\d\d-\d+\.\d\d s\] /); // one line per utterance
  });

  it('explains a file that is not a WAV', async () => {
    const result = await rtvoice('transcribe', 'package.json');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('not a WAV file');
  });

  it('prints usage for unknown commands and missing arguments', async () => {
    expect((await rtvoice('frobnicate')).stderr).toContain('unknown command "frobnicate"');
    const usage = await rtvoice('synthesize', 'hello');
    expect(usage.code).toBe(1);
    expect(usage.stderr).toContain('--out');
  });

  it('doctor reports a ready machine', async () => {
    const result = await rtvoice('doctor');
    expect(result.stdout).toContain('✓ Node.js v24');
    expect(result.stdout).toContain('pocketsphinx (configured)');
    expect(result.stdout).not.toContain('ACS_COGNITIVE_SERVICES_ENDPOINT');
    expect(result.code).toBe(0);
  });

  it('doctor warns that transcription mode needs an Azure AI services resource on a real ACS', async () => {
    const result = await rtvoiceWith(
      {
        ACS_STREAMING_MODE: 'transcription',
        ACS_CONNECTION_STRING: 'endpoint=https://example.communication.azure.com/;accesskey=a2V5',
        ACS_AUDIENCE: 'resource-id',
        BASE_URL: 'https://rtvoice.example.com',
        AUTH_MODE: 'none',
      },
      'doctor',
    );
    expect(result.stdout).toContain('! transcription mode: ACS_COGNITIVE_SERVICES_ENDPOINT is unset');
    expect(result.code).toBe(0); // a warning, not a blocker: the simulator needs none
  });

  it('doctor checks that the voice_live service takes a session, and blocks when voice_live is the mode and it does not', async () => {
    const service = await RealtimeServiceSimulator.start('ga');
    try {
      const ok = await rtvoiceWith(
        { ACS_STREAMING_MODE: 'voice_live', VOICE_LIVE_URL: service.url, VOICE_LIVE_API_KEY: 'k' },
        'doctor',
      );
      expect(ok.stdout).toContain(
        `✓ voice_live: the realtime service at ${new URL(service.url).host} accepts its key`,
      );
      expect(ok.code).toBe(0);
      expect(service.credentials).toEqual(['k']);
    } finally {
      await service.close();
    }
    const down = await rtvoiceWith(
      { ACS_STREAMING_MODE: 'voice_live', VOICE_LIVE_URL: 'ws://127.0.0.1:9/v1/realtime' },
      'doctor',
    );
    expect(down.stdout).toContain('✗ voice_live: the realtime service at 127.0.0.1:9 did not take a session');
    expect(down.stdout).toContain('fix: check VOICE_LIVE_URL');
    expect(down.code).toBe(1);
  });
});
