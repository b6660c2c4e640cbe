// npm run bench:capacity — what one media stream costs the server when speech is switched off
// (STT_PROVIDER=null, TTS_PROVIDER=null: no VAD model, no recognizer, no synthesis), against a bare `ws`
// server that only JSON-parses and base64-decodes each ACS message (bench/lib/bare-server.ts). Each server runs
// alone in its own process; this process is the load generator: simulated ACS callers (src/load) streaming
// pre-encoded 20 ms frames at 50 a second. Generator and server share this machine's cores.
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { PacingClock } from '../src/audio/pacing-clock.ts';
import type { Pcm16 } from '../src/audio/pcm.ts';
import { SimulatedCaller } from '../src/load/simulated-caller.ts';
import { encodeAcsAudioFrames } from '../src/load/wire/acs-caller.ts';
import { cpuSeconds, ready, rssMiB, serve } from './lib/serve.ts';
import { fmt, machine } from './lib/stats.ts';

const STEPS = (process.env.CAPACITY_STEPS ?? '100,250,500,1000,1500,2000,3000').split(',').map(Number);
const WINDOW_S = Number(process.env.CAPACITY_WINDOW_S ?? 10);
const SETTLE_S = Number(process.env.CAPACITY_SETTLE_S ?? 3);
/** `noise` (default) or `silence`: what the callers stream. Neither server looks at the samples. */
const AUDIO = process.env.CAPACITY_AUDIO === 'silence' ? 'silence' : 'noise';
const LAG_LIMIT_MS = 20;
/** STT_POOL_SIZE and TTS_POOL_SIZE accept at most 1000 (src/config/env-vars.ts): one call holds one of each. */
const RTVOICE_MAX_STREAMS = 1000;
/** Pacing clocks with staggered beats: real calls' frames do not all arrive in the same millisecond. */
const PHASES = 10;
const CONNECT_BATCH = 50;
const IDLE_S = 4;
/** Cores used by everything but server and generator above which a failed step is measured again. */
const BUSY_OTHERS = 0.25;
const RETRIES = 2;
const idleCores = new Map<string, number>();
const PARTICIPANT = '4:+15551230000';
const FRAME_SAMPLES = 320;

// ---- the audio: 10 s of pseudo-random noise at about -20 dBFS, encoded once for every caller ----
function noise(seconds: number): Pcm16 {
  const samples = new Int16Array(16000 * seconds);
  let seed = 12345;
  for (let i = 0; i < samples.length; i += 1) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    samples[i] = ((seed >> 8) % 6554) - 3277;
  }
  return samples;
}
const NOISE = noise(10);
/** Bytes one frame takes on the wire: the ACS JSON text plus a masked client frame's 8-byte header. */
const WIRE_BYTES_PER_FRAME =
  encodeAcsAudioFrames(
    [AUDIO === 'noise' ? NOISE.subarray(0, FRAME_SAMPLES) : new Int16Array(FRAME_SAMPLES)],
    PARTICIPANT,
  ).frames[0]!.length + 8;

/** Bytes a process has read (sockets included), from /proc: the server's inbound traffic. */
function bytesRead(pid: number): number {
  return Number(/rchar:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))![1]);
}

/** CPU seconds the whole machine spent busy (every core, kernel included), from /proc/stat. */
function machineBusySeconds(): number {
  const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]!
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return (user! + nice! + system! + irq! + softirq! + steal!) / 100;
}

// ---- the two servers ----
interface Server {
  readonly name: string;
  readonly child: ChildProcess;
  readonly url: string;
  /** Its lag histogram's series name in /metrics. */
  readonly lagMetric: string;
  readonly maxStreams: number;
  /** Frames it counted itself, when it does. */
  readonly frames?: (metrics: string) => number;
}

async function startRtvoice(): Promise<Server> {
  const served = await serve({
    STT_PROVIDER: 'null',
    TTS_PROVIDER: 'null',
    AGENT_ENGINE: 'flow',
    MAX_CONNECTIONS: '100000',
    STT_POOL_SIZE: String(RTVOICE_MAX_STREAMS),
    TTS_POOL_SIZE: String(RTVOICE_MAX_STREAMS),
    STT_POOL_WARM: '100',
    TTS_POOL_WARM: '100',
    STT_SESSION_HOLD_MS: '0',
    SHUTDOWN_GRACE_MS: '1000',
    // serve() waits for the info-level "rtvoice is listening" line; info logs come only as calls start and end,
    // never per frame, so the measured windows log nothing.
    LOG_LEVEL: 'info',
  });
  await ready(served.url);
  return {
    name: 'rtvoice',
    child: served.child,
    url: served.url,
    lagMetric: 'rtvoice_event_loop_lag_seconds',
    maxStreams: RTVOICE_MAX_STREAMS,
  };
}

async function startBare(): Promise<Server> {
  const child = spawn(process.execPath, ['bench/lib/bare-server.ts'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const port = await new Promise<string>((resolve, reject) => {
    lines.once('line', (line) => resolve(/^listening (\d+)$/.exec(line)?.[1] ?? ''));
    child.once('exit', () => reject(new Error('bench/lib/bare-server.ts exited before listening')));
  });
  return {
    name: 'bare ws',
    child,
    url: `http://127.0.0.1:${port}`,
    lagMetric: 'bare_event_loop_lag_seconds',
    maxStreams: Infinity,
    frames: (metrics) => gauge(metrics, 'bare_frames_total'),
  };
}

// ---- reading a server's /metrics over a window ----
const scrape = async (url: string) => (await fetch(`${url}/metrics`)).text();

function gauge(metrics: string, name: string): number {
  return Number(new RegExp(`^${name} (\\S+)`, 'm').exec(metrics)?.[1] ?? Number.NaN);
}

function buckets(metrics: string, name: string): { le: number; count: number }[] {
  return [...metrics.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\d+)`, 'gm'))].map((m) => ({
    le: m[1] === '+Inf' ? Infinity : Number(m[1]),
    count: Number(m[2]),
  }));
}

/** The p99 of the samples a histogram took between two scrapes, as the bound of its bucket (seconds). */
function windowP99(before: string, after: string, name: string): number {
  const start = buckets(before, name);
  const end = buckets(after, name).map((b, i) => ({ le: b.le, count: b.count - (start[i]?.count ?? 0) }));
  const total = end.at(-1)?.count ?? 0;
  return end.find((b) => b.count >= 0.99 * total)?.le ?? Number.NaN;
}

// ---- the generator ----
const clocks = Array.from({ length: PHASES }, () => new PacingClock());
const idle = { onTick: () => undefined };
const stopClocks: (() => void)[] = [];
for (const clock of clocks) {
  // Each clock's beat starts with its first listener: these start them 2 ms apart and keep them going.
  stopClocks.push(clock.add(idle));
  await sleep(clock.frameMs / PHASES);
}
const generatorLag = monitorEventLoopDelay({ resolution: 10 });
generatorLag.enable();

/** Streams until hung up: noise (said over and over, frames cached) or the caller's own silence frames. */
function stream(caller: SimulatedCaller): void {
  if (AUDIO === 'silence') return;
  const again = (sent: boolean): void => void (sent && caller.say(NOISE).then(again));
  again(true);
}

interface Step {
  readonly streams: number;
  readonly serverCores: number;
  readonly usPerStreamSecond: number;
  readonly lagP99Ms: number;
  readonly delayP99Ms: number;
  readonly rssMiB: number;
  /** Frames the server received over the window ÷ the frames 50 fps per stream makes. */
  readonly received: number;
  readonly counted: boolean;
  readonly generatorCores: number;
  /** Everything else the machine ran: other processes, and kernel time (loopback softirqs) no process is charged. */
  readonly otherCores: number;
  readonly generatorLagP99Ms: number;
  readonly skippedTicks: number;
  readonly failures: number;
  /** Lag p99 ≤ 20 ms by the 100 ms-timer histogram (rtvoice's own metric), every frame received, no call lost. */
  readonly holds: boolean;
  /** The same with monitorEventLoopDelay's p99 instead: ten times the samples, 1 ms resolution. */
  readonly holdsByDelay: boolean;
}

async function connect(server: Server, callers: SimulatedCaller[], target: number): Promise<number> {
  let failed = 0;
  while (callers.length < target) {
    const batch = Array.from(
      { length: Math.min(CONNECT_BATCH, target - callers.length) },
      (_, i) =>
        new SimulatedCaller({
          url: server.url,
          protocol: 'acs',
          clock: clocks[(callers.length + i) % PHASES]!,
        }),
    );
    callers.push(...batch);
    const opened = await Promise.all(batch.map((caller) => caller.connect()));
    batch.forEach((caller, i) => (opened[i] ? stream(caller) : (failed += 1)));
  }
  return failed;
}

const skipped = () => clocks.reduce((sum, clock) => sum + clock.stats.skippedTicks, 0);

async function measure(server: Server, streams: number, callers: SimulatedCaller[]): Promise<Step> {
  const pid = server.child.pid!;
  const refused = await connect(server, callers, streams);
  await sleep(SETTLE_S * 1000);
  const before = await scrape(server.url);
  const cpu0 = cpuSeconds(pid);
  const read0 = bytesRead(pid);
  const own0 = cpuSeconds(process.pid);
  const busy0 = machineBusySeconds();
  const skipped0 = skipped();
  generatorLag.reset();
  const t0 = performance.now();
  await sleep(WINDOW_S * 1000);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(pid) - cpu0;
  const read = bytesRead(pid) - read0;
  const own = cpuSeconds(process.pid) - own0;
  const busy = machineBusySeconds() - busy0;
  const after = await scrape(server.url);
  const expected = streams * 50 * seconds;
  const frames = server.frames ? server.frames(after) - server.frames(before) : read / WIRE_BYTES_PER_FRAME;
  const lagP99Ms = windowP99(before, after, server.lagMetric) * 1000;
  const closed = callers.filter((caller) => caller.state !== 'open').length;
  const step = {
    streams,
    serverCores: cpu / seconds,
    usPerStreamSecond: (cpu * 1e6) / (streams * seconds),
    lagP99Ms,
    // monitorEventLoopDelay records the whole interval between its 10 ms timer's runs: the lag is the rest.
    delayP99Ms: Math.max(0, gauge(after, 'nodejs_eventloop_lag_p99_seconds') * 1000 - 10),
    rssMiB: rssMiB(pid),
    received: frames / expected,
    counted: server.frames !== undefined,
    generatorCores: own / seconds,
    otherCores: (busy - cpu - own) / seconds,
    generatorLagP99Ms: Math.max(0, generatorLag.percentile(99) / 1e6 - 10),
    skippedTicks: skipped() - skipped0,
    failures: refused + closed,
  };
  if (server.frames) rcharCheck.push(read / WIRE_BYTES_PER_FRAME / frames);
  const intact = step.received >= 0.99 && step.failures === 0;
  return {
    ...step,
    holds: intact && step.lagP99Ms <= LAG_LIMIT_MS,
    holdsByDelay: intact && step.delayP99Ms <= LAG_LIMIT_MS,
  };
}

/** How far the /proc rchar estimate of frames received is from the bare server's own count. */
const rcharCheck: number[] = [];

const verdict = (step: Step) =>
  step.holds
    ? 'holds'
    : step.holdsByDelay
      ? 'FAILS by the histogram, holds by monitorEventLoopDelay'
      : 'FAILS';

function describe(server: Server, step: Step): string {
  return (
    `  ${server.name.padEnd(7)} ${String(step.streams).padStart(5)} streams: ` +
    `${fmt(step.serverCores, 2)} cores, ${fmt(step.usPerStreamSecond, 0)} µs CPU per stream-second, ` +
    `lag p99 ≤ ${fmt(step.lagP99Ms, 0)} ms (monitorEventLoopDelay p99 ${fmt(step.delayP99Ms, 1)} ms), ` +
    `RSS ${fmt(step.rssMiB, 0)} MiB, frames received ${fmt(step.received * 100, 1)} %` +
    `${step.counted ? '' : ' (est.)'}, generator ${fmt(step.generatorCores, 2)} cores, ` +
    `generator lag p99 ${fmt(step.generatorLagP99Ms, 1)} ms, others ${fmt(step.otherCores, 2)} cores` +
    `${step.skippedTicks ? `, ${step.skippedTicks} beats skipped` : ''}` +
    `${step.failures ? `, ${step.failures} calls refused or closed` : ''} → ${verdict(step)}\n`
  );
}

/** A server under test: its steps so far, and whether stepping up has ended for it. */
interface Trial {
  readonly server: Server;
  readonly exited: Promise<never>;
  readonly steps: Step[];
  stopped: boolean;
}

function trial(server: Server): Trial {
  const exited = new Promise<never>((_, reject) =>
    server.child.once('exit', (code, signal) =>
      reject(new Error(`${server.name} died during the run (code ${code}, signal ${signal})`)),
    ),
  );
  exited.catch(() => undefined);
  return { server, exited, steps: [], stopped: false };
}

/** One step: N fresh callers, measured (again while others were busy), then hung up. */
async function step(t: Trial, streams: number): Promise<Step> {
  const { server } = t;
  process.stdout.write(`  ${server.name}: ${streams} streams, connecting and measuring ${WINDOW_S} s…\n`);
  const callers: SimulatedCaller[] = [];
  try {
    let result = await Promise.race([measure(server, streams, callers), t.exited]);
    // The machine is shared: a step that failed while something else was busy is measured again.
    for (let retry = 0; retry < RETRIES && !result.holds && result.otherCores > BUSY_OTHERS; retry += 1) {
      process.stdout.write(describe(server, result));
      process.stdout.write(`  other processes used ${fmt(result.otherCores, 2)} cores: measuring again…\n`);
      result = await Promise.race([measure(server, streams, callers), t.exited]);
    }
    process.stdout.write(describe(server, result));
    t.steps.push(result);
    return result;
  } finally {
    await Promise.all(callers.map((caller) => caller.hangup()));
    await sleep(1000); // the server closes its sessions
  }
}

async function stop(server: Server): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  server.child.kill('SIGTERM');
  await once(server.child, 'exit');
}

// ---- the run ----
const started = performance.now();
process.stdout.write(
  `rtvoice capacity bench: ${machine()}; generator and server share these cores.\n` +
    'Generator: SimulatedCaller (src/load/simulated-caller.ts), one WebSocket per stream; ' +
    `callers stream ${AUDIO === 'noise' ? 'pre-encoded noise (-20 dBFS)' : 'silence frames'}, ` +
    `${WIRE_BYTES_PER_FRAME} bytes a frame on the wire, 50 frames a second each, on ${PHASES} staggered clocks; ` +
    `steady window ${WINDOW_S} s after ${SETTLE_S} s settling.\n` +
    'Bare server (bench/lib/bare-server.ts): ws, JSON.parse + base64 decode of each AudioData, nothing else.\n\n',
);
process.stdout.write(
  'Starting rtvoice serve (STT_PROVIDER=null TTS_PROVIDER=null, flow agent) and the bare server…\n',
);
const trials = [trial(await startRtvoice()), trial(await startBare())];
try {
  // What each server costs with no call at all (timers, metrics, the ready pools), side by side.
  const idle0 = trials.map((t) => cpuSeconds(t.server.child.pid!));
  await sleep(IDLE_S * 1000);
  trials.forEach((t, i) => {
    idleCores.set(t.server.name, (cpuSeconds(t.server.child.pid!) - idle0[i]!) / IDLE_S);
    process.stdout.write(
      `  ${t.server.name}: idle ${fmt(idleCores.get(t.server.name)!, 3)} cores, RSS ${fmt(rssMiB(t.server.child.pid!), 0)} MiB\n`,
    );
  });
  // Each count is measured on both servers back to back, so the ratio compares like moments.
  for (const streams of STEPS) {
    for (const t of trials) {
      if (t.stopped) continue;
      if (streams > t.server.maxStreams) {
        t.stopped = true;
        continue;
      }
      const result = await step(t, streams);
      // Where a criterion first fails, one more step halfway back narrows it down; stepping up goes on
      // while the looser one (monitorEventLoopDelay) holds.
      const narrow = async (held: (s: Step) => boolean) => {
        const last = Math.max(
          0,
          ...t.steps.filter((s) => held(s) && s.streams < streams).map((s) => s.streams),
        );
        const middle = Math.round((last + streams) / 2 / 50) * 50;
        if (middle > last && middle < streams && !t.steps.some((s) => s.streams === middle))
          await step(t, middle);
      };
      if (!result.holds && !t.steps.some((s) => !s.holds && s !== result)) await narrow((s) => s.holds);
      if (!result.holdsByDelay) {
        t.stopped = true;
        await narrow((s) => s.holdsByDelay);
      }
    }
    if (trials.every((t) => t.stopped)) break;
  }
} finally {
  for (const t of trials) await stop(t.server);
  for (const stopClock of stopClocks) stopClock();
}
const [rtvoice, bare] = trials.map((t) => t.steps.sort((a, b) => a.streams - b.streams)) as [Step[], Step[]];
const counts = [...new Set([...rtvoice, ...bare].map((s) => s.streams))].sort((a, b) => a - b);
const header = [
  'streams',
  'server',
  'server cores',
  'µs CPU / stream-s',
  'ratio rtvoice/bare',
  'lag p99 (bucket)',
  'mELD p99',
  'RSS MiB',
  'frames rcvd',
  'generator cores',
  'gen. lag p99',
  'other cores',
  'holds (hist. / mELD)',
];
const rows: string[][] = [];
for (const streams of counts) {
  const a = rtvoice.find((s) => s.streams === streams);
  const b = bare.find((s) => s.streams === streams);
  for (const [name, step] of [
    ['rtvoice', a],
    ['bare ws', b],
  ] as const) {
    if (!step) continue;
    // At a count where either server is saturated, its CPU per stream says how far it got, not what a stream costs.
    const saturated = a && b && (!a.holdsByDelay || !b.holdsByDelay) ? '†' : '';
    const ratio =
      name === 'rtvoice' && a && b ? `${fmt(a.usPerStreamSecond / b.usPerStreamSecond, 2)}${saturated}` : '';
    rows.push([
      String(streams),
      name,
      fmt(step.serverCores, 2),
      fmt(step.usPerStreamSecond, 0),
      ratio,
      `≤ ${fmt(step.lagP99Ms, 0)} ms`,
      `${fmt(step.delayP99Ms, 1)} ms`,
      fmt(step.rssMiB, 0),
      `${fmt(step.received * 100, 1)} %${step.counted ? '' : '*'}`,
      fmt(step.generatorCores, 2),
      `${fmt(step.generatorLagP99Ms, 1)} ms`,
      fmt(step.otherCores, 2),
      `${step.holds ? 'yes' : 'NO'} / ${step.holdsByDelay ? 'yes' : 'NO'}`,
    ]);
  }
}
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |\n`;
process.stdout.write(
  `\nCapacity with speech off (${machine()}; generator and server share the cores)\n` +
    line(header) +
    line(widths.map((w) => '-'.repeat(w))) +
    rows.map(line).join(''),
);

const byHistogram = (s: Step) => s.holds;
const byDelay = (s: Step) => s.holdsByDelay;
/** The largest count held below the first that failed. */
function largest(steps: Step[], held: (s: Step) => boolean): number {
  const failed = steps.find((s) => !held(s))?.streams ?? Infinity;
  return steps.filter((s) => held(s) && s.streams < failed).at(-1)?.streams ?? 0;
}
const why = (steps: Step[], max: number, held: (s: Step) => boolean) => {
  const failed = steps.find((s) => !held(s));
  if (!failed) {
    const top = steps.at(-1)?.streams ?? 0;
    return top === max ? `the configured ceiling: pool sizes ≤ ${max}` : 'the largest step tried';
  }
  const busy = failed.serverCores + failed.generatorCores + Math.max(0, failed.otherCores);
  const generator =
    failed.generatorLagP99Ms > LAG_LIMIT_MS || failed.skippedTicks > 0
      ? `, the generator itself late (lag p99 ${fmt(failed.generatorLagP99Ms, 0)} ms, ${failed.skippedTicks} beats skipped)`
      : '';
  return (
    `${failed.streams} failed: lag p99 ≤ ${fmt(failed.lagP99Ms, 0)} ms (histogram), ${fmt(failed.delayP99Ms, 1)} ms ` +
    `(monitorEventLoopDelay), ${fmt(failed.received * 100, 1)} % of frames, ` +
    `${failed.failures} calls lost${generator}; machine ${fmt(busy, 2)} of ${navigator.hardwareConcurrency} cores busy ` +
    `(server ${fmt(failed.serverCores, 2)}, generator ${fmt(failed.generatorCores, 2)}, other ${fmt(failed.otherCores, 2)})`
  );
};
process.stdout.write(
  `\n* estimated from the server's /proc/PID/io rchar ÷ ${WIRE_BYTES_PER_FRAME} bytes a frame ` +
    `(on the bare server this estimate was ${rcharCheck.map((r) => fmt(r * 100, 1)).join(', ')} % of its own count).\n` +
    '† a server did not hold that count (event loop saturated): the ratio is not a per-stream cost there.\n' +
    "lag p99 (bucket): the server's 100 ms-timer lag histogram over the window (rtvoice_event_loop_lag_seconds; " +
    'the bare server samples the same way), as its bucket bound; mELD p99: monitorEventLoopDelay (10 ms resolution) over the window, less its 10 ms interval.\n' +
    "other cores: the machine's busy time (/proc/stat) less server and generator: other processes, and kernel time for the loopback traffic that no process is charged.\n" +
    `Largest stream count with every frame received, no call lost and lag p99 ≤ ${LAG_LIMIT_MS} ms\n` +
    " - by the 100 ms-timer histogram (the project's rtvoice_event_loop_lag_seconds):\n" +
    `  rtvoice: ${largest(rtvoice, byHistogram)} (${why(rtvoice, RTVOICE_MAX_STREAMS, byHistogram)})\n` +
    `  bare ws: ${largest(bare, byHistogram)} (${why(bare, Infinity, byHistogram)})\n` +
    ' - by monitorEventLoopDelay:\n' +
    `  rtvoice: ${largest(rtvoice, byDelay)} (${why(rtvoice, RTVOICE_MAX_STREAMS, byDelay)})\n` +
    `  bare ws: ${largest(bare, byDelay)} (${why(bare, Infinity, byDelay)})\n` +
    `Idle (no stream): rtvoice ${fmt(idleCores.get('rtvoice') ?? NaN, 3)} cores, bare ws ${fmt(idleCores.get('bare ws') ?? NaN, 3)} cores.\n` +
    `Total run ${fmt((performance.now() - started) / 1000, 0)} s.\n`,
);
