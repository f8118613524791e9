import {
  createTokenService,
  type EventSink,
  type InvalidationBus,
  type RateLimiter,
  type TokenService,
} from '../core/index.js';
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
    return service;
  } catch (error) {
    await store.close();
    throw error;
  }
}

/**
 * Shows the admin token generated on this start, once (only its hash is kept). Called when the
 * command has succeeded, so that a failing start does not bury the reason under the banner.
 */
export function showGeneratedAdminToken(service: TokenService, note = ''): void {
  if (service.generatedAdminToken === undefined) return;
  process.stderr.write(
    `\nBaton generated an admin token${note}. It is shown only this once; keep it somewhere safe:\n\n  ${service.generatedAdminToken}\n\n` +
      'Set BATON_ADMIN_TOKEN to use your own instead, or run `baton admin-token reset` for a new one.\n\n',
  );
}

/** Prints the configuration's warnings to stderr (commands other than `serve`, which logs them). */
export function printConfigWarnings(config: BatonConfig): void {
  for (const warning of config.warnings) process.stderr.write(`baton: warning: ${warning}\n`);
}

/** Runs `work` with a service over the configured store, closing it afterwards. */
export async function withService<T>(
  config: BatonConfig,
  work: (service: TokenService) => Promise<T>,
): Promise<T> {
  printConfigWarnings(config);
  const service = await openService(config, { longRunning: false });
  try {
    const result = await work(service);
    showGeneratedAdminToken(service);
    return result;
  } catch (error) {
    showGeneratedAdminToken(service, ', although the command failed');
    throw error;
  } finally {
    await service.close();
  }
}
