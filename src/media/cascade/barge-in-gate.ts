/** What the call does about caller speech while the agent speaks. */
export type GateDecision =
  /** Send nothing new while the gate decides whether this is an interruption. */
  | { readonly kind: 'hold' }
  /** Enough speech: stop the agent (the onset dates the interruption). */
  | { readonly kind: 'interrupt'; readonly onsetAt: number }
  /** It was a cough or an "mm-hm": the agent goes on where it paused, and the sound is no turn. */
  | { readonly kind: 'resume' }
  /** The caller's utterance ended and is a turn (after an interruption, or while the agent was silent). */
  | { readonly kind: 'turn' };

/**
 * Decides whether caller speech that starts while the agent speaks is an interruption. It counts speech,
 * not time: from the onset, only audio the noise floor calls sound counts, because the VAD's hangover keeps
 * it "speaking" through the silence after a short sound. Pure: the caller passes every time in.
 */
export class BargeInGate {
  private readonly minSpeechMs: number;
  private deciding: { readonly onsetAt: number; voicedMs: number; confirmed: boolean } | undefined;

  constructor(minSpeechMs: number) {
    this.minSpeechMs = minSpeechMs;
  }

  /** Whether a barge-in is being decided (or was confirmed and the utterance goes on). */
  get open(): boolean {
    return this.deciding !== undefined;
  }

  /**
   * The VAD heard speech start. While the agent speaks, the gate opens at the speech's onset, with the
   * audio already heard since then counted as speech.
   */
  speechStarted(
    agentSpeaking: boolean,
    onset: { at: number; heardSinceMs: number },
  ): GateDecision | undefined {
    if (!agentSpeaking || this.deciding) return undefined;
    this.deciding = { onsetAt: onset.at, voicedMs: onset.heardSinceMs, confirmed: false };
    return { kind: 'hold' };
  }

  /** A piece of caller audio, `voicedMs` of which the noise floor called sound (0 for background). */
  heard(voicedMs: number): void {
    if (this.deciding) this.deciding.voicedMs += voicedMs;
  }

  /** After each piece: whether the speech so far makes an interruption. Says so once. */
  check(): GateDecision | undefined {
    const gate = this.deciding;
    if (!gate || gate.confirmed || gate.voicedMs < this.minSpeechMs) return undefined;
    gate.confirmed = true;
    return { kind: 'interrupt', onsetAt: gate.onsetAt };
  }

  /** The VAD heard speech end. */
  speechEnded(): GateDecision {
    const gate = this.deciding;
    this.deciding = undefined;
    return gate && !gate.confirmed ? { kind: 'resume' } : { kind: 'turn' };
  }
}
