import { NoiseFloor, rms } from '../../audio/levels.ts';
import { concatPcm16, type Pcm16 } from '../../audio/pcm.ts';
import type { Resampler } from '../../audio/resampler.ts';
import {
  PIPELINE_SAMPLE_RATE,
  type Recognizer,
  type VadEvent,
  type VoiceActivityDetector,
} from '../../speech/types.ts';

/** Caller audio kept from before the VAD fires, so the recognizer hears the word's beginning. */
const PREROLL_MS = 300;
/** Caller speech kept while the recognizer loads (a cold one takes about 0.4 s; a slow pool, longer). */
const EARLY_SPEECH_MS = 15_000;

/** Where caller speech started or ended, on the caller-audio clock (ms of audio since the call began). */
export type InputEvent =
  | { readonly type: 'speech_start'; readonly onsetAudioMs: number }
  | { readonly type: 'speech_end'; readonly speechEndAudioMs: number };

/** What one piece of caller audio was. */
export interface InputPiece {
  /** Its length, on the caller-audio clock. */
  readonly ms: number;
  /** The noise floor calls it sound, not background. */
  readonly voiced: boolean;
  readonly events: readonly InputEvent[];
}

const NO_EVENTS: readonly InputEvent[] = Object.freeze([]);

const msOf = (samples: number) => (samples * 1000) / PIPELINE_SAMPLE_RATE;

/**
 * The caller's side of the cascade: each piece of caller audio is resampled to the pipeline rate, clocked,
 * kept as preroll, judged against the noise floor, given to the VAD, and, while the caller speaks, written
 * to the recognizer (from the preroll on, so it hears the word the VAD fired on). Synchronous, in order.
 */
export class InputChain {
  private attached: Recognizer | undefined;
  /** Speech heard before the recognizer arrived, written to it when it does. */
  private early: Pcm16[] = [];
  private earlyMs = 0;
  private endedEarly = false;
  private readonly vad: VoiceActivityDetector;
  private readonly resampler: Resampler | undefined;
  private readonly noise = new NoiseFloor();
  private clockMs = 0;
  private preroll: Pcm16[] = [];
  private prerollMs = 0;
  private speaking = false;

  constructor(vad: VoiceActivityDetector, resampler?: Resampler) {
    this.vad = vad;
    this.resampler = resampler;
  }

  /** The recognizer, once it has loaded. */
  get recognizer(): Recognizer | undefined {
    return this.attached;
  }

  /**
   * Hands the loaded recognizer the speech heard while it loaded. True when an utterance ended meanwhile:
   * its end of turn is still to come.
   */
  attach(recognizer: Recognizer): boolean {
    this.attached = recognizer;
    for (const piece of this.early) recognizer.write(piece);
    const ended = this.endedEarly;
    this.early = [];
    this.earlyMs = 0;
    this.endedEarly = false;
    return ended;
  }

  /** Caller audio received so far, in ms. */
  get audioMs(): number {
    return this.clockMs;
  }

  process(samples: Pcm16): InputPiece {
    const audio = this.resampler ? this.resampler.process(samples) : samples;
    const ms = msOf(audio.length);
    this.clockMs += ms;
    this.remember(audio);
    const voiced = this.noise.voiced(audio);
    const detected = this.vad.process(audio);
    if (this.speaking) this.hear(audio);
    // Most pieces carry no VAD event: they share one empty list instead of a new one every 20 ms.
    return { ms, voiced, events: detected.length === 0 ? NO_EVENTS : detected.map((e) => this.onVad(e)) };
  }

  /** The performance.now() time of a point on the caller-audio clock, given when the latest piece came. */
  wallTime(audioMs: number, latestPieceAt: number): number {
    return latestPieceAt - (this.clockMs - audioMs);
  }

  private onVad(event: VadEvent): InputEvent {
    if (event.type === 'speech_end') {
      this.speaking = false;
      if (!this.attached && this.earlyMs > 0) this.endedEarly = true;
      return { type: 'speech_end', speechEndAudioMs: event.speechEndMs };
    }
    this.speaking = true;
    const preroll = concatPcm16(this.preroll);
    this.hear(preroll);
    return { type: 'speech_start', onsetAudioMs: Math.min(event.speechStartMs, this.energyOnsetMs(preroll)) };
  }

  /** Speech for the recognizer, or for later while it loads. */
  private hear(audio: Pcm16): void {
    if (this.attached) {
      this.attached.write(audio);
      return;
    }
    if (this.earlyMs >= EARLY_SPEECH_MS) return;
    this.early.push(audio);
    this.earlyMs += msOf(audio.length);
  }

  /** Keeps the last PREROLL_MS of caller audio. */
  private remember(audio: Pcm16): void {
    this.preroll.push(audio);
    this.prerollMs += msOf(audio.length);
    while (this.prerollMs > PREROLL_MS && this.preroll.length > 1) {
      this.prerollMs -= msOf(this.preroll.shift()!.length);
    }
  }

  /**
   * Where the sound the VAD just called speech began: the start of the loud run at the end of the preroll,
   * in 10 ms steps. Silero fires 100 ms or more into a soft onset; a barge-in counts from the real start.
   */
  private energyOnsetMs(preroll: Pcm16): number {
    const window = PIPELINE_SAMPLE_RATE / 100;
    let start = preroll.length;
    while (start - window >= 0 && this.noise.isSound(rms(preroll.subarray(start - window, start))))
      start -= window;
    return this.clockMs - msOf(preroll.length - start);
  }
}
