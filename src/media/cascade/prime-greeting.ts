import type { Orchestrator } from '../../agents/orchestrator.ts';
import { createTts } from '../../speech/providers.ts';
import { PIPELINE_SAMPLE_RATE } from '../../speech/types.ts';
import { MemoManager } from '../../state/memo-manager.ts';
import { MemorySessionStore } from '../../state/memory-store.ts';
import type { Logger } from '../../telemetry/logger.ts';

/**
 * Says once, into nowhere, what a call hears first: the entry agent's greeting and what its engine says
 * right after (the flow's first question). flite keeps what it rendered (one cache per process), so the
 * first call's greeting then costs no synthesis. Runs the start of a call on a scratch session that is
 * never stored, with a synthesizer of its own (not one of the pool's). Returns the sentences rendered.
 */
export async function primeGreeting(orchestrator: Orchestrator, log: Logger): Promise<number> {
  const memo = await MemoManager.load('greeting-primer', new MemorySessionStore(60), {
    budget: { maxMessages: 100, maxChars: 100_000 },
    log,
  });
  try {
    const voice = orchestrator.voiceOf(orchestrator.activeAgent(memo));
    const sentences: string[] = [];
    for await (const event of orchestrator.start(memo, { signal: AbortSignal.timeout(10_000) })) {
      if (event.type === 'handoff') break; // another voice: not what every call hears
      if (event.type === 'sentence') sentences.push(event.text);
    }
    const tts = createTts('flite', {});
    try {
      for (const text of sentences) {
        const request = { text, voice: voice.voice, rate: voice.rate, sampleRate: PIPELINE_SAMPLE_RATE };
        for await (const chunk of tts.synthesize(request)) void chunk;
      }
    } finally {
      await tts.close();
    }
    return sentences.length;
  } finally {
    orchestrator.release(memo);
    memo.dispose();
  }
}
