import { ConfigError, describeConfig, loadConfig, type Config } from '../config/config.ts';
import { startServer } from '../server/server.ts';
import { createLogger, type Logger } from '../telemetry/logger.ts';
import { initTracing, shutdownTracing } from '../telemetry/tracing.ts';
import { VERSION } from '../version.ts';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** `rtvoice serve`: runs until SIGTERM or SIGINT, then shuts down gracefully and exits 0. */
export async function serve(): Promise<number | void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 2;
  }
  initTracing({
    serviceName: config.telemetry.serviceName,
    version: VERSION,
    otlpEndpoint: config.telemetry.otlpEndpoint,
  });
  const log = createLogger({
    level: config.log.level,
    format: config.log.format,
    production: config.env === 'production',
  });
  watchProcessFailures(log);
  log.info({ version: VERSION, node: process.version, config: describeConfig(config) }, 'starting rtvoice');
  if (config.auth.mode === 'none' && !LOOPBACK.has(config.server.host)) {
    log.warn(
      { host: config.server.host },
      'listening beyond loopback with AUTH_MODE=none: anyone who reaches this port can watch sessions; set AUTH_MODE=apikey or HOST=127.0.0.1',
    );
  }

  if (config.redis.url && !config.auth.sessionTokenSecret) {
    log.warn(
      'SESSION_TOKEN_SECRET is unset: session tokens from this instance are not accepted by the others',
    );
  }
  const server = await startServer(config, log);
  log.info(
    { url: server.url, docs: config.server.enableDocs ? `${server.url}/docs` : undefined },
    'rtvoice is listening',
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting without waiting for sessions');
      process.exit(1);
    }
    stopping = true;
    log.info(
      { signal, graceMs: config.server.shutdownGraceMs },
      'shutting down: refusing new sessions, letting active ones finish',
    );
    server
      .close()
      .then(shutdownTracing)
      .then(
        () => {
          log.info('shutdown complete');
          log.flush(() => process.exit(0));
        },
        (err: unknown) => {
          log.error({ err }, 'shutdown failed');
          log.flush(() => process.exit(1));
        },
      );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/** A stray rejection is a bug to log, not a reason to drop every call; an uncaught exception leaves unknown state. */
function watchProcessFailures(log: Logger): void {
  process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled promise rejection'));
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception; exiting');
    log.flush(() => process.exit(1));
  });
}
