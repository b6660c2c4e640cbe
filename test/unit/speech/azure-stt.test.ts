import { describe, expect, it } from 'vitest';
import { AzureStt, type SdkResult, type SdkSession } from '../../../src/speech/stt/azure.ts';
import type { SttResult } from '../../../src/speech/types.ts';

/** Stands in for the Speech SDK at the adapter's boundary: the test plays the service's events. */
class FakeSession implements SdkSession {
  partial: (result: SdkResult) => void = () => {};
  final: (result: SdkResult) => void = () => {};
  canceled: (details: string) => void = () => {};
  written = 0;
  closed = false;
  phrases: (readonly string[])[] = [];
  onPartial(listener: (result: SdkResult) => void): void {
    this.partial = listener;
  }
  onFinal(listener: (result: SdkResult) => void): void {
    this.final = listener;
  }
  onCanceled(listener: (details: string) => void): void {
    this.canceled = listener;
  }
  start(): Promise<void> {
    return Promise.resolve();
  }
  write(audio: ArrayBuffer): void {
    this.written += audio.byteLength;
  }
  close(): void {
    this.closed = true;
  }
  usePhrases(phrases: readonly string[]): void {
    this.phrases.push(phrases);
  }
}

const ticks = (ms: number) => ms * 10_000;
const detailed = (confidence: number) => JSON.stringify({ NBest: [{ Confidence: confidence }] });

async function openWith(flushWaitMs = 200) {
  const session = new FakeSession();
  const stt = new AzureStt({ session: async () => session, flushWaitMs });
  return { session, recognizer: await stt.open() };
}

describe('AzureStt adapter (Speech SDK boundary)', () => {
  it('passes audio bytes through, emits partials and gathers finals at flush with confidence and offsets', async () => {
    const { session, recognizer } = await openWith();
    const partials: string[] = [];
    recognizer.on('partial', (text) => partials.push(text));
    recognizer.write(new Int16Array(320));
    expect(session.written).toBe(640);
    session.partial({ text: 'my claim', offset: ticks(500), duration: ticks(400) });
    session.final({
      text: 'My claim number is 42.',
      offset: ticks(500),
      duration: ticks(1500),
      json: detailed(0.9),
    });
    const result = await recognizer.flush();
    expect(partials).toEqual(['my claim']);
    expect(result).toEqual<SttResult>({
      text: 'My claim number is 42.',
      confidence: 0.9,
      startMs: 500,
      endMs: 2000,
    });
  });

  it('waits for speech in flight to be finalised', async () => {
    const { session, recognizer } = await openWith(1000);
    session.partial({ text: 'yes that', offset: 0, duration: ticks(300) });
    setTimeout(
      () =>
        session.final({ text: 'Yes, that is right.', offset: 0, duration: ticks(900), json: detailed(0.8) }),
      30,
    );
    const started = performance.now();
    expect((await recognizer.flush()).text).toBe('Yes, that is right.');
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('falls back to the partial (confidence 0) when the service does not finalise in time', async () => {
    const { session, recognizer } = await openWith(50);
    session.final({ text: 'Hello.', offset: 0, duration: ticks(400), json: detailed(0.95) });
    session.partial({ text: 'I want to', offset: ticks(600), duration: ticks(300) });
    const result = await recognizer.flush();
    expect(result.text).toBe('Hello. I want to');
    expect(result.confidence).toBeCloseTo(0.475);
    expect((await recognizer.flush()).text).toBe('');
  });

  it('turns a service cancellation into an error event and a closed recognizer', async () => {
    const { session, recognizer } = await openWith();
    const errors: Error[] = [];
    recognizer.on('error', (err) => errors.push(err));
    session.canceled('WebSocket upgrade failed: Authentication error (401)');
    expect(errors[0]?.message).toMatch(/Authentication error/);
    expect(recognizer.closed).toBe(true);
    expect(session.closed).toBe(true);
    await expect(recognizer.flush()).rejects.toThrow(/closed/);
  });

  it('refuses to start without credentials or a region', () => {
    expect(() => new AzureStt({ region: 'eastus' })).toThrow(/AZURE_SPEECH_KEY/);
    expect(() => new AzureStt({ key: 'k' })).toThrow(/AZURE_SPEECH_REGION/);
  });
});

describe('AzureStt with the real Speech SDK', () => {
  it('reports a service it cannot reach when opening, instead of handing out a dead recognizer', async () => {
    // A closed port on this machine: the SDK's connection fails at once (no service is reachable here).
    const stt = new AzureStt({
      key: 'k',
      endpoint: 'ws://127.0.0.1:9/speech/recognition/conversation/cognitiveservices/v1',
    });
    await expect(stt.open()).rejects.toThrow(/Azure STT could not start/);
  });

  it("makes a question's phrases the service's phrase list, and lifts them with the next hints", async () => {
    const session = new FakeSession();
    const stt = new AzureStt({ session: async () => session });
    const recognizer = await stt.open({ phrases: ['a tree fell on my car'] });
    recognizer.expect({ grammar: '#JSGF V1.0; grammar g; public <g> = yes | no;' });
    recognizer.expect({ phrases: Array.from({ length: 600 }, (_, i) => `phrase ${i}`) });
    expect(session.phrases.map((list) => list.length)).toEqual([1, 0, 500]);
    expect(session.phrases[0]).toEqual(['a tree fell on my car']);
  });
});
