import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { concatPcm16, type Pcm16 } from '../audio/pcm.ts';
import { createResampler } from '../audio/resampler.ts';
import { readWav, writeWav } from '../audio/wav.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError, loadConfig, type StreamingMode } from '../config/config.ts';
import { errorMessage } from '../errors.ts';
import { freePort } from '../free-port.ts';
import { startServer, type RunningServer } from '../server/server.ts';
import { createLogger } from '../telemetry/logger.ts';
import type { CallRecord } from '../calls/call-records.ts';
import { AcsSimulator } from '../telephony/simulator/acs-simulator.ts';

const USAGE = `Usage: rtvoice simulate-acs --incoming [--say caller.wav]... [--digits 94105#] [--record agent.wav]
       [--mode media|transcription] [--from +14255550123] [--to +18005550100]

A whole phone call on one machine: an ACS simulator (Call Automation REST, Event Grid, signed callbacks,
media streaming or transcription) and an rtvoice server configured to use it (from your environment and
.env, with the ACS settings pointed at the simulator). The phone rings, rtvoice answers, the caller hears
the greeting, says each WAV file in turn (any rate; waiting for the agent's whole answer each time),
presses --digits on the keypad, and hangs up. Prints the conversation and the call's record.
  --say      a WAV file the caller says (repeat for several turns)
  --digits   keypad digits pressed after the last --say (media mode)
  --record   writes what the caller heard (the agent, in real time) to a 16 kHz WAV file
  --mode     media (default): rtvoice hears and speaks; transcription: the simulated ACS recognises the
             caller (pocketsphinx) and speaks the agent's replies (flite)`;

const RATE = 16000;

export async function simulateAcs(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        incoming: { type: 'boolean', default: false },
        say: { type: 'string', multiple: true, default: [] },
        digits: { type: 'string' },
        record: { type: 'string' },
        mode: { type: 'string', default: 'media' },
        from: { type: 'string', default: '+14255550123' },
        to: { type: 'string', default: '+18005550100' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    process.stderr.write(`rtvoice simulate-acs: ${errorMessage(err)}\n\n${USAGE}\n`);
    return 1;
  }
  if (values.help || !values.incoming) {
    process.stderr.write(`${USAGE}\n`);
    return values.help ? 0 : 1;
  }
  const mode = values.mode;
  if (mode !== 'media' && mode !== 'transcription') {
    process.stderr.write(`rtvoice simulate-acs: --mode is media or transcription, not "${mode}"\n`);
    return 1;
  }
  if (mode === 'transcription' && values.digits) {
    process.stderr.write(
      'rtvoice simulate-acs: --digits needs media mode (ACS transcribes speech, not keys)\n',
    );
    return 1;
  }
  let utterances: Pcm16[];
  try {
    utterances = await Promise.all(values.say.map((path) => readSpeech(path)));
  } catch (err) {
    process.stderr.write(`rtvoice simulate-acs: ${errorMessage(err)}\n`);
    return 1;
  }

  const heard = new Recording();
  const acs = await AcsSimulator.start({ onAgentAudio: (_callId, samples) => heard.add(samples) });
  let server: RunningServer | undefined;
  try {
    server = await startSimulatedServer(acs, mode);
    const progress = (line: string) => process.stderr.write(`${line}\n`);
    progress('… waiting for the speech stack to warm up');
    await ready(server);
    progress(`☎ ${values.from} calls ${values.to}`);
    const rang = await acs.ringIn(`${server.url}/api/v1/calls/answer`, { from: values.from, to: values.to });
    const answered = (
      rang.body['answered'] as { call_connection_id?: string; session_id?: string }[] | undefined
    )?.[0];
    if (!answered?.call_connection_id || !answered.session_id)
      throw new Error(`rtvoice did not answer: HTTP ${rang.status} ${JSON.stringify(rang.body)}`);
    const phone = await phoneOf(acs, answered.call_connection_id, mode);
    heard.start();
    await phone.hearAgent('greeting');
    for (const [index, audio] of utterances.entries()) {
      progress(`🗣 caller says ${values.say[index]}`);
      await phone.say(audio);
      await phone.hearAgent(`answer ${index + 1}`);
    }
    if (values.digits) {
      progress(`⌨ caller presses ${values.digits}`);
      await phone.press(values.digits);
      await phone.hearAgent('answer to the keypad');
    }
    progress('☎ caller hangs up');
    await acs.callerHangsUp(answered.call_connection_id);
    await printConversation(server, answered.session_id);
    if (values.record) {
      writeFileSync(values.record, writeWav(heard.samples(), RATE));
      progress(`what the caller heard: ${values.record}`);
    }
    return 0;
  } catch (err) {
    process.stderr.write(`rtvoice simulate-acs: ${errorMessage(err)}\n`);
    return err instanceof ConfigError ? 2 : 1;
  } finally {
    await server?.close();
    await acs.close();
  }
}

async function readSpeech(path: string): Promise<Pcm16> {
  try {
    const wav = readWav(readFileSync(path));
    const resampler = await createResampler(wav.sampleRate, RATE);
    return concatPcm16([resampler.process(wav.samples), resampler.flush()]);
  } catch (err) {
    throw new Error(`${path}: ${errorMessage(err)}`, { cause: err });
  }
}

/** rtvoice as `rtvoice serve` would run it, with its ACS pointed at the simulator, on loopback. */
async function startSimulatedServer(acs: AcsSimulator, mode: StreamingMode): Promise<RunningServer> {
  const port = await freePort();
  const env = {
    ...process.env,
    HOST: '127.0.0.1',
    PORT: String(port),
    AUTH_MODE: 'none',
    ACS_STREAMING_MODE: mode,
    ...acs.serverEnv(`http://127.0.0.1:${port}`),
  };
  const config = loadConfig({ env });
  // The conversation goes to stdout; the server's warnings to stderr.
  return startServer(config, createLogger({ ...config.log, level: 'warn', destination: process.stderr }));
}

async function ready(server: RunningServer): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const response = await fetch(`${server.url}/api/v1/readiness`);
    await response.arrayBuffer();
    if (response.ok) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('the server was not ready within 60 s (run rtvoice doctor)');
}

/** The caller's side of the call, whatever the mode. */
interface Phone {
  /** Waits for the agent's whole answer. */
  hearAgent(what: string): Promise<void>;
  say(audio: Pcm16): Promise<void>;
  press(digits: string): Promise<void>;
}

/** Media mode: the media socket's line; transcription mode: ACS's transcription socket and its plays. */
async function phoneOf(acs: AcsSimulator, callId: string, mode: StreamingMode): Promise<Phone> {
  if (mode === 'transcription') {
    const call = acs.calls.get(callId)!;
    const line = await acs.transcriptionOf(callId);
    let heardUpTo = 0;
    return {
      hearAgent: async (what) => {
        const deadline = Date.now() + 60_000;
        const plays = call.speaker.plays;
        const settled = () =>
          plays.length > heardUpTo &&
          plays.every((p) => p.outcome !== undefined) &&
          performance.now() - (plays.at(-1)?.endedAt ?? 0) > 800;
        while (!settled() && Date.now() < deadline) await sleep(50);
        if (!settled()) throw new Error(`the agent did not finish its ${what}`);
        heardUpTo = plays.length;
      },
      say: async (audio) => void (await line.say(audio)),
      press: () => Promise.reject(new Error('ACS transcribes speech, not keys')),
    };
  }
  const line = await acs.lineOf(callId);
  return {
    hearAgent: async (what) => {
      const speech = await line.waitForAgentSpeech({ timeoutMs: 10_000 });
      if (!speech.ok) throw new Error(`no ${what} from the agent: ${speech.reason}`);
      const silence = await line.waitForAgentSilence({ silenceMs: 800, timeoutMs: 60_000 });
      if (!silence.ok) throw new Error(`the agent did not finish its ${what}: ${silence.reason}`);
    },
    say: async (audio) => void (await line.say(audio)),
    press: async (digits) => void line.sendDtmf(digits),
  };
}

async function printConversation(server: RunningServer, sessionId: string): Promise<void> {
  const stored = await server.services.sessions.store.load(sessionId);
  const messages = Object.entries(stored?.chat_history ?? {})
    .flatMap(([agent, thread]) => thread.map((message) => ({ agent, ...message })))
    .filter((message) => message.role === 'user' || message.role === 'assistant')
    .sort((a, b) => Number(a.meta?.['turn'] ?? 0) - Number(b.meta?.['turn'] ?? 0));
  for (const message of messages)
    process.stdout.write(`${message.role === 'user' ? 'caller' : message.agent}: ${message.content}\n`);
  const call = stored?.corememory['call'] as CallRecord | undefined;
  if (call) process.stdout.write(`call: ${call.state}, ${call.endReason ?? ''} (${call.callId})\n`);
}

/** Agent audio laid out in real time: gaps between replies are silence, as the caller heard them. */
class Recording {
  private readonly chunks: Pcm16[] = [];
  private length = 0;
  private startedAt: number | undefined;

  start(): void {
    this.startedAt ??= performance.now();
  }

  add(samples: Pcm16): void {
    this.start();
    const due = Math.round(((performance.now() - this.startedAt!) / 1000) * RATE);
    if (due > this.length) {
      this.chunks.push(new Int16Array(due - this.length));
      this.length = due;
    }
    this.chunks.push(samples);
    this.length += samples.length;
  }

  samples(): Pcm16 {
    return concatPcm16(this.chunks);
  }
}
