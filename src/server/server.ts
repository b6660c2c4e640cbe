import type { Config } from '../config/config.ts';
import type { Logger } from '../telemetry/logger.ts';
import { buildApp, type App, type AppExtension } from './app.ts';
import {
  closeServices,
  createServices,
  startServices,
  type ServiceOptions,
  type Services,
} from './services.ts';

export interface RunningServer {
  readonly app: App;
  readonly services: Services;
  /** Base URL the server listens on, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  /**
   * Graceful stop: refuses new sessions (HTTP 503 on upgrade, readiness 503), lets open sessions finish
   * for up to SHUTDOWN_GRACE_MS, closes every connection left with 1001, stops the HTTP server, then
   * releases every service.
   */
  close(): Promise<void>;
}

export async function startServer(
  config: Config,
  log: Logger,
  extend?: AppExtension,
  options?: ServiceOptions,
): Promise<RunningServer> {
  const services = await createServices(config, log, options);
  startServices(services);
  const app = await buildApp(services, extend);
  try {
    await app.listen({ host: config.server.host, port: config.server.port });
  } catch (err) {
    await closeServices(services);
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.server.port;
  const host = ['0.0.0.0', '::'].includes(config.server.host) ? '127.0.0.1' : config.server.host;
  let closing: Promise<void> | undefined;
  return {
    app,
    services,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      (closing ??= (async () => {
        const { closedByServer } = await services.connections.drain(config.server.shutdownGraceMs);
        if (closedByServer > 0)
          log.warn({ closedByServer }, 'closed connections still open after the grace period');
        await app.close();
        await closeServices(services);
      })()),
  };
}
