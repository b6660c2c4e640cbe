import { EventEmitter } from 'node:events';
import type * as Sdk from 'microsoft-cognitiveservices-speech-sdk';
import { pcm16ToBytes, type Pcm16 } from '../../audio/pcm.ts';
import {
  SttError,
  type RecognitionHints,
  type Recognizer,
  type RecognizerEvents,
  type RecognizerOptions,
  type SttProvider,
  type SttResult,
} from '../types.ts';

/** A recognition result as the Speech SDK reports it; offsets and durations are in 100 ns ticks. */
export interface SdkResult {
  readonly text: string;
  readonly offset: number;
  readonly duration: number;
  /** The detailed-format JSON, with NBest[0].Confidence. */
  readonly json?: string;
}

/**
 * The part of the Speech SDK a recognizer uses: a continuous recognizer fed by a push stream. This is
 * the boundary the tests stand in for, since the service cannot be reached from here.
 */
export interface SdkSession {
  onPartial(listener: (result: SdkResult) => void): void;
  onFinal(listener: (result: SdkResult) => void): void;
  onCanceled(listener: (details: string) => void): void;
  start(): Promise<void>;
  write(audio: ArrayBuffer): void;
  /** Replaces the phrase list the service favours (empty clears it). */
  usePhrases(phrases: readonly string[]): void;
  close(): void;
}

export interface AzureSttOptions {
  readonly key?: string | undefined;
  readonly region?: string | undefined;
  readonly endpoint?: string | undefined;
  /** Entra ID token, used when there is no key. */
  readonly token?: (() => Promise<string>) | undefined;
  /** The Speech resource's id: the SDK takes an Entra ID token as `aad#<resource id>#<token>`. */
  readonly resourceId?: string | undefined;
  readonly language?: string;
  /** How long a flush waits for the service to finalise speech it has only heard partially. */
  readonly flushWaitMs?: number;
  /** Replaces the Speech SDK (tests). */
  readonly session?: () => Promise<SdkSession>;
}

const TICKS_PER_MS = 10_000;
/** Azure Speech takes at most 500 phrases in a phrase list. */
const MAX_PHRASES = 500;

/** Azure Speech recognition through the official SDK, fed 16 kHz PCM through a push stream. */
export class AzureStt implements SttProvider {
  readonly name = 'azure';
  private readonly options: AzureSttOptions;

  constructor(options: AzureSttOptions) {
    if (!options.session && !options.key && !options.token)
      throw new SttError('Azure STT needs AZURE_SPEECH_KEY or an Entra ID token provider');
    if (!options.session && !options.region && !options.endpoint)
      throw new SttError('Azure STT needs AZURE_SPEECH_REGION or AZURE_SPEECH_ENDPOINT');
    this.options = options;
  }

  async open(options: RecognizerOptions = {}): Promise<Recognizer> {
    const session = await (this.options.session ?? (() => sdkSession(this.options)))();
    const recognizer = new AzureRecognizer(session, this.options.flushWaitMs ?? 1000);
    recognizer.expect(options);
    await session.start().catch((err: unknown) => {
      recognizer.close();
      throw new SttError(`Azure STT could not start: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    });
    // The service can refuse the connection while starting (bad key, unreachable endpoint).
    if (recognizer.failure) throw new SttError(`Azure STT could not start: ${recognizer.failure}`);
    options.signal?.addEventListener('abort', () => recognizer.close(), { once: true });
    return recognizer;
  }

  async close(): Promise<void> {}
}

class AzureRecognizer extends EventEmitter<RecognizerEvents> implements Recognizer {
  private readonly session: SdkSession;
  private readonly flushWaitMs: number;
  private finals: SttResult[] = [];
  private partialPending: SdkResult | undefined;
  private finalArrived: (() => void) | undefined;
  private isClosed = false;
  /** Why the service stopped this recognizer, once it has. */
  failure: string | undefined;

  constructor(session: SdkSession, flushWaitMs: number) {
    super();
    this.session = session;
    this.flushWaitMs = flushWaitMs;
    session.onPartial((result) => {
      this.partialPending = result;
      if (result.text) this.emit('partial', result.text);
    });
    session.onFinal((result) => {
      this.partialPending = undefined;
      if (result.text) this.finals.push(toResult(result));
      this.finalArrived?.();
    });
    session.onCanceled((details) => {
      this.failure = details;
      const error = new SttError(`Azure STT stopped: ${details}`);
      this.close();
      if (this.listenerCount('error') > 0) this.emit('error', error);
    });
  }

  get closed(): boolean {
    return this.isClosed;
  }

  write(samples: Pcm16): void {
    if (this.isClosed) throw new SttError('recognizer is closed');
    const bytes = pcm16ToBytes(samples);
    this.session.write(
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
    );
  }

  /** The service segments speech itself: a flush gathers what it finalised, waiting briefly for speech in flight. */
  async flush(): Promise<SttResult> {
    if (this.isClosed) throw new SttError('recognizer is closed');
    if (this.partialPending) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.flushWaitMs);
        this.finalArrived = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.finalArrived = undefined;
    }
    if (this.isClosed) throw new SttError('recognizer closed before its result arrived');
    const parts = this.finals;
    if (this.partialPending?.text) parts.push({ ...toResult(this.partialPending), confidence: 0 });
    this.finals = [];
    this.partialPending = undefined;
    const result: SttResult = {
      text: parts.map((p) => p.text).join(' '),
      confidence: parts.length ? parts.reduce((sum, p) => sum + p.confidence, 0) / parts.length : 0,
      startMs: parts[0]?.startMs ?? 0,
      endMs: parts.at(-1)?.endMs ?? 0,
    };
    this.emit('final', result);
    return result;
  }

  /** Phrases become the service's phrase list. Azure has no JSGF: grammars are left out. */
  expect(hints: RecognitionHints): void {
    if (this.isClosed) throw new SttError('recognizer is closed');
    this.session.usePhrases((hints.phrases ?? []).slice(0, MAX_PHRASES));
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.finalArrived?.();
    this.session.close();
  }
}

function toResult(result: SdkResult): SttResult {
  let confidence = 1;
  try {
    const detailed = JSON.parse(result.json ?? '{}') as { NBest?: { Confidence?: number }[] };
    confidence = detailed.NBest?.[0]?.Confidence ?? 1;
  } catch {
    // Simple output format: no confidence.
  }
  return {
    text: result.text.trim(),
    confidence,
    startMs: result.offset / TICKS_PER_MS,
    endMs: (result.offset + result.duration) / TICKS_PER_MS,
  };
}

async function entraAuthorization(options: AzureSttOptions): Promise<string> {
  const token = await options.token!();
  return options.resourceId ? `aad#${options.resourceId}#${token}` : token;
}

/** The real SDK session: continuous recognition over a 16 kHz PCM push stream. */
async function sdkSession(options: AzureSttOptions): Promise<SdkSession> {
  // Loaded on first use: the SDK weighs several MB of memory that offline deployments never need.
  const sdk: typeof Sdk = await import('microsoft-cognitiveservices-speech-sdk');
  const config = options.key
    ? options.endpoint
      ? sdk.SpeechConfig.fromEndpoint(new URL(options.endpoint), options.key)
      : sdk.SpeechConfig.fromSubscription(options.key, options.region!)
    : sdk.SpeechConfig.fromAuthorizationToken(await entraAuthorization(options), options.region!);
  config.speechRecognitionLanguage = options.language ?? 'en-US';
  config.outputFormat = sdk.OutputFormat.Detailed;
  config.setProperty(sdk.PropertyId[sdk.PropertyId.Speech_SegmentationSilenceTimeoutMs], '500');
  const stream = sdk.AudioInputStream.createPushStream(sdk.AudioStreamFormat.getWaveFormatPCM(16000, 16, 1));
  const recognizer = new sdk.SpeechRecognizer(config, sdk.AudioConfig.fromStreamInput(stream));
  const phraseList = sdk.PhraseListGrammar.fromRecognizer(recognizer);
  const fromSdk = (result: Sdk.SpeechRecognitionResult): SdkResult => ({
    text: result.text ?? '',
    offset: result.offset,
    duration: result.duration,
    json: result.json,
  });
  return {
    onPartial: (listener) => (recognizer.recognizing = (_, event) => listener(fromSdk(event.result))),
    onFinal: (listener) =>
      (recognizer.recognized = (_, event) => {
        if (event.result.reason === sdk.ResultReason.RecognizedSpeech) listener(fromSdk(event.result));
      }),
    onCanceled: (listener) =>
      (recognizer.canceled = (_, event) => {
        if (event.reason === sdk.CancellationReason.Error) listener(event.errorDetails);
      }),
    start: () =>
      new Promise((resolve, reject) =>
        recognizer.startContinuousRecognitionAsync(resolve, (err) => reject(new Error(err))),
      ),
    write: (audio) => stream.write(audio),
    usePhrases: (phrases) => {
      phraseList.clear();
      if (phrases.length) phraseList.addPhrases([...phrases]);
    },
    close: () => {
      stream.close();
      recognizer.close();
    },
  };
}
