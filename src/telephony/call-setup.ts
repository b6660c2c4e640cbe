import {
  CallAutomationClient,
  type AnswerCallOptions,
  type CallAutomationClientOptions,
} from '@azure/communication-call-automation';
import type { TokenCredential } from '@azure/identity';
import type { StreamingMode, TelephonyConfig } from '../config/config.ts';

export type AudioFormat = TelephonyConfig['audioFormat'];

/**
 * How ACS streams a call to this server: its audio (media streaming, to the media socket), or in
 * transcription mode its transcription (to the transcription socket, in the first agent's language; ACS
 * then needs an Azure AI services resource to recognise and speak).
 */
export function streamingOptions(
  config: TelephonyConfig,
  sessionId: string,
  call: {
    mode: StreamingMode;
    /** The call asked for its mode (else the server's applies, and the URL needs not say it). */
    requested?: boolean;
    audioFormat?: AudioFormat | undefined;
    /** The language ACS transcribes in. */
    locale: string;
  },
): Pick<AnswerCallOptions, 'mediaStreamingOptions' | 'transcriptionOptions' | 'callIntelligenceOptions'> {
  const socketUrl = (path: string) => {
    const url = new URL(`${config.baseUrl}${path}`);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('session_id', sessionId);
    if (call.requested) url.searchParams.set('streaming_mode', call.mode);
    return url.toString();
  };
  const intelligence = config.cognitiveServicesEndpoint
    ? { callIntelligenceOptions: { cognitiveServicesEndpoint: config.cognitiveServicesEndpoint } }
    : {};
  if (call.mode === 'transcription') {
    return {
      transcriptionOptions: {
        transportType: 'websocket',
        transportUrl: socketUrl('/api/v1/media/transcription'),
        locale: call.locale,
        startTranscription: true,
        enableIntermediateResults: true,
      },
      ...intelligence,
    };
  }
  return {
    mediaStreamingOptions: {
      transportType: 'websocket',
      transportUrl: socketUrl('/api/v1/media/stream'),
      contentType: 'audio',
      audioChannelType: 'mixed',
      startMediaStreaming: true,
      enableBidirectional: true,
      audioFormat: call.audioFormat ?? config.audioFormat,
      enableDtmfTones: true,
    },
    ...intelligence,
  };
}

/** The Call Automation client: an access key, or keyless with Entra ID (managed identity, `az login`). */
export function createClient(config: TelephonyConfig, credential: TokenCredential): CallAutomationClient {
  if ('connectionString' in config.acs) {
    const endpoint = /endpoint=([^;]+)/i.exec(config.acs.connectionString)?.[1] ?? '';
    return new CallAutomationClient(config.acs.connectionString, clientOptions(endpoint));
  }
  return new CallAutomationClient(config.acs.endpoint, credential, clientOptions(config.acs.endpoint));
}

/** Plain http is allowed for a local ACS simulator only (config refuses it in production). */
const clientOptions = (endpoint: string): CallAutomationClientOptions => ({
  allowInsecureConnection: endpoint.startsWith('http:'),
});
