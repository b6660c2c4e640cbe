import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { SessionStore } from './session-store.ts';
import {
  EMPTY_SESSION,
  SessionStateError,
  TRANSCRIPT_THREAD,
  assertSessionId,
  type ChatMessage,
  type ChatRole,
  type SessionContent,
  type SessionRecord,
} from './session.ts';

/** How much history a prompt keeps: the system prompt always, then the latest messages within both limits. */
export interface HistoryBudget {
  readonly maxMessages: number;
  readonly maxChars: number;
}

export interface MemoOptions {
  readonly budget: HistoryBudget;
  readonly log: Logger;
  /** Changes waiting for the store at most; past it the oldest are dropped, each drop logged as an error. */
  readonly maxPendingChanges?: number;
  readonly observer?: { persisted(ms: number): void; failed(): void; dropped(count: number): void };
}

/** One change to a session, kept until the store has it, so it can be re-applied over another writer's. */
type Change =
  | { readonly type: 'append'; readonly agent: string; readonly message: ChatMessage }
  | { readonly type: 'system'; readonly agent: string; readonly prompt: string }
  | { readonly type: 'context'; readonly key: string; readonly value: unknown }
  | { readonly type: 'truncate'; readonly turn: number; readonly heardChars: number };

const DEFAULT_AGENT = 'default';
/** How long one persist keeps retrying compare-and-set conflicts before it gives up (and retries later). */
const CONFLICT_BUDGET_MS = 10_000;
const MAX_LATENCY_SAMPLES = 200;
const RETRY_BASE_MS = 100;
const RETRY_MAX_MS = 5_000;

/**
 * A session's memory (the seed's MemoManager): per-agent chat histories and a core-memory context. Reads
 * are local; changes are recorded and written to the store with compare-and-set, re-applied over whatever
 * another writer stored meanwhile, so concurrent writers never lose each other's updates. When the store
 * is down, changes wait (bounded) and are written when it returns.
 */
export class MemoManager {
  readonly sessionId: string;
  private readonly store: SessionStore;
  private readonly options: MemoOptions;
  /** What the store had at the last load or save. */
  private base: SessionRecord;
  private pending: Change[] = [];
  /** `base` with the pending changes applied: what this session looks like now. */
  private view: SessionRecord;
  private persisting: Promise<void> | undefined;
  private dirtyWhilePersisting = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  /** How much of each recently cut turn the caller heard, for messages of it recorded after the cut. */
  private readonly heardLimits = new Map<number, number>();

  private constructor(sessionId: string, store: SessionStore, base: SessionRecord, options: MemoOptions) {
    this.sessionId = sessionId;
    this.store = store;
    this.options = options;
    this.base = base;
    this.view = base;
  }

  /** Loads the session, or starts an empty one when the store has none. */
  static async load(sessionId: string, store: SessionStore, options: MemoOptions): Promise<MemoManager> {
    assertSessionId(sessionId);
    return new MemoManager(sessionId, store, (await store.load(sessionId)) ?? EMPTY_SESSION, options);
  }

  get version(): number {
    return this.base.version;
  }

  /** Changes not yet in the store. */
  get unsaved(): number {
    return this.pending.length;
  }

  getContext<T = unknown>(key: string): T | undefined {
    return this.view.corememory[key] as T | undefined;
  }

  context(): Readonly<Record<string, unknown>> {
    return this.view.corememory;
  }

  /** Sets a core-memory value; undefined removes it. */
  setContext(key: string, value: unknown): void {
    this.change({ type: 'context', key, value });
  }

  updateSlots(slots: Readonly<Record<string, unknown>>): void {
    this.setContext('slots', { ...(this.getContext<Record<string, unknown>>('slots') ?? {}), ...slots });
  }

  persistToolOutput(tool: string, output: unknown): void {
    this.setContext('tool_outputs', {
      ...(this.getContext<Record<string, unknown>>('tool_outputs') ?? {}),
      [tool]: output,
    });
  }

  /** Records a latency sample (capped at the latest 200 per stage). */
  addLatencySample(stage: string, ms: number): void {
    const latency = this.getContext<Record<string, number[]>>('latency') ?? {};
    this.setContext('latency', {
      ...latency,
      [stage]: [...(latency[stage] ?? []), ms].slice(-MAX_LATENCY_SAMPLES),
    });
  }

  /** Puts the agent's system prompt first in its thread, replacing an older one. */
  ensureSystemPrompt(agent: string, prompt: string): void {
    const first = this.history(agent)[0];
    if (first?.role === 'system' && first.content === prompt) return;
    this.change({ type: 'system', agent, prompt });
  }

  appendToHistory(
    agent: string | undefined,
    role: ChatRole,
    content: string,
    meta?: ChatMessage['meta'],
  ): void {
    this.appendMessage(agent ?? DEFAULT_AGENT, { role, content, ...(meta ? { meta } : {}) });
  }

  /** A spoken message of a turn already cut by barge-in (an LLM stream recorded after the cut) is cut too. */
  appendMessage(agent: string, message: ChatMessage): void {
    const turn = message.meta?.turn;
    const heard = typeof turn === 'number' ? this.heardLimits.get(turn) : undefined;
    const kept = heard === undefined ? message : truncateMessage(message, turn as number, heard);
    if (kept) this.change({ type: 'append', agent, message: kept });
  }

  /**
   * Keeps of a turn's spoken text only what the caller heard. Spoken messages carry `meta.turn` and
   * `meta.spoken_from` (their offset in the turn's spoken text, which may span agents after a handoff);
   * the part from `heardChars` on is cut, at a word boundary, and the message marked `interrupted`.
   */
  truncateSpoken(turn: number, heardChars: number): void {
    const heard = Math.min(this.heardLimits.get(turn) ?? Infinity, Math.max(0, Math.floor(heardChars)));
    this.heardLimits.set(turn, heard);
    for (const earlier of this.heardLimits.keys()) if (earlier < turn - 8) this.heardLimits.delete(earlier);
    this.change({ type: 'truncate', turn, heardChars: heard });
  }

  /** How much of a recent turn's spoken text the caller heard before interrupting; undefined: all of it. */
  heardOf(turn: number): number | undefined {
    return this.heardLimits.get(turn);
  }

  /** The agent's thread as the prompt should see it (trimmed to the budget). */
  history(agent = DEFAULT_AGENT): readonly ChatMessage[] {
    return this.view.chat_history[agent] ?? [];
  }

  agents(): string[] {
    return Object.keys(this.view.chat_history);
  }

  /**
   * Writes pending changes now. On a version conflict it reloads, re-applies its changes on top and tries
   * again. Rejects when the store fails; the changes stay pending for the next attempt.
   */
  async persist(): Promise<void> {
    if (this.persisting) {
      this.dirtyWhilePersisting = true;
      return this.persisting;
    }
    this.persisting = this.writePending().finally(() => (this.persisting = undefined));
    await this.persisting;
    if (this.dirtyWhilePersisting) {
      this.dirtyWhilePersisting = false;
      await this.persist();
    }
  }

  /**
   * Write-behind, off the audio path: persists in the background and retries with backoff until the
   * store takes the changes. Failures are counted and logged, never thrown.
   */
  schedulePersist(): void {
    if (this.retryTimer) return; // a retry is already due and will carry these changes
    this.persist().then(
      () => (this.failures = 0),
      (err: unknown) => {
        this.failures += 1;
        this.options.observer?.failed();
        const delay = Math.min(RETRY_BASE_MS * 2 ** (this.failures - 1), RETRY_MAX_MS);
        this.options.log.warn(
          {
            session_id: this.sessionId,
            err: errorMessage(err),
            unsaved: this.pending.length,
            retry_ms: delay,
          },
          'session not persisted; will retry',
        );
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.schedulePersist();
        }, delay);
        this.retryTimer.unref();
      },
    );
  }

  /** Resolves once nothing is pending (or rejects after `timeoutMs`); for call teardown and shutdown. */
  async flush(timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.pending.length > 0) {
      try {
        await this.persist();
      } catch (err) {
        if (Date.now() >= deadline) throw err;
        await sleep(RETRY_BASE_MS);
      }
    }
  }

  /** Stops background retries (the session is over and flushed, or abandoned). */
  dispose(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private change(change: Change): void {
    this.pending.push(change);
    const limit = this.options.maxPendingChanges ?? 10_000;
    if (this.pending.length > limit) {
      const dropped = this.pending.splice(0, this.pending.length - limit);
      this.options.observer?.dropped(dropped.length);
      this.options.log.error(
        { session_id: this.sessionId, dropped: dropped.length },
        'session changes dropped: the store has been unavailable too long',
      );
    }
    this.view = { ...this.base, ...applyChanges(this.view, [change], this.options.budget) };
  }

  private async writePending(): Promise<void> {
    const deadline = Date.now() + CONFLICT_BUDGET_MS;
    for (let attempt = 1; this.pending.length > 0; attempt += 1) {
      const started = performance.now();
      const writing = this.pending.slice();
      const content = applyChanges(this.base, writing, this.options.budget);
      const result = await this.store.save(this.sessionId, content, this.base.version);
      if (result.saved) {
        this.base = { ...content, version: result.version, updated_at: Date.now() };
        this.pending = this.pending.slice(writing.length);
        this.view = { ...this.base, ...applyChanges(this.base, this.pending, this.options.budget) };
        this.options.observer?.persisted(performance.now() - started);
        continue;
      }
      if (Date.now() > deadline) {
        throw new SessionStateError(
          'SESSION_CONFLICT',
          `session ${this.sessionId} kept changing under us (${attempt} attempts)`,
        );
      }
      // Another writer saved first: start from what it stored and re-apply our changes on top. When the
      // store has lost the session (Redis restarted empty), what we last knew is the best base there is.
      this.base = result.current ?? { ...this.base, version: 0 };
      this.view = { ...this.base, ...applyChanges(this.base, this.pending, this.options.budget) };
      // A writer busy on the same session wins while it is busy; back off a little between tries.
      if (attempt > 2) await sleep(Math.random() * Math.min(attempt, 20));
    }
  }
}

/** `record` with `changes` applied and every thread trimmed to the budget. */
function applyChanges(
  record: SessionContent,
  changes: readonly Change[],
  budget: HistoryBudget,
): SessionContent {
  const corememory: Record<string, unknown> = { ...record.corememory };
  const threads: Record<string, ChatMessage[]> = {};
  const thread = (agent: string) => (threads[agent] ??= [...(record.chat_history[agent] ?? [])]);
  for (const change of changes) {
    if (change.type === 'context') {
      if (change.value === undefined) delete corememory[change.key];
      else corememory[change.key] = change.value;
    } else if (change.type === 'append') {
      thread(change.agent).push(change.message);
    } else if (change.type === 'truncate') {
      for (const agent of new Set([...Object.keys(record.chat_history), ...Object.keys(threads)])) {
        const messages = thread(agent);
        for (let i = messages.length - 1; i >= 0; i -= 1) {
          const kept = truncateMessage(messages[i]!, change.turn, change.heardChars);
          if (kept === messages[i]) continue;
          if (kept) messages[i] = kept;
          else messages.splice(i, 1);
        }
      }
    } else {
      const messages = thread(change.agent);
      const system: ChatMessage = { role: 'system', content: change.prompt };
      if (messages[0]?.role === 'system') messages[0] = system;
      else messages.unshift(system);
    }
  }
  const chat_history: Record<string, readonly ChatMessage[]> = { ...record.chat_history };
  for (const [agent, messages] of Object.entries(threads))
    chat_history[agent] = agent === TRANSCRIPT_THREAD ? messages : trim(messages, budget);
  return { corememory, chat_history };
}

/** A spoken message of `turn` cut to what was heard; the same object when untouched, undefined when unheard. */
function truncateMessage(message: ChatMessage, turn: number, heardChars: number): ChatMessage | undefined {
  const from = message.meta?.spoken_from;
  if (message.meta?.turn !== turn || typeof from !== 'number') return message;
  if (from + message.content.length <= heardChars) return message;
  const heard = heardChars <= from ? '' : cutAtWord(message.content, heardChars - from);
  if (!heard && !message.tool_calls) return undefined;
  return { ...message, content: heard, meta: { ...message.meta, interrupted: true } };
}

/** The text up to `chars`, without a half-spoken last word. */
export function cutAtWord(text: string, chars: number): string {
  if (chars >= text.length) return text;
  const cut = text.slice(0, chars);
  const wordEnds = /\s/.test(text[chars]!) ? cut : cut.replace(/\S*$/, '');
  return wordEnds.trimEnd();
}

/** Keeps the system prompt and the latest messages that fit both the message and the character budget. */
export function trim(messages: readonly ChatMessage[], budget: HistoryBudget): ChatMessage[] {
  const system = messages[0]?.role === 'system' ? messages[0] : undefined;
  const rest = system ? messages.slice(1) : messages;
  const kept: ChatMessage[] = [];
  let chars = 0;
  for (let i = rest.length - 1; i >= 0 && kept.length < budget.maxMessages; i -= 1) {
    chars += rest[i]!.content.length;
    if (chars > budget.maxChars && kept.length > 0) break;
    kept.push(rest[i]!);
  }
  kept.reverse();
  return system ? [system, ...kept] : kept;
}
