import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);

// A regression test for a native crash: flite voices point into their libraries, and a koffi library
// object that was garbage collected got unloaded under them (SIGSEGV in feat_val after a few calls).
it('keeps speaking with several voices across garbage collections', async () => {
  const script = `
    import { fliteSynthesize } from './src/speech/tts/flite-synth.ts';
    const voices = ['slt', 'rms', 'awb', 'kal16'];
    let samples = 0;
    for (let i = 0; i < 200; i++) {
      samples += fliteSynthesize('Your claim has been filed.', voices[i % 4], 1 + (i % 3) * 0.05).samples.length;
      if (i % 10 === 0) globalThis.gc();
    }
    console.log(samples);
  `;
  const { stdout } = await run(process.execPath, ['--expose-gc', '--input-type=module', '-e', script]);
  expect(Number(stdout.trim())).toBeGreaterThan(200 * 8000);
}, 60_000);
