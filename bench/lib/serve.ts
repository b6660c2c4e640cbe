import { setTimeout as sleep } from 'node:timers/promises';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

export interface Served {
  readonly child: ChildProcess;
  /** http://127.0.0.1:PORT */
  readonly url: string;
}

/** Starts `rtvoice serve` in its own process (so its event loop is its own) and waits until it listens. */
export async function serve(env: Record<string, string>, logFile?: string): Promise<Served> {
  const child = spawn(process.execPath, ['bin/rtvoice.js', 'serve'], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_FORMAT: 'json', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });

  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  for (let next = await lines.next(); !next.done; next = await lines.next()) {
    const entry = JSON.parse(next.value) as { msg: string; url?: string };
    if (entry.msg !== 'rtvoice is listening') continue;
    // Keep reading its log (a full pipe would stall the server); errors are shown.
    void (async () => {
      for (let line = await lines.next(); !line.done; line = await lines.next()) {
        if (logFile) appendFileSync(logFile, `${line.value}\n`);
        if (/"level":(50|60)/.test(line.value)) process.stderr.write(`server: ${line.value}\n`);
      }
    })();
    return { child, url: entry.url! };
  }
  throw new Error('rtvoice serve exited before listening');
}

/** Resolves once the server's readiness checks pass (warm pools loaded). */
export async function ready(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const reply = await fetch(`${url}/api/v1/readiness`).catch(() => undefined);
    if (reply?.ok) return;
    await sleep(200);
  }
  throw new Error(`${url} did not become ready in ${timeoutMs} ms`);
}

export const rssMiB = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

/** CPU seconds (user + system) a process has used, from /proc. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** An upper bound of a Prometheus histogram's quantile: the smallest bucket holding that share of samples. */
export async function histogramQuantile(
  url: string,
  metric: string,
  q: number,
  labels = '',
): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const buckets = [
    ...text.matchAll(
      new RegExp(`^${metric}_bucket\\{${labels}${labels ? ',' : ''}le="([^"]+)"\\} (\\d+)`, 'gm'),
    ),
  ].map((m) => ({ le: m[1] === '+Inf' ? Infinity : Number(m[1]), count: Number(m[2]) }));
  const total = buckets.at(-1)?.count ?? 0;
  return buckets.find((b) => b.count >= q * total)?.le ?? Number.NaN;
}
