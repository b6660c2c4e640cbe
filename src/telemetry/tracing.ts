import { context, propagation, trace, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { urlUnder } from '../url.ts';

export interface TracingOptions {
  readonly serviceName: string;
  readonly version: string;
  /** OTLP/HTTP collector base URL; spans are recorded (for log correlation) but exported only when set. */
  readonly otlpEndpoint?: string | undefined;
  /** Extra processors, e.g. an in-memory exporter in tests. */
  readonly spanProcessors?: readonly SpanProcessor[];
}

let provider: TracerProvider | undefined;

/**
 * Sets up OpenTelemetry once per process. Spans always get real ids, so logs correlate even with no
 * collector; the OTLP exporter is added only when an endpoint is configured.
 */
export function initTracing(options: TracingOptions): void {
  if (provider) return;
  const processors: SpanProcessor[] = [...(options.spanProcessors ?? [])];
  if (options.otlpEndpoint) {
    const url = urlUnder(options.otlpEndpoint, 'v1/traces');
    processors.push(new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: url.toString() }) }));
  }
  provider = new TracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: options.serviceName,
      [ATTR_SERVICE_VERSION]: options.version,
    }),
    spanProcessors: processors,
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
}

/** Exports what is buffered and stops tracing; safe to call when tracing was never set up. */
export async function shutdownTracing(): Promise<void> {
  await provider?.shutdown();
}

export function tracer(): Tracer {
  return trace.getTracer('rtvoice');
}
