import type { FastifyInstance } from 'fastify';
import type { TokenService } from '../core/index.js';
import { createApp, type AppOptions } from './app.js';
import { createMetrics } from './metrics.js';

/** Milliseconds between two counts of the live sessions for `baton_live_sessions`. */
export const LIVE_SAMPLE_INTERVAL_MS = 5 * 60_000;

/** Options of {@link startServer}. */
export interface ServerOptions extends AppOptions {
  host: string;
  port: number;
  /** Milliseconds between sweeps of expired rows. Default 60 s. */
  sweepIntervalMs?: number;
  /** Milliseconds between samples of the live-session gauge. Default 5 minutes. */
  liveSampleIntervalMs?: number;
  /** Milliseconds between reloads of the signing keys (rotations by other instances). Default 30 s. */
  keyReloadIntervalMs?: number;
}

/** A listening Baton server. */
export interface RunningServer {
  app: FastifyInstance;
  /** Base URL the server listens on, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** Stops accepting requests, finishes those in flight, stops maintenance, closes the store. */
  close(): Promise<void>;
}

/**
 * Sweeps in batches until nothing is left, yielding to the event loop between batches so that
 * refreshes are never queued behind a long delete.
 */
async function sweepAll(service: TokenService): Promise<number> {
  let removed = 0;
  for (;;) {
    const { more, ...counts } = await service.sweep();
    removed += Object.values(counts).reduce((sum, n) => sum + n, 0);
    if (!more) return removed;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Starts the HTTP server and its background maintenance (sweeping, key reloads). */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { service } = options;
  const metrics = options.metrics ?? createMetrics();
  const app = await createApp({ ...options, metrics });
  const url = await app.listen({ host: options.host, port: options.port });

  // The live-session gauge is a scan of the live sessions: sampled with the sweep, every few
  // minutes, never per request.
  const sampleEvery = options.liveSampleIntervalMs ?? LIVE_SAMPLE_INTERVAL_MS;
  let sampledAt = Number.NEGATIVE_INFINITY;
  async function maintain(): Promise<void> {
    const removed = await sweepAll(service);
    if (removed > 0) app.log.info({ removed }, 'swept expired rows');
    if (Date.now() - sampledAt >= sampleEvery) {
      sampledAt = Date.now();
      metrics.liveSessions(await service.countLiveSessions());
    }
  }
  let sweeping = false;
  const sweep = (): void => {
    if (sweeping) return;
    sweeping = true;
    maintain()
      .catch((error: unknown) => app.log.warn({ err: error }, 'sweep failed; will retry'))
      .finally(() => {
        sweeping = false;
      });
  };
  sweep();
  const sweeper = setInterval(sweep, options.sweepIntervalMs ?? 60_000);
  const reloader = setInterval(() => {
    service
      .reloadKeys()
      .catch((error: unknown) => app.log.warn({ err: error }, 'key reload failed; will retry'));
  }, options.keyReloadIntervalMs ?? 30_000);
  sweeper.unref();
  reloader.unref();

  return {
    app,
    url,
    async close() {
      clearInterval(sweeper);
      clearInterval(reloader);
      await app.close();
      await service.close();
    },
  };
}
