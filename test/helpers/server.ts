import { Writable } from 'node:stream';
import { loadConfig, type Config } from '../../src/config/config.ts';
import { createLogger, type Logger } from '../../src/telemetry/logger.ts';
import { initTracing } from '../../src/telemetry/tracing.ts';

/** A configuration for tests: loopback, a free port, no .env file, no warm recognizers, plus any overrides. */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    env: {
      HOST: '127.0.0.1',
      PORT: '0',
      NODE_ENV: 'test',
      STT_POOL_WARM: '0',
      TTS_POOL_WARM: '0',
      ...env,
    },
    envFile: null,
  });
}

/** A logger whose JSON lines the test can read back. */
export function capturingLogger(level = 'debug'): { log: Logger; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  initTracing({ serviceName: 'rtvoice-test', version: 'test' });
  const log = createLogger({ level, format: 'json', destination });
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { log, lines };
}
