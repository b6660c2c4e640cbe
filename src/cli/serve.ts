import { AgentConfigError } from '../agents/yaml-file.ts';
import { ConfigError, describeConfig, isLoopback, loadConfig, type Config } from '../config/config.ts';
import { startServer, type RunningServer } from '../server/server.ts';
import { createLogger, type Logger } from '../telemetry/logger.ts';
import { initTracing, shutdownTracing } from '../telemetry/tracing.ts';
import { VERSION } from '../version.ts';

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
  if (config.redis.url && !config.auth.sessionTokenSecret) {
    log.warn(
      'SESSION_TOKEN_SECRET is unset: session tokens from this instance are not accepted by the others',
    );
  }
  let server: RunningServer;
  try {
    server = await startServer(config, log);
  } catch (err) {
    if (!(err instanceof AgentConfigError)) throw err;
    process.stderr.write(
      `rtvoice: the agents (AGENTS_DIR=${config.agents.dir}) cannot be loaded:\n  ${err.message}\n` +
        'Fix them (docs/AGENTS.md describes the format) and start again.\n',
    );
    return 2;
  }
  log.info(
    { url: server.url, docs: config.server.enableDocs ? `${server.url}/docs` : undefined },
    'rtvoice is listening',
  );
  const exposure = describeExposure(config, server);
  log[exposure.risky ? 'warn' : 'info'](exposure.line);

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

/** Who can reach this server and what they need, in one line. */
function describeExposure(config: Config, server: RunningServer): { line: string; risky: boolean } {
  const { host } = config.server;
  const where = isLoopback(host)
    ? `this machine only (${server.url})`
    : `any machine that can reach ${['0.0.0.0', '::'].includes(host) ? 'this host on any interface' : host} (port ${new URL(server.url).port})`;
  if (config.auth.mode === 'none') {
    return isLoopback(host)
      ? {
          line: `exposure: ${where}, without authentication (AUTH_MODE=none); to serve other machines set AUTH_MODE=apikey and API_KEYS`,
          risky: false,
        }
      : {
          line: `exposure: ${where}, WITHOUT authentication (ALLOW_UNAUTHENTICATED_REMOTE=true): anyone who reaches the port can read and delete every conversation`,
          risky: true,
        };
  }
  const open = new Set(
    server.app.routeAccess
      .filter((route) => route.rule === 'public')
      .map((route) => (route.url.startsWith('/docs') ? '/docs' : route.url)),
  );
  const credentials = config.auth.mode === 'apikey' ? 'API keys or session tokens' : 'session tokens';
  return {
    line: `exposure: ${where}; ${credentials} required everywhere but ${[...open].join(', ')}`,
    risky: false,
  };
}

/** A stray rejection is a bug to log, not a reason to drop every call; an uncaught exception leaves unknown state. */
function watchProcessFailures(log: Logger): void {
  process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled promise rejection'));
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception; exiting');
    log.flush(() => process.exit(1));
  });
}
