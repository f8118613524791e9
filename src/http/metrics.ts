import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { BatonError, type Clock, type RefreshResult } from '../core/index.js';
import { createRefreshStats, type RefreshStats } from './refresh-stats.js';

/** The Prometheus metrics of one server. */
export interface Metrics {
  readonly registry: Registry;
  /** The last hour of refresh outcomes and reuse detections, per minute (`GET /admin/stats`). */
  readonly stats: RefreshStats;
  /** Runs a refresh (`run`) for `face`, counting its outcome and timing it. */
  refresh(face: string, run: () => Promise<RefreshResult>): Promise<RefreshResult>;
  /** Counts an answered request by route pattern (`unmatched` for none), method and status. */
  request(route: string, method: string, status: number): void;
  /** Counts the error behind an answer: rate-limit rejections by budget, store outages. */
  error(error: BatonError): void;
  /** Counts a security event by type. */
  securityEvent(type: string): void;
  /** Sets the sampled number of live sessions. */
  liveSessions(count: number): void;
}

/**
 * Creates the registry: refreshes by face and outcome, latency, reuse detections, process; and
 * the per-minute stats of the last hour, on `clock` (the wall clock by default).
 */
export function createMetrics(options: { clock?: Clock } = {}): Metrics {
  const registry = new Registry();
  const stats = createRefreshStats(options.clock);
  collectDefaultMetrics({ register: registry, prefix: 'baton_' });
  const refreshes = new Counter({
    name: 'baton_refresh_total',
    help: 'Refreshes by face and outcome (rotated, replayed, or the failure reason).',
    labelNames: ['face', 'outcome'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'baton_refresh_duration_seconds',
    help: 'Time to answer a refresh inside Baton, in seconds.',
    labelNames: ['face'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });
  const reuse = new Counter({
    name: 'baton_refresh_token_reuse_total',
    help: 'Refresh tokens presented again after rotation: each revoked its session.',
    labelNames: ['face'],
    registers: [registry],
  });

  const requests = new Counter({
    name: 'baton_http_requests_total',
    help: 'HTTP requests answered, by route pattern, method and status.',
    labelNames: ['route', 'method', 'status'],
    registers: [registry],
  });
  const limited = new Counter({
    name: 'baton_rate_limited_total',
    help: 'Requests answered 429, by the budget that was spent (refresh, session, client_auth, admin, revoke).',
    labelNames: ['budget'],
    registers: [registry],
  });
  const storeErrors = new Counter({
    name: 'baton_store_errors_total',
    help: 'Requests answered 503 because the store could not be reached or could not commit.',
    registers: [registry],
  });
  const events = new Counter({
    name: 'baton_security_events_total',
    help: 'Security events recorded by this instance, by type.',
    labelNames: ['type'],
    registers: [registry],
  });
  const live = new Gauge({
    name: 'baton_live_sessions',
    help: 'Sessions neither revoked, expired nor idle, as the sweeper last counted them (every 5 minutes).',
    registers: [registry],
  });

  return {
    registry,
    stats,
    request(route, method, status) {
      requests.inc({ route, method, status });
    },
    error(error) {
      if (error.code === 'ERR_RATE_LIMITED') limited.inc({ budget: error.detail ?? 'unknown' });
      else if (error.code === 'ERR_STORE_UNAVAILABLE') storeErrors.inc();
    },
    securityEvent(type) {
      events.inc({ type });
      if (type === 'refresh_token.reused') stats.reuseDetected();
    },
    liveSessions(count) {
      live.set(count);
    },
    async refresh(face, run) {
      const started = process.hrtime.bigint();
      let outcome = 'internal';
      try {
        const result = await run();
        outcome = result.replayed ? 'replayed' : 'rotated';
        return result;
      } catch (error) {
        if (error instanceof BatonError) {
          outcome = error.reason;
          if (error.code === 'ERR_REFRESH_TOKEN_REUSED') reuse.inc({ face });
        }
        throw error;
      } finally {
        refreshes.inc({ face, outcome });
        stats.refresh(outcome);
        latency.observe({ face }, Number(process.hrtime.bigint() - started) / 1e9);
      }
    },
  };
}
