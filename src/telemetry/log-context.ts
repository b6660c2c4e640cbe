import { AsyncLocalStorage } from 'node:async_hooks';

/** Correlation fields every log line inside a session or call carries, without call sites passing them. */
export interface LogContext {
  readonly session_id?: string;
  readonly call_connection_id?: string;
  readonly [field: string]: string | undefined;
}

const storage = new AsyncLocalStorage<LogContext>();

/** Runs `fn` (and everything it starts asynchronously) with these fields added to the current context. */
export function withLogContext<T>(fields: LogContext, fn: () => T): T {
  return storage.run({ ...storage.getStore(), ...fields }, fn);
}

export function currentLogContext(): LogContext | undefined {
  return storage.getStore();
}
