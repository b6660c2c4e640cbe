import { once } from 'node:events';
import { WebSocket } from 'ws';
import { concatPcm16, type Pcm16 } from '../../src/audio/pcm.ts';
import type { Envelope } from '../../src/connections/envelope.ts';
import { SimulatedCaller, type SimulatedCallerOptions } from '../../src/load/simulated-caller.ts';
import { startServer, type RunningServer } from '../../src/server/server.ts';
import { createTts } from '../../src/speech/providers.ts';
import type { ChatMessage } from '../../src/state/session.ts';
import { capturingLogger, testConfig } from './server.ts';

/** A server with the real local speech stack, one recognizer and synthesizer kept warm. */
export function startMediaServer(env: Record<string, string> = {}): Promise<RunningServer> {
  return startServer(
    testConfig({ STT_POOL_WARM: '1', TTS_POOL_WARM: '1', AGENT_ENGINE: 'flow', ...env }),
    capturingLogger('silent').log,
  );
}

const spoken = new Map<string, Pcm16>();

/**
 * A caller's utterance: real speech from flite's `kal16` voice (a different voice than the agents'), 16 kHz.
 * Cached, so the simulated caller pre-encodes each utterance once.
 */
export async function callerSpeech(text: string): Promise<Pcm16> {
  const cached = spoken.get(text);
  if (cached) return cached;
  const tts = createTts('flite', {});
  const parts: Pcm16[] = [];
  try {
    for await (const chunk of tts.synthesize({ text, voice: 'kal16', sampleRate: 16000 })) parts.push(chunk);
  } finally {
    await tts.close();
  }
  const audio = concatPcm16(parts);
  spoken.set(text, audio);
  return audio;
}

export function newCaller(
  server: RunningServer,
  options: Partial<SimulatedCallerOptions> = {},
): SimulatedCaller {
  return new SimulatedCaller({ url: server.url.replace('http', 'ws'), protocol: 'acs', ...options });
}

/** Says `audio` and waits for the agent's whole reply. */
export async function exchange(caller: SimulatedCaller, audio: Pcm16): Promise<void> {
  await caller.say(audio);
  const speech = await caller.waitForAgentSpeech({ timeoutMs: 8000 });
  if (!speech.ok) throw new Error(`no agent reply: ${speech.reason}`);
  const silence = await caller.waitForAgentSilence({ silenceMs: 700, timeoutMs: 20_000 });
  if (!silence.ok) throw new Error(`agent did not finish: ${silence.reason}`);
}

/** Every envelope of a session, as a dashboard watching it gets them. */
export async function watchSession(
  server: RunningServer,
  sessionId: string,
): Promise<{ envelopes: Envelope[]; close(): void }> {
  const ws = new WebSocket(
    `${server.url.replace('http', 'ws')}/api/v1/realtime/dashboard/relay?session_id=${sessionId}`,
  );
  const envelopes: Envelope[] = [];
  ws.on('message', (data: Buffer) => envelopes.push(JSON.parse(data.toString('utf8')) as Envelope));
  await once(ws, 'open');
  return { envelopes, close: () => ws.close() };
}

/** A session's thread of one agent, as stored. */
export async function thread(
  server: RunningServer,
  sessionId: string,
  agent: string,
): Promise<readonly ChatMessage[]> {
  const record = await server.services.sessions.store.load(sessionId);
  return record?.chat_history[agent] ?? [];
}
