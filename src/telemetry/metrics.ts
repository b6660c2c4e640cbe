import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { PoolMetrics } from '../pools/pool-metrics.ts';

/** Lag buckets in seconds: the event loop should stay well under 20 ms on the audio path. */
const LAG_BUCKETS = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1];
const LAG_SAMPLE_INTERVAL_MS = 100;

/**
 * The Prometheus registry of one rtvoice server and the series the foundation owns. Other modules register
 * their own series on `registry`.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'rtvoice_http_requests_total',
    help: 'HTTP requests answered, by method, route and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'rtvoice_http_request_duration_seconds',
    help: 'Time to answer an HTTP request.',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });

  readonly wsOpened = new Counter({
    name: 'rtvoice_ws_connections_opened_total',
    help: 'WebSocket connections accepted, by route.',
    labelNames: ['route'] as const,
    registers: [this.registry],
  });

  readonly wsActive = new Gauge({
    name: 'rtvoice_ws_connections_active',
    help: 'WebSocket connections open now, by route.',
    labelNames: ['route'] as const,
    registers: [this.registry],
  });

  readonly authFailures = new Counter({
    name: 'rtvoice_auth_failures_total',
    help: 'Requests refused by the access policy, by route and reason (missing, unknown_key, bad_token, unsupported, forbidden).',
    labelNames: ['route', 'reason'] as const,
    registers: [this.registry],
  });

  readonly eventLoopLag = new Histogram({
    name: 'rtvoice_event_loop_lag_seconds',
    help: `How late a ${LAG_SAMPLE_INTERVAL_MS} ms timer fired: the delay any callback waits for the event loop.`,
    buckets: LAG_BUCKETS,
    registers: [this.registry],
  });

  readonly pools = new PoolMetrics(this.registry);

  readonly turnLatency = new Histogram({
    name: 'rtvoice_turn_latency_seconds',
    help: 'Per-turn latencies by stage: eou_delay_ms, stt_final_ms, agent_first_text_ms, tts_first_audio_ms, voice_to_voice_ms, barge_in_stop_ms, greeting_ttfb_ms (in seconds).',
    labelNames: ['stage'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 5],
    registers: [this.registry],
  });

  readonly mediaBadMessages = new Counter({
    name: 'rtvoice_media_bad_messages_total',
    help: 'Malformed messages from media sockets, by transport and reason (each logged with its session id).',
    labelNames: ['transport', 'reason'] as const,
    registers: [this.registry],
  });

  private lagTimer: NodeJS.Timeout | undefined;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Starts sampling event-loop lag; the timer does not keep the process alive. */
  start(): void {
    if (this.lagTimer) return;
    let expected = performance.now() + LAG_SAMPLE_INTERVAL_MS;
    this.lagTimer = setInterval(() => {
      const now = performance.now();
      this.eventLoopLag.observe(Math.max(0, now - expected) / 1000);
      expected = now + LAG_SAMPLE_INTERVAL_MS;
    }, LAG_SAMPLE_INTERVAL_MS).unref();
  }

  stop(): void {
    clearInterval(this.lagTimer);
    this.lagTimer = undefined;
  }
}
