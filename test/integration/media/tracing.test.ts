import { setTimeout as sleep } from 'node:timers/promises';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { expect, it } from 'vitest';
import { initTracing } from '../../../src/telemetry/tracing.ts';
import { callerSpeech, exchange, newCaller, startMediaServer } from '../../helpers/media.ts';
import { until } from '../../helpers/wait.ts';

// First in this process: the spans of the call are kept in memory for the test to read.
const exporter = new InMemorySpanExporter();
initTracing({
  serviceName: 'rtvoice-test',
  version: 'test',
  spanProcessors: [new SimpleSpanProcessor({ exporter })],
});

it('traces a call as a tree: call → turn → stt / agent / tts, agent → tool, with the session and call ids', async () => {
  const server = await startMediaServer();
  try {
    const sessionId = `trace-${Date.now()}`;
    const caller = newCaller(server, { sessionId, callId: `call-${sessionId}` });
    expect(await caller.connect()).toBe(true);
    await caller.waitForAgentSpeech({ timeoutMs: 5000 });
    await caller.waitForAgentSilence({ silenceMs: 700, timeoutMs: 15_000 });
    await exchange(caller, await callerSpeech('Bob Martinez.'));
    caller.sendDtmf('94105#');
    await caller.waitForAgentSpeech({ timeoutMs: 5000 });
    await caller.hangup();
    await until(() => exporter.getFinishedSpans().some((s) => s.name === 'call'), 5000);

    await sleep(300); // the last turn ends as the call closes
    const spans = exporter.getFinishedSpans();
    if (process.env.DEBUG_SPANS)
      for (const s of spans) console.log(s.name, s.spanContext().spanId, s.parentSpanContext?.spanId);
    const call = spans.find((s) => s.name === 'call')!;
    expect(call.attributes).toMatchObject({
      'session.id': sessionId,
      'call.connection.id': `call-${sessionId}`,
    });
    const children = (parent: ReadableSpan) =>
      spans.filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId);
    const turns = children(call).filter((s) => s.name.startsWith('turn'));
    expect(turns.map((t) => t.name)).toEqual(expect.arrayContaining(['turn.greeting', 'turn']));
    for (const turn of turns) expect(turn.attributes['session.id']).toBe(sessionId);

    const spoken = turns.find((t) => children(t).some((c) => c.name === 'stt'))!;
    expect(spoken).toBeDefined();
    const parts = children(spoken).map((s) => s.name);
    expect(parts).toEqual(expect.arrayContaining(['stt', 'agent.turn', 'tts']));
    const keypad = turns.find((t) => children(t).some((c) => children(c).some((g) => g.name === 'tool')));
    const tool =
      keypad &&
      children(keypad)
        .flatMap(children)
        .find((s) => s.name === 'tool');
    expect(tool?.attributes).toMatchObject({ 'tool.name': 'authenticate_caller', 'tool.ok': true });
  } finally {
    await server.close();
  }
}, 60_000);
