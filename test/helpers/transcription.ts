import type { RunningServer } from '../../src/server/server.ts';
import type { AcsSimulator, SimulatedCall } from '../../src/telephony/simulator/acs-simulator.ts';
import type { TranscriptionLine } from '../../src/telephony/simulator/transcription-line.ts';
import { ACS_NUMBER, CALLER } from './telephony.ts';
import { until } from './wait.ts';

/** An incoming call in transcription mode, answered, with ACS's transcription socket open. */
export async function ringTranscribed(
  acs: AcsSimulator,
  server: RunningServer,
): Promise<{ call: SimulatedCall; sessionId: string; line: TranscriptionLine }> {
  const rang = await acs.ringIn(`${server.url}/api/v1/calls/answer`, { from: CALLER, to: ACS_NUMBER });
  if (rang.status !== 200) throw new Error(`answer refused: ${rang.status} ${JSON.stringify(rang.body)}`);
  const [answered] = rang.body['answered'] as { call_connection_id: string; session_id: string }[];
  const call = acs.calls.get(answered!.call_connection_id)!;
  const line = await acs.transcriptionOf(call.callId);
  return { call, sessionId: answered!.session_id, line };
}

/**
 * Waits until the agent asked ACS for more than `from` plays, ACS has played them all, and nothing new
 * came for `quietMs`.
 */
export async function playsSettled(
  call: SimulatedCall,
  from = 0,
  timeoutMs = 20_000,
  quietMs = 400,
): Promise<void> {
  await until(() => {
    const plays = call.speaker.plays;
    const last = plays.at(-1);
    return (
      plays.length > from &&
      last !== undefined &&
      plays.every((p) => p.outcome !== undefined) &&
      performance.now() - (last.endedAt ?? 0) > quietMs
    );
  }, timeoutMs);
}

/** The texts ACS played in full since play number `from`. */
export function playedSince(call: SimulatedCall, from: number): string {
  return call.speaker.plays
    .slice(from)
    .filter((p) => p.outcome === 'completed')
    .map((p) => p.text)
    .join(' ');
}
