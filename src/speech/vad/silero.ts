import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type * as Sherpa from 'sherpa-onnx-node';
import { Framer } from '../../audio/framer.ts';
import { durationMs, pcm16ToFloat32, type Pcm16 } from '../../audio/pcm.ts';
import { RtvoiceError } from '../../errors.ts';
import { PIPELINE_SAMPLE_RATE, type VadEvent, type VoiceActivityDetector } from '../types.ts';

const require = createRequire(import.meta.url);

/** Silero v5 (MIT), vendored: no npm package ships it without a 300 MB runtime. */
export const SILERO_MODEL_PATH = fileURLToPath(
  new URL('../../../models/silero_vad_v5.onnx', import.meta.url),
);

/** Silero v5 works on 512-sample windows (32 ms at 16 kHz); shorter windows degrade it badly. */
const WINDOW_MS = 32;
/**
 * Between utterances the detector starts afresh this often, in a window as quiet as the silence so far (not
 * in the onset of a word). Run on for a minute of a call, its state came to miss short words ("No." at a
 * yes/no question: about one in three) that a fresh detector hears.
 */
const FRESH_AFTER_SILENCE_MS = 1000;

export interface VadOptions {
  /** Speech probability above which a window counts as speech. */
  readonly threshold: number;
  /** Speech shorter than this is ignored (clicks, breaths). */
  readonly minSpeechMs: number;
  /** Silence that must follow speech before it ends: the end-of-speech hangover. */
  readonly hangoverMs: number;
}

export const DEFAULT_VAD_OPTIONS: VadOptions = { threshold: 0.5, minSpeechMs: 64, hangoverMs: 250 };

/**
 * Silero voice activity detection for one audio stream (16 kHz PCM16 in chunks of any size). Costs about
 * 0.1 ms per 32 ms window, synchronously: cheap enough for the event loop (see docs/PERFORMANCE.md).
 */
export class SileroVad implements VoiceActivityDetector {
  private readonly vad: Sherpa.Vad;
  private readonly framer = new Framer(PIPELINE_SAMPLE_RATE, WINDOW_MS);
  private readonly window = new Float32Array((PIPELINE_SAMPLE_RATE * WINDOW_MS) / 1000);
  private readonly options: VadOptions;
  private samplesSeen = 0;
  private inSpeech = false;
  /** Audio since speech last ended or the detector last started afresh, while not in speech. */
  private silentMs = 0;
  /** The quietest window of that silence (RMS, full scale 1). */
  private silenceFloor = Infinity;

  constructor(options: Partial<VadOptions> = {}) {
    this.options = { ...DEFAULT_VAD_OPTIONS, ...options };
    const sherpa = loadSherpa();
    this.vad = new sherpa.Vad(
      {
        sileroVad: {
          model: SILERO_MODEL_PATH,
          threshold: this.options.threshold,
          minSpeechDuration: this.options.minSpeechMs / 1000,
          minSilenceDuration: this.options.hangoverMs / 1000,
          windowSize: this.window.length,
          maxSpeechDuration: 3600,
        },
        sampleRate: PIPELINE_SAMPLE_RATE,
        numThreads: 1,
        debug: false,
      },
      // Seconds of speech the detector may buffer; segments are dropped as soon as they close.
      60,
    );
  }

  /** True between a speech_start and its speech_end. */
  get speaking(): boolean {
    return this.inSpeech;
  }

  /** Feeds 16 kHz audio; returns the speech starts and ends it completes. */
  process(samples: Pcm16): VadEvent[] {
    const events: VadEvent[] = [];
    for (const frame of this.framer.push(samples)) {
      this.vad.acceptWaveform(pcm16ToFloat32(frame.samples, this.window));
      this.samplesSeen += frame.samples.length;
      this.discardSegments();
      const detected = this.vad.isDetected();
      if (!detected && !this.inSpeech) this.startAfreshWhenQuiet();
      if (detected === this.inSpeech) continue;
      this.silentMs = 0;
      this.silenceFloor = Infinity;
      this.inSpeech = detected;
      const atMs = durationMs(this.samplesSeen, PIPELINE_SAMPLE_RATE);
      events.push(
        detected
          ? {
              type: 'speech_start',
              atMs,
              speechStartMs: Math.max(0, atMs - this.options.minSpeechMs - WINDOW_MS),
            }
          : { type: 'speech_end', atMs, speechEndMs: atMs - this.options.hangoverMs },
      );
    }
    return events;
  }

  /** Forgets all state, e.g. between calls that reuse the detector. */
  reset(): void {
    this.vad.reset();
    this.framer.flush();
    this.samplesSeen = 0;
    this.inSpeech = false;
    this.silentMs = 0;
    this.silenceFloor = Infinity;
  }

  private startAfreshWhenQuiet(): void {
    this.silentMs += WINDOW_MS;
    const level = Math.sqrt(this.window.reduce((sum, x) => sum + x * x, 0) / this.window.length);
    this.silenceFloor = Math.min(this.silenceFloor, level);
    if (this.silentMs < FRESH_AFTER_SILENCE_MS || level > 2 * this.silenceFloor + 1e-4) return;
    this.vad.reset();
    this.silentMs = 0;
    this.silenceFloor = Infinity;
  }

  private discardSegments(): void {
    while (!this.vad.isEmpty()) this.vad.pop();
  }
}

function loadSherpa(): typeof Sherpa {
  try {
    return require('sherpa-onnx-node') as typeof Sherpa;
  } catch (err) {
    throw new RtvoiceError(
      'VAD_UNAVAILABLE',
      `the Silero VAD runtime (sherpa-onnx-node) failed to load: ${String(err)}. Reinstall dependencies with npm ci.`,
      { cause: err },
    );
  }
}
