import { describe, expect, it } from 'vitest';
import { createOrchestrator } from '../../../src/agents/create-orchestrator.ts';
import { primeGreeting } from '../../../src/media/cascade/prime-greeting.ts';
import { createTts } from '../../../src/speech/providers.ts';
import { fliteCacheStats } from '../../../src/speech/tts/flite.ts';
import { capturingLogger, testConfig } from '../../helpers/server.ts';

/** Says `text` in the demo's entry voice, as a call would, to the end. */
async function say(text: string): Promise<void> {
  const tts = createTts('flite', {});
  try {
    for await (const chunk of tts.synthesize({ text, voice: 'slt', sampleRate: 16000 })) void chunk;
  } finally {
    await tts.close();
  }
}

describe('primeGreeting', () => {
  it('renders what the entry agent says first, so the first call finds it rendered', async () => {
    const { log } = capturingLogger('silent');
    const orchestrator = await createOrchestrator(testConfig({ AGENT_ENGINE: 'flow' }), log);
    const before = fliteCacheStats();
    expect(await primeGreeting(orchestrator, log)).toBe(2); // the greeting and the flow's first question
    const primed = fliteCacheStats();
    expect(primed.misses).toBeGreaterThanOrEqual(before.misses + 2); // rendered (flite renders by clause)
    await say('Hi there from XYZ Insurance!');
    await say('To get started, may I have your full name?');
    const after = fliteCacheStats();
    expect(after.misses).toBe(primed.misses); // nothing rendered again: replayed
    expect(after.hits - primed.hits).toBe(primed.misses - before.misses);
  });
});
