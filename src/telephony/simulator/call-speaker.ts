import { durationMs, type Pcm16 } from '../../audio/pcm.ts';
import { errorMessage } from '../../errors.ts';
import type { TtsProvider } from '../../speech/types.ts';

type Json = Record<string, unknown>;

/** One play the server asked for, and what became of it. */
export interface PlayRecord {
  readonly text: string;
  /** The voice asked for (an Azure voice name), or undefined for ACS's default. */
  readonly voice: string | undefined;
  readonly operationContext: string | undefined;
  readonly requestedAt: number;
  startedAt?: number;
  endedAt?: number;
  /** Milliseconds of audio the text makes. */
  audioMs?: number;
  outcome?: 'completed' | 'canceled' | 'failed';
}

interface Playing {
  readonly record: PlayRecord;
  readonly done: () => void;
  timer?: NodeJS.Timeout;
}

/**
 * ACS's text to speech on one simulated call (`play`, `cancelAllMediaOperations`): plays are queued and
 * played one at a time; each is synthesised locally (flite stands in for Azure's voices), reported
 * PlayStarted when its audio is ready and PlayCompleted after the audio's real duration, or PlayCanceled
 * when cancelled. Tests can make plays fail (PlayFailed).
 */
export class CallSpeaker {
  readonly plays: PlayRecord[] = [];
  private readonly queue: { record: PlayRecord }[] = [];
  private playing: Playing | undefined;
  private readonly tts: TtsProvider;
  private readonly report: (type: string, data: Json) => Promise<unknown>;
  private readonly onAudio: ((samples: Pcm16) => void) | undefined;
  private readonly speed: number;
  private readonly fails: () => boolean;

  constructor(options: {
    tts: TtsProvider;
    report: (type: string, data: Json) => Promise<unknown>;
    onAudio?: ((samples: Pcm16) => void) | undefined;
    /** How many times faster than real time plays complete (tests; 1 is faithful). */
    speed?: number | undefined;
    /** Whether the next play fails (tests of PlayFailed). */
    fails?: () => boolean;
  }) {
    this.tts = options.tts;
    this.report = options.report;
    this.onAudio = options.onAudio;
    this.speed = options.speed ?? 1;
    this.fails = options.fails ?? (() => false);
  }

  /** A `:play` request body (PlayRequest on the wire); throws when it is not one ACS accepts. */
  play(request: Json): void {
    const sources = request['playSources'] as Json[] | undefined;
    const source = sources?.[0];
    if (!sources || sources.length !== 1 || !source) throw new Error('play takes exactly one play source');
    const record: PlayRecord = {
      ...textOf(source),
      operationContext: request['operationContext'] as string | undefined,
      requestedAt: performance.now(),
    };
    this.plays.push(record);
    this.queue.push({ record });
    if (!this.playing) void this.next();
  }

  /** Stops the play in progress and drops the queued ones: PlayCanceled for each. */
  cancelAll(): void {
    const dropped = this.queue.splice(0);
    const playing = this.playing;
    if (playing) {
      clearTimeout(playing.timer);
      this.playing = undefined;
      this.end(playing.record, 'canceled');
      playing.done();
    }
    for (const { record } of dropped) this.end(record, 'canceled');
  }

  private async next(): Promise<void> {
    const item = this.queue.shift();
    if (!item) return;
    const { record } = item;
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const playing: Playing = { record, done };
    this.playing = playing;
    try {
      if (this.fails()) {
        throw new Error('Action failed, the text to speech service failed (simulated).');
      }
      const parts: Pcm16[] = [];
      for await (const chunk of this.tts.synthesize({ text: record.text, sampleRate: 16000 }))
        parts.push(chunk);
      if (this.playing !== playing) return this.next(); // cancelled during synthesis
      record.audioMs = durationMs(
        parts.reduce((n, p) => n + p.length, 0),
        16000,
      );
      record.startedAt = performance.now();
      void this.report('PlayStarted', { operationContext: record.operationContext, resultInformation: ok() });
      for (const part of parts) this.onAudio?.(part);
      playing.timer = setTimeout(() => {
        if (this.playing !== playing) return;
        this.playing = undefined;
        this.end(record, 'completed');
        done();
      }, record.audioMs / this.speed);
      await finished;
    } catch (err) {
      if (this.playing === playing) this.playing = undefined;
      this.end(record, 'failed', errorMessage(err));
    }
    if (!this.playing) void this.next();
  }

  private end(record: PlayRecord, outcome: NonNullable<PlayRecord['outcome']>, why?: string): void {
    record.outcome = outcome;
    record.endedAt = performance.now();
    const data: Json = { operationContext: record.operationContext };
    if (outcome === 'completed') void this.report('PlayCompleted', { ...data, resultInformation: ok() });
    else if (outcome === 'canceled') void this.report('PlayCanceled', data);
    else
      void this.report('PlayFailed', {
        ...data,
        failedPlaySourceIndex: 0,
        resultInformation: { code: 500, subCode: 8572, message: why ?? 'Action failed.' },
      });
  }
}

const ok = () => ({ code: 200, subCode: 0, message: 'Action completed successfully.' });

/** The text a play source speaks: a TextSource's text, or an SsmlSource's words without their tags. */
function textOf(source: Json): { text: string; voice: string | undefined } {
  const kind = String(source['kind']).toLowerCase();
  if (kind === 'text') {
    const text = source['text'] as { text?: string; voiceName?: string } | undefined;
    if (!text?.text) throw new Error('a text play source needs text');
    return { text: text.text, voice: text.voiceName };
  }
  if (kind === 'ssml') {
    const ssml = (source['ssml'] as { ssmlText?: string } | undefined)?.ssmlText;
    if (!ssml) throw new Error('an ssml play source needs ssmlText');
    const voice = /<voice\s+name="([^"]+)"/.exec(ssml)?.[1];
    const text = ssml
      .replace(/<[^>]+>/g, ' ')
      .replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))
      .replace(
        /&(lt|gt|amp|apos|quot);/g,
        (_, name: string) => ({ lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' })[name]!,
      )
      .replace(/\s+/g, ' ')
      .trim();
    return { text, voice };
  }
  throw new Error(`the simulator plays text and ssml sources, not ${kind}`);
}
