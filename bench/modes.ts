// npm run bench:modes — the same phone conversation in each streaming mode, measured from the caller's
// side against the ACS simulator: calls placed through the API, answered by the demo's flow agent, the
// whole insurance demo each (real speech, flite's kal16 voice: name, ZIP code, a claim reported, filed, and
// the agent hangs up). In media mode rtvoice hears the audio (VAD,
// pocketsphinx) and speaks (flite); in transcription mode the simulated ACS recognises (pocketsphinx, after
// a simulated 500 ms end-of-phrase silence) and speaks (flite, PlayStarted when the audio is ready); in
// voice_live mode rtvoice hands the audio to a realtime service, here a second `rtvoice serve` whose
// /v1/realtime runs the same local cascade (offline). The servers are separate processes.
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../src/free-port.ts';
import type { SimulatedCall } from '../src/telephony/simulator/acs-simulator.ts';
import { AcsSimulator } from '../src/telephony/simulator/acs-simulator.ts';
import { callerLines } from './lib/caller-speech.ts';
import { histogramQuantile, ready, serve } from './lib/serve.ts';
import { fmt, machine, percentile, printTable } from './lib/stats.ts';

const CALLS = Number(process.env.MODES_CALLS ?? 4);
const CALLER = '+14255550123';

const lines = Object.values(
  await callerLines({
    name: 'My name is Alice Brown.',
    zip: 'Six oh six oh one.',
    intent: 'I want to report a claim.',
    date: 'Yesterday.',
    description: 'A tree fell on my car.',
    injuries: 'No one.',
    confirm: 'Yes.',
    done: 'Not really.',
  }),
);

const acs = await AcsSimulator.start();
const realtime = await serve({ AGENT_ENGINE: 'flow' });
await ready(realtime.url, 120_000);
const port = await freePort();
const server = await serve({
  PORT: String(port),
  ...acs.serverEnv(`http://127.0.0.1:${port}`),
  ACS_SOURCE_PHONE_NUMBER: '+18005550100',
  AGENT_ENGINE: 'flow',
  VOICE_LIVE_URL: `${realtime.url.replace('http', 'ws')}/v1/realtime?model=rtvoice`,
});
await ready(server.url, 120_000);
process.stdout.write(`rtvoice modes bench: ${machine()}; ${CALLS} calls of ${lines.length} turns per mode\n`);

interface Figures {
  /** Media streaming connected / transcription started → the greeting's first audio. */
  greeting: number[];
  voiceToVoice: number[];
  /** Transcription mode: speech end → ACS's Final result (simulated recognition). */
  recognition: number[];
  /** Transcription mode: Final result sent → the reply's first play asked of ACS (rtvoice). */
  finalToPlay: number[];
  /** Transcription mode: play asked → PlayStarted (simulated ACS text to speech). */
  playStart: number[];
  /** Calls the agent ended itself: the demo went to its end. */
  completed: number;
}
const figures = (): Figures => ({
  greeting: [],
  voiceToVoice: [],
  recognition: [],
  finalToPlay: [],
  playStart: [],
  completed: 0,
});

async function place(mode: 'media' | 'transcription' | 'voice_live'): Promise<string> {
  const response = await fetch(`${server.url}/api/v1/calls/initiate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ target_number: CALLER, streaming_mode: mode }),
  });
  if (!response.ok) throw new Error(`call not placed: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { call_connection_id: string }).call_connection_id;
}

/** A call whose audio streams to rtvoice: `media` (its cascade) or `voice_live` (a realtime service). */
async function audioCall(mode: 'media' | 'voice_live', into: Figures): Promise<void> {
  const callId = await place(mode);
  const line = await acs.lineOf(callId);
  const settle = async () => {
    await line.waitForAgentSpeech({ timeoutMs: 10_000 });
    await line.waitForAgentSilence({ silenceMs: 800, timeoutMs: 30_000 });
  };
  await settle();
  for (const audio of lines) {
    await line.say(audio);
    await settle();
  }
  await hangUpUnlessEnded(callId, into);
  const record = await line.done;
  if (record.greetingTtfbMs !== undefined) into.greeting.push(record.greetingTtfbMs);
  for (const turn of record.turns)
    if (turn.voiceToVoiceMs !== undefined) into.voiceToVoice.push(turn.voiceToVoiceMs);
}

/** The demo ends with the agent's goodbye and hang-up; a call still up after it is the caller's to end. */
async function hangUpUnlessEnded(callId: string, into: Figures): Promise<void> {
  const call = acs.calls.get(callId)!;
  for (const deadline = performance.now() + 10_000; performance.now() < deadline; await sleep(50))
    if (call.state === 'disconnected') {
      into.completed += 1;
      return;
    }
  await acs.callerHangsUp(callId);
}

/** Until ACS played everything asked of it and nothing new came for 800 ms. */
async function playsSettled(call: SimulatedCall, from: number): Promise<void> {
  const deadline = performance.now() + 30_000;
  for (;;) {
    const plays = call.speaker.plays;
    const last = plays.at(-1);
    const settled =
      plays.length > from &&
      plays.every((p) => p.outcome !== undefined) &&
      performance.now() - (last?.endedAt ?? 0) > 800;
    if (settled || performance.now() > deadline) return;
    await sleep(20);
  }
}

async function transcriptionCall(into: Figures): Promise<void> {
  const callId = await place('transcription');
  const call = acs.calls.get(callId)!;
  const line = await acs.transcriptionOf(callId);
  await playsSettled(call, 0);
  const greeting = call.speaker.plays[0];
  if (greeting?.startedAt !== undefined) into.greeting.push(greeting.startedAt - line.opened);
  for (const audio of lines) {
    const from = call.speaker.plays.length;
    const phrase = await line.say(audio);
    await playsSettled(call, from);
    const reply = call.speaker.plays[from];
    if (reply?.startedAt === undefined) continue;
    into.voiceToVoice.push(reply.startedAt - phrase.speechEndedAt);
    into.recognition.push(phrase.finalSentAt - phrase.speechEndedAt);
    into.finalToPlay.push(reply.requestedAt - phrase.finalSentAt);
    into.playStart.push(reply.startedAt - reply.requestedAt);
  }
  await hangUpUnlessEnded(callId, into);
}

const media = figures();
const transcription = figures();
const voiceLive = figures();
for (let i = 0; i < CALLS; i += 1) {
  await audioCall('media', media);
  await transcriptionCall(transcription);
  await audioCall('voice_live', voiceLive);
  process.stderr.write(`\r${i + 1}/${CALLS} calls per mode`);
}
process.stderr.write('\n');
const lagP99 = await histogramQuantile(server.url, 'rtvoice_event_loop_lag_seconds', 0.99);

const p = (values: number[]) =>
  values.length === 0
    ? 'n/a'
    : `p50 ${fmt(percentile(values, 50), 0)} / p95 ${fmt(percentile(values, 95), 0)} ms`;
printTable('the same conversation in each mode (caller side)', [
  { metric: 'media: voice-to-voice', value: `${p(media.voiceToVoice)} (${media.voiceToVoice.length} turns)` },
  {
    metric: 'transcription: voice-to-voice',
    value: `${p(transcription.voiceToVoice)} (${transcription.voiceToVoice.length} turns)`,
  },
  { metric: '  speech end → Final (simulated ACS)', value: p(transcription.recognition) },
  { metric: '  Final → play asked (rtvoice)', value: p(transcription.finalToPlay) },
  { metric: '  play asked → PlayStarted (simulated ACS)', value: p(transcription.playStart) },
  { metric: 'media: greeting after the stream opens', value: p(media.greeting) },
  { metric: 'transcription: greeting after the stream opens', value: p(transcription.greeting) },
  {
    metric: 'voice_live (another rtvoice): voice-to-voice',
    value: `${p(voiceLive.voiceToVoice)} (${voiceLive.voiceToVoice.length} turns)`,
  },
  { metric: 'voice_live: greeting after the stream opens', value: p(voiceLive.greeting) },
  {
    metric: 'calls the agent ended (demo completed): media / transcription / voice_live',
    value: `${media.completed} / ${transcription.completed} / ${voiceLive.completed} of ${CALLS}`,
  },
  { metric: 'server event-loop lag p99', value: `≤ ${fmt(lagP99 * 1000, 0)} ms (histogram bound)` },
]);

server.child.kill('SIGTERM');
realtime.child.kill('SIGTERM');
await acs.close();
