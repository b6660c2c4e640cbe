import { RtvoiceError } from '../errors.ts';

export type ChatRole = 'system' | 'user' | 'assistant' | 'tool';

export interface ToolCallRecord {
  readonly id: string;
  readonly name: string;
  /** JSON text, as the model wrote it. */
  readonly arguments: string;
}

/**
 * The thread a transcribed call's words are kept in (transcription mode, listen-only): a record of the
 * call, not a prompt, so the history budget does not trim it.
 */
export const TRANSCRIPT_THREAD = 'transcript';

export interface ChatMessage {
  readonly role: ChatRole;
  readonly content: string;
  /** Tool name (tool messages) or agent name. */
  readonly name?: string;
  readonly tool_call_id?: string;
  /** The tool calls an assistant message makes (the LLM's function calling). */
  readonly tool_calls?: readonly ToolCallRecord[];
  /** Anything else about the message: `interrupted`, timestamps, tool arguments. */
  readonly meta?: Readonly<Record<string, unknown>>;
}

/**
 * A session as stored. The layout matches the seed's Redis hash `session:{id}`: `corememory` (context,
 * slots, tool outputs, latency) and `chat_history` (one thread per agent), plus a `version` for
 * compare-and-set.
 */
export interface SessionRecord {
  readonly version: number;
  readonly updated_at: number;
  readonly corememory: Readonly<Record<string, unknown>>;
  readonly chat_history: Readonly<Record<string, readonly ChatMessage[]>>;
}

export type SessionContent = Pick<SessionRecord, 'corememory' | 'chat_history'>;

export const EMPTY_SESSION: SessionRecord = { version: 0, updated_at: 0, corememory: {}, chat_history: {} };

/** A stored session may not grow past this (serialised), so one runaway session cannot exhaust Redis. */
export const MAX_SESSION_BYTES = 1 << 20;

export class SessionStateError extends RtvoiceError {}

/** Session and call ids become Redis keys: 1-128 characters of letters, digits and `_ . : -`. */
export const SESSION_ID = /^[A-Za-z0-9_.:-]{1,128}$/;
export const SESSION_ID_RULE = '1-128 letters, digits, "_", ".", ":" or "-"';

export function assertSessionId(id: string, what = 'session id'): string {
  if (!SESSION_ID.test(id)) {
    throw new SessionStateError(
      'INVALID_SESSION_ID',
      `${what} must be ${SESSION_ID_RULE}; got ${JSON.stringify(id.slice(0, 40))}`,
    );
  }
  return id;
}

/** Serialises a session's content, refusing one that is too large to store. */
export function serialiseContent(content: SessionContent): { corememory: string; chat_history: string } {
  const serialised = {
    corememory: JSON.stringify(content.corememory),
    chat_history: JSON.stringify(content.chat_history),
  };
  const bytes = Buffer.byteLength(serialised.corememory) + Buffer.byteLength(serialised.chat_history);
  if (bytes > MAX_SESSION_BYTES) {
    throw new SessionStateError(
      'SESSION_TOO_LARGE',
      `session state of ${bytes} bytes exceeds the ${MAX_SESSION_BYTES}-byte limit; trim its history or context`,
    );
  }
  return serialised;
}
