import type { ChatMessage, SessionRecord } from './session.ts';

const SECRET_KEY = /(password|passcode|secret|token|api[_-]?key|ssn|social_security|authorization|pin)$/i;
const REDACTED = '[redacted]';

/** A session as shown over HTTP: secrets and anything marked `sensitive: true` replaced, latency summarised. */
export function sessionView(id: string, record: SessionRecord) {
  const { latency, ...context } = record.corememory;
  return {
    id,
    version: record.version,
    updated_at: new Date(record.updated_at).toISOString(),
    context: redact(context) as Record<string, unknown>,
    histories: Object.fromEntries(
      Object.entries(record.chat_history).map(([agent, messages]) => [agent, messages.map(redactMessage)]),
    ),
    latency: summariseLatency(latency),
  };
}

function redactMessage(message: ChatMessage): ChatMessage {
  return message.meta?.['sensitive'] === true ? { ...message, content: REDACTED } : message;
}

function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value === null || typeof value !== 'object') return value;
  if ((value as Record<string, unknown>)['sensitive'] === true) return REDACTED;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [key, SECRET_KEY.test(key) ? REDACTED : redact(inner)]),
  );
}

export interface StageSummary {
  readonly count: number;
  readonly avg_ms: number;
  readonly min_ms: number;
  readonly max_ms: number;
  readonly p95_ms: number;
}

/** Per stage: how many samples and their spread, from the capped samples the MemoManager keeps. */
export function summariseLatency(latency: unknown): Record<string, StageSummary> {
  if (latency === null || typeof latency !== 'object') return {};
  const summary: Record<string, StageSummary> = {};
  for (const [stage, samples] of Object.entries(latency as Record<string, unknown>)) {
    if (!Array.isArray(samples)) continue;
    const values = samples.filter((v): v is number => typeof v === 'number').sort((a, b) => a - b);
    if (values.length === 0) continue;
    const round = (n: number) => Math.round(n * 10) / 10;
    summary[stage] = {
      count: values.length,
      avg_ms: round(values.reduce((a, b) => a + b, 0) / values.length),
      min_ms: round(values[0]!),
      max_ms: round(values.at(-1)!),
      p95_ms: round(values[Math.min(values.length - 1, Math.ceil(values.length * 0.95) - 1)]!),
    };
  }
  return summary;
}
