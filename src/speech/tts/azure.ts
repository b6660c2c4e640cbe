import type { Pcm16 } from '../../audio/pcm.ts';
import { errorMessage } from '../../errors.ts';
import { urlUnder } from '../../url.ts';
import { TtsError, type SynthesisRequest, type TtsProvider } from '../types.ts';
import { streamSpeech, type RenderedAudio } from './stream.ts';

export interface AzureTtsOptions {
  /** e.g. https://eastus.tts.speech.microsoft.com, or a custom-domain endpoint (needed for Entra tokens). */
  readonly endpoint: string;
  /** A Speech resource key; or `token` for keyless (Entra ID) authentication. */
  readonly key?: string | undefined;
  /** Returns a bearer token (Entra ID, scope https://cognitiveservices.azure.com/.default). */
  readonly token?: (() => Promise<string>) | undefined;
  readonly defaultVoice?: string;
  /** Per-sentence request timeout. */
  readonly timeoutMs?: number;
}

/** Raw PCM formats the service streams; any other rate is resampled from the closest above it. */
const NATIVE_RATES = [8000, 16000, 24000, 48000] as const;

/**
 * Azure neural voices over the REST API: one SSML request per sentence, raw PCM16 streamed back as the
 * service produces it. Proven here only against the protocol simulator in test/helpers (no Azure access).
 */
export class AzureTts implements TtsProvider {
  readonly name = 'azure';
  readonly defaultVoice: string;
  private readonly options: AzureTtsOptions;

  constructor(options: AzureTtsOptions) {
    if (!options.key && !options.token)
      throw new TtsError('Azure TTS needs AZURE_SPEECH_KEY or an Entra ID token provider');
    this.options = options;
    this.defaultVoice = options.defaultVoice ?? 'en-US-AvaMultilingualNeural';
  }

  synthesize(request: SynthesisRequest): AsyncIterable<Pcm16> {
    const voice = request.voice ?? this.defaultVoice;
    if (!/^[a-z]{2,3}-[A-Z]{2,3}(-[A-Za-z]+)?-[A-Za-z0-9]+$/.test(voice)) {
      throw new TtsError(`"${voice}" is not an Azure voice name (e.g. en-US-AvaMultilingualNeural)`);
    }
    const nativeRate = NATIVE_RATES.find((rate) => rate >= request.sampleRate) ?? 48000;
    return streamSpeech(request, (sentence, signal) =>
      this.fetchSpeech(sentence, voice, request.rate ?? 1, nativeRate, signal),
    );
  }

  async close(): Promise<void> {}

  private async *fetchSpeech(
    sentence: string,
    voice: string,
    rate: number,
    sampleRate: number,
    signal: AbortSignal,
  ): AsyncGenerator<RenderedAudio> {
    const url = urlUnder(this.options.endpoint, 'cognitiveservices/v1');
    const auth: Record<string, string> = this.options.key
      ? { 'Ocp-Apim-Subscription-Key': this.options.key }
      : { Authorization: `Bearer ${await this.options.token!()}` };
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: {
          ...auth,
          'Content-Type': 'application/ssml+xml',
          'X-Microsoft-OutputFormat': `raw-${sampleRate / 1000}khz-16bit-mono-pcm`,
          'User-Agent': 'rtvoice',
        },
        body: toSsml(sentence, voice, rate),
        signal: AbortSignal.any([signal, AbortSignal.timeout(this.options.timeoutMs ?? 10_000)]),
      });
    } catch (err) {
      if (signal.aborted) return;
      throw new TtsError(`Azure TTS at ${url.origin} could not be reached: ${errorMessage(err)}`, {
        cause: err,
      });
    }
    if (!response.ok) {
      const detail = (await response.text().catch(() => '')).slice(0, 200);
      const retry = response.headers.get('retry-after');
      throw new TtsError(
        `Azure TTS answered HTTP ${response.status}${retry ? ` (retry after ${retry} s)` : ''}${detail ? `: ${detail}` : ''}` +
          (response.status === 401 || response.status === 403
            ? '; check AZURE_SPEECH_KEY and AZURE_SPEECH_REGION'
            : ''),
      );
    }
    let carry: Uint8Array | undefined; // an odd byte waiting for its pair
    try {
      for await (const data of response.body as unknown as AsyncIterable<Uint8Array>) {
        const bytes = carry ? Buffer.concat([carry, data]) : data;
        const even = bytes.length - (bytes.length % 2);
        carry = even < bytes.length ? new Uint8Array(bytes.subarray(even)) : undefined;
        // A copy: the chunk may be a view into a larger, reused buffer.
        if (even > 0)
          yield { samples: new Int16Array(new Uint8Array(bytes.subarray(0, even)).buffer), sampleRate };
      }
    } catch (err) {
      if (signal.aborted) return;
      throw new TtsError(`Azure TTS stream broke off: ${errorMessage(err)}`, { cause: err });
    }
  }
}

/**
 * The SSML Azure speaks: one voice, the speaking rate as a percentage, an optional speaking style
 * (`mstts:express-as`), the text escaped.
 */
export function toSsml(text: string, voice: string, rate: number, style?: string): string {
  const escape = (value: string) =>
    value.replace(
      /[<>&'"]/g,
      (c) => `&${{ '<': 'lt', '>': 'gt', '&': 'amp', "'": 'apos', '"': 'quot' }[c]};`,
    );
  const language = voice.split('-').slice(0, 2).join('-');
  const percent = Math.round((rate - 1) * 100);
  let body = escape(text);
  if (percent !== 0) body = `<prosody rate="${percent > 0 ? '+' : ''}${percent}%">${body}</prosody>`;
  if (style === undefined)
    return `<speak version="1.0" xmlns="http://www.w3.org/2001/10/synthesis" xml:lang="${language}"><voice name="${voice}">${body}</voice></speak>`;
  body = `<mstts:express-as style="${escape(style)}">${body}</mstts:express-as>`;
  return `<speak version="1.0" xmlns="http://www.w3.org/2001/10/synthesis" xmlns:mstts="https://www.w3.org/2001/mstts" xml:lang="${language}"><voice name="${voice}">${body}</voice></speak>`;
}
