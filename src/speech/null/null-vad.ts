import type { Pcm16 } from '../../audio/pcm.ts';
import type { VadEvent, VoiceActivityDetector } from '../types.ts';
import type { AudioTally } from './tally.ts';

/**
 * A detector that never hears speech (no Silero model, no native runtime): with STT_PROVIDER=null a call
 * costs only the media path, which is what the capacity benchmark measures. It counts what it is given.
 */
export class NullVad implements VoiceActivityDetector {
  private readonly tally: AudioTally | undefined;

  constructor(tally?: AudioTally) {
    this.tally = tally;
  }

  get speaking(): boolean {
    return false;
  }

  process(samples: Pcm16): VadEvent[] {
    this.tally?.add(samples.length);
    return [];
  }

  reset(): void {}
}
