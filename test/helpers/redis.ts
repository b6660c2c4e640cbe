import { setTimeout as sleep } from 'node:timers/promises';
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../../src/free-port.ts';
import { createClient } from 'redis';

/** A Redis the integration tests can use, or the reason there is none. */
export type TestRedis = { url: string; stop(): Promise<void> } | { skipReason: string };

/**
 * REDIS_URL when it is set and answers; otherwise a redis-server started on a free port (stopped by `stop`).
 * With no Redis at all the tests are skipped with a printed reason, except under CI=true, where that fails.
 */
export async function startTestRedis(): Promise<TestRedis> {
  const configured = process.env['REDIS_URL'];
  if (configured && (await answers(configured))) return { url: configured, stop: async () => {} };
  try {
    return await spawnRedisServer();
  } catch (err) {
    const reason = `no Redis for integration tests: ${configured ? `REDIS_URL=${configured} does not answer and ` : ''}${String(err)}. Install it with: apt-get install -y redis-server`;
    if (process.env['CI'] === 'true') throw new Error(reason, { cause: err });
    console.warn(`SKIPPED: ${reason}`);
    return { skipReason: reason };
  }
}

async function answers(url: string): Promise<boolean> {
  const client = createClient({ url, socket: { connectTimeout: 500, reconnectStrategy: false } });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
    return true;
  } catch {
    return false;
  } finally {
    if (client.isOpen) client.destroy();
  }
}

export { freePort };

/** A redis-server of the test's own on `port` (a free one by default), for tests that stop and restart it. */
export async function spawnRedisServer(
  port?: number,
): Promise<{ url: string; port: number; stop(): Promise<void>; freeze(): void }> {
  port ??= await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const spawnFailed = new Promise<never>((_, reject) => child.once('error', reject));
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 5_000;
  while (!(await Promise.race([answers(url), spawnFailed]))) {
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server on port ${port} did not answer within 5 s`);
    }
    await sleep(50);
  }
  return {
    url,
    port,
    /** Stops the process: it keeps its connections open and answers nothing, like a hung server. */
    freeze: () => child.kill('SIGSTOP'),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}
