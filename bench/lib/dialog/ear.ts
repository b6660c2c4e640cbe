import { rms } from '../../../src/audio/levels.ts';
import type { Pcm16 } from '../../../src/audio/pcm.ts';

/** Agent audio this quiet is no speech (the load tester's threshold, −40 dBFS). */
const SPEECH_RMS = 0.01;
/** Agent speech after this much quiet starts a new spurt: longer than the gaps between its sentences. */
const NEW_SPURT_GAP_MS = 400;

/**
 * What the caller hears of the agent, by arrival time: when each spurt of agent speech began. It tells a
 * reply apart from the rest of a prompt, and a reply that began while the caller was still talking.
 */
export class AgentEar {
  /** Arrival times (ms on the conversation's clock) of the first frame of each spurt. */
  readonly spurts: number[] = [];
  private lastSpeech = Number.NEGATIVE_INFINITY;
  private readonly clock: () => number;

  constructor(clock: () => number) {
    this.clock = clock;
  }

  readonly hear = (samples: Pcm16): void => {
    if (rms(samples) < SPEECH_RMS) return;
    const now = this.clock();
    if (now - this.lastSpeech >= NEW_SPURT_GAP_MS) this.spurts.push(now);
    this.lastSpeech = now;
  };

  /** The first spurt that began at or after `at`. */
  spurtSince(at: number): number | undefined {
    return this.spurts.find((start) => start >= at);
  }
}
