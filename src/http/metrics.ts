import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { BatonError } from '../core/errors.js';
import type { RefreshResult } from '../core/refresh.js';

/** The Prometheus metrics of one server. */
export interface Metrics {
  readonly registry: Registry;
  /** Runs a refresh (`run`) for `face`, counting its outcome and timing it. */
  refresh(face: string, run: () => Promise<RefreshResult>): Promise<RefreshResult>;
}

/** Creates the registry: refreshes by face and outcome, latency, reuse detections, process. */
export function createMetrics(): Metrics {
  const registry = new Registry();
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

  return {
    registry,
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
        latency.observe({ face }, Number(process.hrtime.bigint() - started) / 1e9);
      }
    },
  };
}
