import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
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
    LOG_LEVEL: 'info',
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

/**
 * Starts the real CLI, `rtvoice serve`, and waits until it listens or exits. `wrap` runs it inside another
 * command (which must exec it, so the pid stays the server's), e.g. `hidingSpeechLibraries()`.
 */
export async function startServeCli(
  env: Record<string, string>,
  wrap: readonly string[] = [],
): Promise<ServeResult> {
  const [command, ...args] = [...wrap, process.execPath, 'bin/rtvoice.js', 'serve'];
  const child = spawn(command, args, { env: serveEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
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
      if (entry['msg'] === 'rtvoice is listening') url = entry['url'] as string;
      // Written right after listening: once it is here, the server is serving.
      if (String(entry['msg']).startsWith('exposure:')) resolve();
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

/** The Debian speech stack's files: every flite and pocketsphinx library and the acoustic models. */
const SPEECH_LIBRARIES = /^lib(flite|pocketsphinx|sphinxbase)[\w.]*\.so\.\d+$/;
const SPEECH_DATA = '/usr/share/pocketsphinx';

/**
 * A command prefix that runs the server in its own mount namespace where the speech libraries are
 * /dev/null and the models an empty directory: they exist but cannot be loaded. Needs root (unshare);
 * undefined, with the reason, where it cannot run.
 */
export function hidingSpeechLibraries(): { wrap: string[] } | { reason: string } {
  if (process.getuid?.() !== 0) return { reason: 'hiding libraries needs root (unshare --mount)' };
  const dir = `/usr/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`;
  const libraries = readdirSync(dir).filter((name) => SPEECH_LIBRARIES.test(name));
  const mounts = [
    ...libraries.map((name) => `mount --bind /dev/null ${dir}/${name}`),
    `mount -t tmpfs none ${SPEECH_DATA}`,
  ];
  return {
    wrap: [
      'unshare',
      '--mount',
      '--propagation',
      'private',
      'sh',
      '-c',
      `${mounts.join(' && ')} && exec "$@"`,
      'sh',
    ],
  };
}
