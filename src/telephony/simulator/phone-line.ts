import type { Pcm16 } from '../../audio/pcm.ts';
import { SimulatedCaller } from '../../load/simulated-caller.ts';
import type { TokenIssuer } from './token-issuer.ts';

/** What a phone line needs of its call. */
export interface LineCall {
  readonly callId: string;
  readonly correlationId: string;
  readonly direction: 'inbound' | 'outbound';
  readonly from: string;
  readonly to: string;
}

/**
 * The headers ACS opens its sockets to the server with: the call's ids and, unless the issuer is left out
 * (to test refusals), a day-long token.
 */
export async function socketHeaders(
  call: LineCall,
  issuer: TokenIssuer | undefined,
): Promise<Record<string, string>> {
  const headers: Record<string, string> = {
    'x-ms-call-correlation-id': call.correlationId,
    'x-ms-call-connection-id': call.callId,
  };
  if (issuer) headers['authorization'] = `Bearer ${await issuer.mint({ lifetimeSeconds: 24 * 3600 })}`;
  return headers;
}

/**
 * A phone line: the media socket ACS opens to the server once media streaming starts, as a simulated
 * caller that speaks at real-time pace and hears the agent. Rejects when the server refuses the socket.
 */
export async function openPhoneLine(
  call: LineCall,
  streaming: Readonly<Record<string, unknown>>,
  headers: Record<string, string>,
  onAgentAudio: ((callId: string, samples: Pcm16) => void) | undefined,
): Promise<SimulatedCaller> {
  const transportUrl = new URL(String(streaming['transportUrl']));
  const line = new SimulatedCaller({
    url: transportUrl.toString(),
    protocol: 'acs',
    callId: call.callId,
    sessionId: transportUrl.searchParams.get('session_id') ?? undefined,
    headers,
    sampleRate: streaming['audioFormat'] === 'pcm24KMono' ? 24000 : 16000,
    participantRawId: `4:${call.direction === 'inbound' ? call.from : call.to}`,
    ...(onAgentAudio ? { onAgentAudio: (samples: Pcm16) => onAgentAudio(call.callId, samples) } : {}),
  });
  if (!(await line.connect())) {
    const record = await line.done;
    throw new Error(`media socket refused: ${record.errors.map((e) => e.reason).join('; ')}`);
  }
  return line;
}
