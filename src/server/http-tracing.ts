import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Span,
} from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { tracer } from '../telemetry/tracing.ts';
import type { Services } from './services.ts';

/** Probes polled every few seconds: logged at debug so they do not drown the log. */
const PROBE_ROUTES = new Set(['/api/v1/health', '/api/v1/readiness', '/metrics']);

const requestSpans = new WeakMap<FastifyRequest, Span>();

export const isWebSocketUpgrade = (request: FastifyRequest) =>
  request.headers.upgrade?.toLowerCase() === 'websocket';

/**
 * One SERVER span per HTTP request, continuing the caller's trace (W3C traceparent), active while the
 * route runs so its log lines carry the trace id; plus request counters and a completion log line.
 * WebSocket upgrades get their span when the socket is accepted instead.
 */
export function traceHttpRequests(app: FastifyInstance, { metrics }: Services): void {
  app.addHook('onRequest', (request, _reply, done) => {
    if (isWebSocketUpgrade(request)) return done();
    const route = request.routeOptions.url ?? 'unmatched';
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    const span = tracer().startSpan(
      `${request.method} ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': request.method,
          'http.route': route,
          'url.path': request.url.split('?')[0],
        },
      },
      parent,
    );
    requestSpans.set(request, span);
    // The rest of the request lifecycle runs inside `done`, so it inherits the span as the active context.
    context.with(trace.setSpan(parent, span), done);
  });

  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    metrics.httpRequests.inc({ method: request.method, route, status });
    metrics.httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    const span = requestSpans.get(request);
    if (span) {
      span.setAttribute('http.response.status_code', status);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
    const level = PROBE_ROUTES.has(route) ? 'debug' : 'info';
    request.log[level](
      { method: request.method, url: request.url, status, ms: Math.round(reply.elapsedTime) },
      'request completed',
    );
    done();
  });
}
