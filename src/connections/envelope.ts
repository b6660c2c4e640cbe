import { z } from 'zod';

export const ENVELOPE_TYPES = [
  'status',
  'event',
  'assistant_streaming',
  'user_transcript',
  'assistant_transcript',
  'tool_start',
  'tool_progress',
  'tool_end',
  'metrics',
  'error',
  'session_end',
] as const;

/**
 * Everything sent to dashboards and browser clients, compatible with the seed's envelope:
 * `{type, topic, session_id, call_id?, user_id?, sender, ts, payload}`.
 */
export const Envelope = z.object({
  type: z.enum(ENVELOPE_TYPES),
  topic: z.string().min(1).max(64),
  session_id: z.string().min(1).max(128),
  call_id: z.string().max(128).optional(),
  user_id: z.string().max(128).optional(),
  sender: z.string().min(1).max(64),
  ts: z.iso.datetime(),
  payload: z.record(z.string(), z.unknown()),
});
export type Envelope = z.infer<typeof Envelope>;
export type EnvelopeType = (typeof ENVELOPE_TYPES)[number];

export interface EnvelopeScope {
  readonly sessionId: string;
  readonly callId?: string | undefined;
  readonly userId?: string | undefined;
  readonly topic?: string;
  readonly sender?: string;
}

/** Builds a valid envelope; the session id is required, so nothing is ever broadcast unscoped. */
export function envelope(
  type: EnvelopeType,
  scope: EnvelopeScope,
  payload: Record<string, unknown>,
): Envelope {
  return Envelope.parse({
    type,
    topic: scope.topic ?? 'session',
    session_id: scope.sessionId,
    ...(scope.callId ? { call_id: scope.callId } : {}),
    ...(scope.userId ? { user_id: scope.userId } : {}),
    sender: scope.sender ?? 'System',
    ts: new Date().toISOString(),
    payload,
  });
}

/** The JSON Schema of envelopes, served at /api/v1/schemas/envelopes and copied into docs/. */
export function envelopeJsonSchema(): Record<string, unknown> {
  return {
    $id: 'urn:rtvoice:schema:envelope',
    title: 'rtvoice envelope',
    ...z.toJSONSchema(Envelope),
  };
}
