import { createResampler } from '../../audio/resampler.ts';
import type { SpeechServices } from '../../speech/speech-services.ts';
import {
  PIPELINE_SAMPLE_RATE,
  type RecognitionHints,
  type Recognizer,
  type TtsProvider,
  type VoiceActivityDetector,
} from '../../speech/types.ts';
import { InputChain } from './input-chain.ts';

/**
 * The pooled speech resources of one call: a synthesizer, a voice detector and a recognizer, each the
 * call's own until it ends. The recognizer is asked for first but waited for last: a cold one loads while
 * the greeting plays. Every wait stops when the call's signal aborts.
 */
export class CallResources {
  tts: TtsProvider | undefined;
  input: InputChain | undefined;
  private vad: VoiceActivityDetector | undefined;
  private readonly speech: SpeechServices;
  private readonly lease: { readonly sessionId: string; readonly signal: AbortSignal };
  private readonly recognizer: Promise<Recognizer>;

  constructor(speech: SpeechServices, lease: { sessionId: string; signal: AbortSignal }) {
    this.speech = speech;
    this.lease = lease;
    this.recognizer = speech.recognizers.acquire(lease);
    this.recognizer.catch(() => undefined);
  }

  /** What the greeting needs: the synthesizer, the voice detector and the input chain. Throws if the pools cannot lend them. */
  async forGreeting(inputRate: number): Promise<void> {
    const { speech, lease } = this;
    this.tts = await speech.synthesizers.acquire(lease);
    this.vad = await speech.vads.acquire({ signal: lease.signal });
    const resampler =
      inputRate === PIPELINE_SAMPLE_RATE ? undefined : await createResampler(inputRate, PIPELINE_SAMPLE_RATE);
    this.input = new InputChain(this.vad, resampler);
  }

  /**
   * Waits for the recognizer and puts it into the input chain, with the speech heard meanwhile; undefined
   * when the call ended meanwhile (`release` gives it back). `endedEarly`: an utterance ended before it
   * came. Throws if the pool cannot lend one.
   */
  async forListening(
    hints: () => RecognitionHints,
  ): Promise<{ recognizer: Recognizer; endedEarly: boolean } | undefined> {
    const recognizer = await this.recognizer;
    if (this.lease.signal.aborted || !this.input) return undefined;
    // The greeting's question may have set a grammar while the recognizer loaded: in force before the
    // caller's first words (those that came early included).
    recognizer.expect(hints());
    return { recognizer, endedEarly: this.input.attach(recognizer) };
  }

  /** Gives everything back to the pools; a recognizer still loading goes back when it arrives. */
  release(): void {
    const { speech } = this;
    const recognizer = this.input?.recognizer;
    if (recognizer) {
      recognizer.expect({}); // the next call starts with the open vocabulary
      speech.recognizers.release(recognizer);
    } else {
      void this.recognizer.then(
        (r) => speech.recognizers.release(r),
        () => undefined,
      );
    }
    if (this.tts) speech.synthesizers.release(this.tts);
    if (this.vad) {
      this.vad.reset();
      speech.vads.release(this.vad);
    }
    this.input = this.tts = this.vad = undefined;
  }
}
