import { setTimeout as sleep } from 'node:timers/promises';
import { context, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { withLogContext } from '../../../src/telemetry/log-context.ts';
import { tracer } from '../../../src/telemetry/tracing.ts';
import { capturingLogger } from '../../helpers/server.ts';

describe('logger', () => {
  it('writes JSON lines with the session and call of the async context, without passing them', async () => {
    const { log, lines } = capturingLogger();
    const handleFrame = async () => {
      await sleep(5);
      log.info('frame handled');
    };
    await withLogContext({ session_id: 's-1', call_connection_id: 'call-1' }, handleFrame);
    log.info('outside');
    const [inside, outside] = lines();
    expect(inside).toMatchObject({
      level: 'info',
      msg: 'frame handled',
      session_id: 's-1',
      call_connection_id: 'call-1',
    });
    expect(outside).not.toHaveProperty('session_id');
  });

  it('nests contexts, the inner adding to the outer', () => {
    const { log, lines } = capturingLogger();
    withLogContext({ session_id: 's-2' }, () =>
      withLogContext({ call_connection_id: 'c-2' }, () => log.info('x')),
    );
    expect(lines()[0]).toMatchObject({ session_id: 's-2', call_connection_id: 'c-2' });
  });

  it('adds the active span trace and span ids', () => {
    const { log, lines } = capturingLogger();
    const span = tracer().startSpan('turn');
    const ids = span.spanContext();
    context.with(trace.setSpan(context.active(), span), () => log.info('in span'));
    span.end();
    expect(ids.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(lines()[0]).toMatchObject({ trace_id: ids.traceId, span_id: ids.spanId });
  });

  it('redacts secrets wherever they appear', () => {
    const { log, lines } = capturingLogger();
    log.info(
      { password: 'p1', azure: { apiKey: 'k1' }, req: { headers: { authorization: 'Bearer t1' } } },
      'secrets',
    );
    const text = JSON.stringify(lines()[0]);
    for (const secret of ['p1', 'k1', 'Bearer t1']) expect(text).not.toContain(secret);
    expect(text).toContain('[redacted]');
  });
});
