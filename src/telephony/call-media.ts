import type { CallAutomationClient, SsmlSource, TextSource } from '@azure/communication-call-automation';
import type { CallMedia, PlayRequest } from '../media/call-context.ts';
import { toSsml } from '../speech/tts/azure.ts';

/**
 * ACS's media operations on one call through the official SDK: text to speech with the agent's Azure
 * voice (SSML when the voice has a style or a rate), cancelling, transcription and keypad tones.
 */
export function acsCallMedia(client: CallAutomationClient, callId: string): CallMedia {
  const media = () => client.getCallConnection(callId).getCallMedia();
  return {
    play: (request) =>
      media().playToAll([playSource(request)], { operationContext: request.operationContext }),
    cancelAll: () => media().cancelAllOperations(),
    updateTranscription: (locale) => media().updateTranscription(locale),
    startTranscription: (locale) => media().startTranscription({ locale }),
    stopTranscription: () => media().stopTranscription(),
    startContinuousDtmf: (phoneNumber) => media().startContinuousDtmfRecognition({ phoneNumber }),
  };
}

/** A plain TextSource in the agent's voice; SSML when a style or a speaking rate must be said too. */
export function playSource(request: PlayRequest): TextSource | SsmlSource {
  const { voice, text } = request;
  if (voice?.voice === undefined || (voice.style === undefined && voice.rate === 1))
    return {
      kind: 'textSource',
      text,
      ...(voice ? { sourceLocale: voice.language } : {}),
      ...(voice?.voice ? { voiceName: voice.voice } : {}),
    };
  return { kind: 'ssmlSource', ssmlText: toSsml(text, voice.voice, voice.rate, voice.style) };
}
