import type { Config } from '../config/config.ts';
import { RtvoiceError } from '../errors.ts';
import { NullStt } from './null/null-stt.ts';
import { NullTts } from './null/null-tts.ts';
import { AzureStt } from './stt/azure.ts';
import { PocketsphinxStt } from './stt/pocketsphinx.ts';
import { AzureTts } from './tts/azure.ts';
import { EspeakTts } from './tts/espeak.ts';
import { FliteTts } from './tts/flite.ts';
import type { SttProvider, TtsProvider } from './types.ts';

export type AzureSpeechSettings = Config['azureSpeech'] & {
  /** Entra ID tokens (scope cognitiveservices), for keyless access when there is no key. */
  readonly token?: (() => Promise<string>) | undefined;
};

/** The Speech service base URL: the configured endpoint, else the region's. */
export function azureSpeechEndpoint(settings: AzureSpeechSettings, service: 'stt' | 'tts'): string {
  if (settings.endpoint) return settings.endpoint;
  if (!settings.region)
    throw new RtvoiceError('CONFIG_INVALID', 'set AZURE_SPEECH_REGION or AZURE_SPEECH_ENDPOINT');
  return `https://${settings.region}.${service}.speech.microsoft.com`;
}

/** The speech-to-text provider of that name. */
export function createStt(
  name: string,
  options: { maxWorkers?: number; azure?: AzureSpeechSettings } = {},
): SttProvider {
  switch (name) {
    case 'pocketsphinx':
      return new PocketsphinxStt(options);
    case 'azure':
      if (!options.azure)
        throw new RtvoiceError('CONFIG_INVALID', 'the azure STT provider needs its settings');
      return new AzureStt({ ...options.azure, resourceId: options.azure.resourceId });
    case 'null':
      return new NullStt();
    default:
      throw new RtvoiceError(
        'UNKNOWN_PROVIDER',
        `no speech-to-text provider "${name}"; use pocketsphinx, azure or null`,
      );
  }
}

/** The text-to-speech provider of that name. */
export function createTts(name: string, options: { azure?: AzureSpeechSettings } = {}): TtsProvider {
  switch (name) {
    case 'flite':
      return new FliteTts();
    case 'espeak':
      return new EspeakTts();
    case 'azure': {
      if (!options.azure)
        throw new RtvoiceError('CONFIG_INVALID', 'the azure TTS provider needs its settings');
      return new AzureTts({
        endpoint: azureSpeechEndpoint(options.azure, 'tts'),
        key: options.azure.key,
        token: options.azure.token,
        defaultVoice: options.azure.voice,
      });
    }
    case 'null':
      return new NullTts();
    default:
      throw new RtvoiceError(
        'UNKNOWN_PROVIDER',
        `no text-to-speech provider "${name}"; use flite, espeak, azure or null`,
      );
  }
}
