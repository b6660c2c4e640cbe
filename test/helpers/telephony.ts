import type { RunningServer } from '../../src/server/server.ts';
import { AcsSimulator, type AcsSimulatorOptions } from '../../src/telephony/simulator/acs-simulator.ts';
import type { CallRecord } from '../../src/calls/call-records.ts';
import { startMediaServer } from './media.ts';
import { freePort } from './redis.ts';

export const CALLER = '+14255550123';
export const ACS_NUMBER = '+18005550100';
export const PERSON = '+14255550199';

/** A simulated ACS and a server (real speech stack) that uses it, on a port known ahead for BASE_URL. */
export async function startPhoneSystem(
  env: Record<string, string> = {},
  options: AcsSimulatorOptions = {},
): Promise<{ acs: AcsSimulator; server: RunningServer; close: () => Promise<void> }> {
  const acs = await AcsSimulator.start(options);
  const port = await freePort();
  const server = await startMediaServer({
    PORT: String(port),
    ...acs.serverEnv(`http://127.0.0.1:${port}`),
    ACS_SOURCE_PHONE_NUMBER: ACS_NUMBER,
    ACS_TRANSFER_NUMBER: PERSON,
    ...env,
  });
  return {
    acs,
    server,
    close: async () => {
      await server.close();
      await acs.close();
    },
  };
}

/** The call record kept in the session. */
export async function callRecordOf(
  server: RunningServer,
  sessionId: string,
): Promise<CallRecord | undefined> {
  return (await server.services.sessions.store.load(sessionId))?.corememory['call'] as CallRecord | undefined;
}
