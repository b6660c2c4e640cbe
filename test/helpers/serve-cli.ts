import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

/** Variables a developer's shell may set that would change what the tests start. */
const SERVER_VARIABLES = ['HOST', 'AUTH_MODE', 'API_KEYS', 'NODE_ENV', 'ALLOW_UNAUTHENTICATED_REMOTE'];

/** The environment of a `rtvoice serve` under test: JSON logs, a free port, no Redis, no warm pools. */
export function serveEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = { ...process.env };
  for (const name of SERVER_VARIABLES) delete base[name];
  return {
    ...base,
    PORT: '0',
    LOG_FORMAT: 'json',
    REDIS_URL: '',
    STT_POOL_WARM: '0',
    TTS_POOL_WARM: '0',
    ...env,
  };
}

export interface ServeResult {
  readonly child: ChildProcess;
  /** Every JSON log line so far. */
  readonly lines: Record<string, unknown>[];
  /** The URL it listens on; undefined when it exited first. */
  readonly url: string | undefined;
  readonly stderr: () => string;
  /** Exit code once it exited (start-up refused, or after `stop`). */
  readonly exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

/** Starts the real CLI, `rtvoice serve`, and waits until it listens or exits. */
export async function startServeCli(env: Record<string, string>): Promise<ServeResult> {
  const child = spawn(process.execPath, ['bin/rtvoice.js', 'serve'], {
    env: serveEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const lines: Record<string, unknown>[] = [];
  let url: string | undefined;
  const reader = createInterface({ input: child.stdout });
  await new Promise<void>((resolve) => {
    reader.on('line', (line) => {
      const entry = JSON.parse(line) as Record<string, unknown>;
      lines.push(entry);
      if (entry['msg'] === 'rtvoice is listening') {
        url = entry['url'] as string;
        // The lines written right after listening (exposure, readiness problems) come in the same tick.
        setTimeout(resolve, 100);
      }
    });
    void exited.then(() => resolve());
  });
  return {
    child,
    lines,
    url,
    stderr: () => stderr,
    exited,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** The local address a TCP port listens on, from /proc/net/tcp and tcp6 (e.g. 127.0.0.1 or 0.0.0.0). */
export function listeningAddress(port: number): string | undefined {
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (!local || state !== '0A') continue; // 0A: LISTEN
      const [hexAddress, hexPort] = local.split(':');
      if (parseInt(hexPort!, 16) !== port) continue;
      if (hexAddress!.length === 8) {
        return (hexAddress!.match(/../g) ?? [])
          .map((byte) => parseInt(byte, 16))
          .reverse()
          .join('.');
      }
      return hexAddress === '0'.repeat(32) ? '::' : `ipv6:${hexAddress}`;
    }
  }
  return undefined;
}
