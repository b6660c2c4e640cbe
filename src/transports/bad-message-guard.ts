import type { Logger } from '../telemetry/logger.ts';

/** Bad messages logged per call in full; after that, every hundredth (all are counted). */
const LOGGED_BAD_MESSAGES = 5;

/**
 * Counts malformed messages: each is counted (`count`, for Prometheus) and logged with the session id, the
 * call goes on, and only a run of more than `max` bad messages in a row closes the socket.
 */
export class BadMessageGuard {
  private consecutive = 0;
  private total = 0;
  private readonly options: {
    readonly max: number;
    readonly log: Logger;
    readonly count: (reason: string) => void;
    readonly close: (reason: string) => void;
  };

  constructor(options: BadMessageGuard['options']) {
    this.options = options;
  }

  bad(reason: string, detail: string): void {
    const { log, max, count } = this.options;
    this.consecutive += 1;
    this.total += 1;
    count(reason);
    if (this.total <= LOGGED_BAD_MESSAGES || this.total % 100 === 0) {
      log.warn(
        { reason, detail: detail.slice(0, 200), bad_messages: this.total },
        'bad media message ignored',
      );
    }
    if (this.consecutive > max) {
      this.options.close(`${this.consecutive} malformed messages in a row (last: ${reason})`);
    }
  }

  good(): void {
    this.consecutive = 0;
  }
}
