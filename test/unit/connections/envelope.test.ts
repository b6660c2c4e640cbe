import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Envelope, envelope, envelopeJsonSchema } from '../../../src/connections/envelope.ts';

describe('envelopes', () => {
  it('builds the seed-compatible shape', () => {
    const built = envelope(
      'user_transcript',
      { sessionId: 's-1', callId: 'c-1', sender: 'STT' },
      { text: 'hello' },
    );
    expect(built).toMatchObject({
      type: 'user_transcript',
      topic: 'session',
      session_id: 's-1',
      call_id: 'c-1',
      sender: 'STT',
      payload: { text: 'hello' },
    });
    expect(Date.parse(built.ts)).toBeGreaterThan(0);
  });

  it('refuses an envelope without a session or with an unknown type', () => {
    expect(() => envelope('status', { sessionId: '' }, {})).toThrow();
    expect(
      Envelope.safeParse({
        type: 'gossip',
        topic: 't',
        session_id: 's',
        sender: 'x',
        ts: new Date().toISOString(),
        payload: {},
      }).success,
    ).toBe(false);
  });

  it('publishes the JSON Schema in docs/, identical to what the server serves', () => {
    const published = JSON.parse(
      readFileSync(new URL('../../../docs/envelope.schema.json', import.meta.url), 'utf8'),
    ) as unknown;
    expect(published).toEqual(envelopeJsonSchema());
  });
});
