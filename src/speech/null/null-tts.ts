import type { Pcm16 } from '../../audio/pcm.ts';
import type { SynthesisRequest, TtsProvider } from '../types.ts';

/**
 * TTS_PROVIDER=null: every synthesis ends at once without audio, so the agent says nothing and no frames
 * go back to the caller. Needs no native library. Counts what it was asked to say.
 */
export class NullTts implements TtsProvider {
  readonly name = 'null';
  readonly defaultVoice = 'null';
  requests = 0;
  characters = 0;

  synthesize(request: SynthesisRequest): AsyncIterable<Pcm16> {
    this.requests += 1;
    this.characters += request.text.length;
    return silence();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Ends at once: nothing to say. */
async function* silence(): AsyncGenerator<Pcm16> {}
