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
import { sessionRoutes } from './routes/sessions.ts';
import type { Services } from './services.ts';
import { traceHttpRequests } from './http-tracing.ts';

export type App = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/** Adds routes of the embedding application (or a test) to the app before it listens. */
export type AppExtension = (app: App, services: Services) => void | Promise<void>;

const MAX_WS_MESSAGE_BYTES = 1 << 20;

/** Assembles the Fastify application from its services; `listen` is the caller's job. */
export async function buildApp(services: Services, extend?: AppExtension): Promise<App> {
  // Typed as Fastify's logger so the app's type does not depend on pino's.
  const loggerInstance: FastifyBaseLogger = services.log;
  const app = fastify({
    loggerInstance,
    // Our onResponse hook logs each request once, at a level that keeps probes quiet.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1 << 20,
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

  await app.register(fastifyWebsocket, {
    options: { maxPayload: MAX_WS_MESSAGE_BYTES },
    // Let sessions finish within the grace period instead of cutting every call at once.
    preClose: async function (this: FastifyInstance) {
      const { closedByServer } = await services.connections.drain(services.config.server.shutdownGraceMs);
      if (closedByServer > 0)
        services.log.warn({ closedByServer }, 'closed sessions still open after the grace period');
      this.websocketServer.close();
    },
  });

  if (services.config.server.enableDocs) {
    await app.register(fastifySwagger, {
      openapi: {
        info: { title: 'rtvoice', description: 'Real-time voice agent server', version: VERSION },
      },
      transform: jsonSchemaTransform,
    });
    await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  }

  await app.register(healthRoutes, { services });
  await app.register(metricsRoutes, { services });
  await app.register(infoRoutes, { services });
  await app.register(sessionRoutes, { services });
  await extend?.(app, services);
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
