import type { VoiceLiveConfig } from '../../config/config.ts';
import { errorMessage } from '../../errors.ts';
import type { Logger } from '../../telemetry/logger.ts';
import { RealtimeService } from './realtime-service.ts';

/** After a failed connection, the pool tries again this much later (the service may be down). */
const RETRY_MS = 2000;

/**
 * Realtime service sessions connected ahead (VOICE_LIVE_POOL_WARM), so a call's greeting does not wait
 * for the service's handshake. A call takes a ready session, or connects one when none is; the pool
 * refills in the background, drops sessions the service closed while they waited, and retries later
 * when the service refuses.
 */
export class RealtimeSessionPool {
  private readonly config: VoiceLiveConfig;
  private readonly size: number;
  private readonly log: Logger;
  private readonly ready: RealtimeService[] = [];
  private connecting = 0;
  private retry: NodeJS.Timeout | undefined;
  private readonly lifetime = new AbortController();
  private readonly entraToken: (() => Promise<string>) | undefined;

  /** `entraToken`: bearer tokens for a service reached with Entra ID (VOICE_LIVE_AUTH entra). */
  constructor(config: VoiceLiveConfig, size: number, log: Logger, entraToken?: () => Promise<string>) {
    this.config = config;
    this.size = size;
    this.log = log.child({ component: 'voice-live-pool' });
    this.entraToken = entraToken;
  }

  /** Sessions connected and waiting for a call. */
  get available(): number {
    return this.ready.filter((session) => session.open).length;
  }

  start(): void {
    this.fill();
  }

  /** A connected session: one made ahead when there is one, else a new one. */
  take(signal: AbortSignal): Promise<RealtimeService> {
    for (let session = this.ready.shift(); session; session = this.ready.shift()) {
      if (!session.open) continue;
      this.fill();
      return Promise.resolve(session);
    }
    this.fill();
    return this.connect(signal);
  }

  close(): void {
    this.lifetime.abort();
    clearTimeout(this.retry);
    for (const session of this.ready.splice(0)) session.close();
  }

  private connect(signal: AbortSignal): Promise<RealtimeService> {
    return RealtimeService.connect(this.config, signal, this.entraToken);
  }

  private fill(): void {
    while (!this.lifetime.signal.aborted && this.ready.length + this.connecting < this.size) {
      this.connecting += 1;
      this.connect(this.lifetime.signal).then(
        (session) => {
          this.connecting -= 1;
          if (this.lifetime.signal.aborted) return session.close();
          this.ready.push(session);
          // A session the service closes while it waits is dropped, and replaced.
          void session.closed.then(() => {
            const index = this.ready.indexOf(session);
            if (index < 0) return;
            this.ready.splice(index, 1);
            this.fill();
          });
        },
        (err: unknown) => {
          this.connecting -= 1;
          if (this.lifetime.signal.aborted) return;
          this.log.warn(
            { err: errorMessage(err), retry_ms: RETRY_MS },
            'voice live session not connected ahead',
          );
          clearTimeout(this.retry);
          this.retry = setTimeout(() => this.fill(), RETRY_MS);
          this.retry.unref();
        },
      );
    }
  }
}
