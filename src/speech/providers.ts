import { RtvoiceError } from '../errors.ts';
import { PocketsphinxStt } from './stt/pocketsphinx.ts';
import { EspeakTts } from './tts/espeak.ts';
import { FliteTts } from './tts/flite.ts';
import type { SttProvider, TtsProvider } from './types.ts';

export const LOCAL_STT_PROVIDERS = ['pocketsphinx'] as const;
export const LOCAL_TTS_PROVIDERS = ['flite', 'espeak'] as const;

/** The speech-to-text provider of that name. */
export function createStt(name: string, options: { maxWorkers?: number } = {}): SttProvider {
  switch (name) {
    case 'pocketsphinx':
      return new PocketsphinxStt(options);
    default:
      throw new RtvoiceError(
        'UNKNOWN_PROVIDER',
        `no speech-to-text provider "${name}"; use one of ${LOCAL_STT_PROVIDERS.join(', ')}`,
      );
  }
}

/** The text-to-speech provider of that name. */
export function createTts(name: string, options: { workers?: number } = {}): TtsProvider {
  switch (name) {
    case 'flite':
      return new FliteTts(options);
    case 'espeak':
      return new EspeakTts();
    default:
      throw new RtvoiceError(
        'UNKNOWN_PROVIDER',
        `no text-to-speech provider "${name}"; use one of ${LOCAL_TTS_PROVIDERS.join(', ')}`,
      );
  }
}
