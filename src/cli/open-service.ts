import type { EventSink } from '../core/events.js';
import type { InvalidationBus } from '../core/invalidations.js';
import type { RateLimiter } from '../core/rate-limiter.js';
import { createTokenService, type TokenService } from '../core/token-service.js';
import type { BatonConfig } from './config.js';
import { openStore, parseStoreLocation } from './open-store.js';

/** Opens the configured store and builds the token service over it. */
export async function openService(
  config: BatonConfig,
  options: {
    longRunning: boolean;
    events?: EventSink;
    /** Shared rate-limit counters (Redis); per-process when absent. */
    limiter?: RateLimiter;
    /** The channel to other instances (Redis); none when absent. */
    invalidations?: InvalidationBus;
    /** Hears of store connections lost while idle (a PostgreSQL restart). */
    onStoreConnectionError?: (error: Error) => void;
  },
): Promise<TokenService> {
  const store = await openStore(
    parseStoreLocation(config.store),
    options.longRunning,
    options.onStoreConnectionError,
  );
  try {
    const service = await createTokenService({
      store,
      issuer: config.issuer,
      accessTtl: config.accessTtl,
      refreshTtl: config.refreshTtl,
      idleTtl: config.idleTtl,
      reuseGrace: config.reuseGrace,
      rotate: config.rotate,
      alg: config.alg,
      rateLimit: { ipFailures: config.rateLimitIp, sessionFailures: config.rateLimitSession },
      corsOrigins: config.corsOrigins,
      ...(config.secret === undefined ? {} : { secret: config.secret }),
      ...(config.adminToken === undefined ? {} : { adminToken: config.adminToken }),
      ...(options.events === undefined ? {} : { events: options.events }),
      ...(options.limiter === undefined ? {} : { limiter: options.limiter }),
      ...(options.invalidations === undefined ? {} : { invalidations: options.invalidations }),
      // A server signs on a worker thread, beside the event loop; one-shot commands inline.
      mintOnWorker: options.longRunning,
    });
    if (service.generatedAdminToken !== undefined) {
      // Shown once, on the start that created it; only its hash is kept.
      process.stderr.write(
        `\nBaton generated an admin token. It is shown only this once; keep it somewhere safe:\n\n  ${service.generatedAdminToken}\n\n` +
          'Set BATON_ADMIN_TOKEN to use your own instead, or run `baton admin-token reset` for a new one.\n\n',
      );
    }
    return service;
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** Runs `work` with a service over the configured store, closing it afterwards. */
export async function withService<T>(
  config: BatonConfig,
  work: (service: TokenService) => Promise<T>,
): Promise<T> {
  const service = await openService(config, { longRunning: false });
  try {
    return await work(service);
  } finally {
    await service.close();
  }
}
