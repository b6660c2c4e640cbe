import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import fastifyWebsocket from '@fastify/websocket';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  fastify,
  LogController,
  type FastifyBaseLogger,
  type RawServerDefault,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { VERSION } from '../version.ts';
import { healthRoutes } from './routes/health.ts';
import { infoRoutes } from './routes/info.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { realtimeRoutes } from './routes/realtime.ts';
import { schemaRoutes } from './routes/schemas.ts';
import { sessionRoutes } from './routes/sessions.ts';
import { agentRoutes } from './routes/agents.ts';
import { mediaRoutes } from './routes/media.ts';
import { callRoutes } from './routes/calls.ts';
import type { Services } from './services.ts';
import { isWebSocketUpgrade, traceHttpRequests } from './http-tracing.ts';
import { enforceAccessPolicy, type RouteAccess } from './access-policy.ts';

export type App = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/** Adds routes of the embedding application (or a test) to the app before it listens. */
export type AppExtension = (app: App, services: Services) => void | Promise<void>;

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route and who may use it, as enforced. */
    readonly routeAccess: readonly RouteAccess[];
  }
}

const MAX_WS_MESSAGE_BYTES = 1 << 20;
const DOCS_PREFIX = '/docs';

/** Assembles the Fastify application from its services; `listen` is the caller's job. */
export async function buildApp(services: Services, extend?: AppExtension): Promise<App> {
  // Typed as Fastify's logger so the app's type does not depend on pino's.
  const loggerInstance: FastifyBaseLogger = services.log;
  const app = fastify({
    loggerInstance,
    // Our onResponse hook logs each request once, at a level that keeps probes quiet.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1 << 20,
    // By the time Fastify closes, sessions have been drained; whatever socket is left is cut.
    forceCloseConnections: true,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(replyWithError);
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      statusCode: 404,
      error: 'Not Found',
      message: `No route ${request.method} ${request.url.split('?')[0]}; see /docs for the API.`,
    }),
  );

  traceHttpRequests(app, services);
  // Before the WebSocket plugin, which takes the handlers of WebSocket routes as they register.
  // The API's description is public (the plugin's routes declare nothing): each route guards what it serves.
  const thirdParty = services.config.server.enableDocs ? [DOCS_PREFIX] : [];
  app.decorate('routeAccess', enforceAccessPolicy(app, services, { publicUnder: thirdParty }));

  // Sessions are drained before Fastify closes (RunningServer.close); the plugin then closes what is left.
  await app.register(fastifyWebsocket, { options: { maxPayload: MAX_WS_MESSAGE_BYTES } });
  // After the plugin: its own hook marks upgrade requests, so a refused one has its socket closed.
  refuseUpgradesAtCapacity(app, services);

  if (services.config.server.enableDocs) {
    await app.register(fastifySwagger, {
      openapi: {
        info: { title: 'rtvoice', description: 'Real-time voice agent server', version: VERSION },
      },
      transform: jsonSchemaTransform,
    });
    await app.register(fastifySwaggerUi, { routePrefix: DOCS_PREFIX });
  }

  await app.register(healthRoutes, { services });
  await app.register(metricsRoutes, { services });
  await app.register(infoRoutes, { services });
  await app.register(sessionRoutes, { services });
  await app.register(schemaRoutes);
  await app.register(realtimeRoutes, { services });
  await app.register(agentRoutes, { services });
  await app.register(mediaRoutes, { services });
  await app.register(callRoutes, { services });
  // Only a real promise is awaited: an extension written as `(app) => app.get(...)` returns the app,
  // which is thenable and would deadlock start-up.
  const extended = extend?.(app, services);
  if (extended instanceof Promise) await extended;
  return app;
}

/** Client errors keep their message; server errors are logged and answered without internals. */
function replyWithError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const status = error.statusCode !== undefined && error.statusCode >= 400 ? error.statusCode : 500;
  if (status >= 500) request.log.error({ err: error }, 'request failed');
  return reply.code(status).send({
    statusCode: status,
    error: STATUS_CODES[status] ?? 'Error',
    ...(status < 500 && error.code ? { code: error.code } : {}),
    message: status < 500 ? error.message : 'internal error; the server log has the details',
  });
}

/** While draining, or at MAX_CONNECTIONS, a WebSocket upgrade gets HTTP 503 before any socket is accepted. */
function refuseUpgradesAtCapacity(app: App, { connections, config }: Services): void {
  app.addHook('onRequest', (request, reply, done) => {
    if (!isWebSocketUpgrade(request) || connections.admit()) return done();
    void reply
      .code(503)
      .header('retry-after', '5')
      .send({
        statusCode: 503,
        error: 'Service Unavailable',
        message: connections.isDraining
          ? 'this instance is shutting down; connect to another instance'
          : `this instance holds its maximum of ${config.connections.maxConnections} connections; retry or use another instance`,
      });
  });
}
