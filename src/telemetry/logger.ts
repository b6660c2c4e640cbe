import { isSpanContextValid, trace } from '@opentelemetry/api';
import { pino, type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { currentLogContext } from './log-context.ts';

export type { Logger } from 'pino';

export interface LoggerOptions {
  readonly level: string;
  /** `auto` is pretty on a terminal unless in production. */
  readonly format: 'auto' | 'json' | 'pretty';
  readonly production?: boolean;
  /** Where lines go; standard output by default. Tests pass a stream they can read. */
  readonly destination?: DestinationStream;
}

/** Field names whose values never reach a log line, wherever they appear. */
const REDACTED_PATHS = [
  'password',
  'apiKey',
  'api_key',
  'token',
  'secret',
  'authorization',
  '*.password',
  '*.apiKey',
  '*.api_key',
  '*.token',
  '*.secret',
  '*.authorization',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers["ocp-apim-subscription-key"]',
];

/**
 * The process logger: one JSON object per line (or pretty text on a terminal). Each line carries the
 * session and call ids of the async context it was written in, and the active span's trace and span ids.
 */
export function createLogger(options: LoggerOptions): Logger {
  const prettyOutput =
    options.format === 'pretty' || (options.format === 'auto' && !options.production && process.stdout.isTTY);
  const destination =
    options.destination ??
    (prettyOutput ? pretty({ colorize: true, sync: true }) : pino.destination({ sync: false }));
  return pino(
    {
      level: options.level,
      base: { pid: process.pid },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: correlationFields,
    },
    destination,
  );
}

function correlationFields(): Record<string, string | undefined> {
  const span = trace.getActiveSpan()?.spanContext();
  const traced = span !== undefined && isSpanContextValid(span);
  return {
    ...currentLogContext(),
    ...(traced ? { trace_id: span.traceId, span_id: span.spanId } : {}),
  };
}
