// The baseline of bench/capacity.ts: a bare `ws` server doing the least any ACS media server must do with
// each message — JSON.parse it and base64-decode its audio — and nothing else: no reply, no session, no
// validation, no logging. Prints `listening PORT`; GET /metrics gives its counters and event-loop lag in
// the Prometheus text format, measured exactly as rtvoice measures its own.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { WebSocketServer, type RawData } from 'ws';

/** rtvoice's lag buckets and sampling (src/telemetry/metrics.ts), so the two figures compare. */
const LAG_BUCKETS = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1];
const LAG_SAMPLE_INTERVAL_MS = 100;

const lagCounts = new Array<number>(LAG_BUCKETS.length + 1).fill(0);
let expected = performance.now() + LAG_SAMPLE_INTERVAL_MS;
setInterval(() => {
  const now = performance.now();
  const lag = Math.max(0, now - expected) / 1000;
  const bucket = LAG_BUCKETS.findIndex((le) => lag <= le);
  lagCounts[bucket < 0 ? LAG_BUCKETS.length : bucket]! += 1;
  expected = now + LAG_SAMPLE_INTERVAL_MS;
}, LAG_SAMPLE_INTERVAL_MS);
// prom-client's nodejs_eventloop_lag_p99_seconds in rtvoice: the same histogram, reset at every scrape.
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();

let frames = 0;
let samples = 0;
let connections = 0;

function metrics(): string {
  let cumulative = 0;
  const buckets = LAG_BUCKETS.map((le, i) => {
    cumulative += lagCounts[i]!;
    return `bare_event_loop_lag_seconds_bucket{le="${le}"} ${cumulative}`;
  });
  cumulative += lagCounts[LAG_BUCKETS.length]!;
  const lines = [
    ...buckets,
    `bare_event_loop_lag_seconds_bucket{le="+Inf"} ${cumulative}`,
    `nodejs_eventloop_lag_p99_seconds ${delay.percentile(99) / 1e9}`,
    `bare_frames_total ${frames}`,
    `bare_samples_total ${samples}`,
    `bare_connections ${connections}`,
  ];
  delay.reset();
  return `${lines.join('\n')}\n`;
}

const http = createServer((request, response) => {
  if (request.url !== '/metrics') return void response.writeHead(404).end();
  response.writeHead(200, { 'content-type': 'text/plain' }).end(metrics());
});

const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
wss.on('connection', (socket) => {
  connections += 1;
  socket.on('message', (data: RawData, isBinary: boolean) => {
    if (isBinary || !Buffer.isBuffer(data)) return;
    const message = JSON.parse(data.toString('utf8')) as { audioData?: { data?: unknown } };
    const audio = message.audioData?.data;
    if (typeof audio !== 'string') return; // AudioMetadata
    const pcm = Buffer.from(audio, 'base64');
    frames += 1;
    samples += pcm.length >> 1;
  });
  socket.on('error', () => undefined);
  socket.on('close', () => (connections -= 1));
});

http.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${(http.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
