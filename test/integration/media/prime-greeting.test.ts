import { describe, expect, it } from 'vitest';
import { createOrchestrator } from '../../../src/agents/create-orchestrator.ts';
import { primeGreeting } from '../../../src/media/cascade/prime-greeting.ts';
import { createTts } from '../../../src/speech/providers.ts';
import { capturingLogger, testConfig } from '../../helpers/server.ts';

/** How long flite takes to give the first audio of `text` in the demo's entry voice. */
async function firstAudioMs(text: string): Promise<number> {
  const tts = createTts('flite', {});
  const started = performance.now();
  try {
    for await (const chunk of tts.synthesize({ text, voice: 'slt', sampleRate: 16000 })) {
      void chunk;
      return performance.now() - started;
    }
    return Number.NaN;
  } finally {
    await tts.close();
  }
}

describe('primeGreeting', () => {
  it('renders what the entry agent says first, so the first call finds it rendered', async () => {
    const { log } = capturingLogger('silent');
    const orchestrator = await createOrchestrator(testConfig({ AGENT_ENGINE: 'flow' }), log);
    // A sentence nobody rendered yet costs a synthesis; the greeting, once primed, does not.
    const cold = await firstAudioMs('This sentence was never rendered before this test.');
    expect(await primeGreeting(orchestrator, log)).toBe(2); // the greeting and the flow's first question
    const primed = await firstAudioMs('Hi there from XYZ Insurance!');
    expect(primed).toBeLessThan(cold / 2);
  });
});
