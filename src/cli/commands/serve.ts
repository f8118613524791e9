import { pino, type Logger } from 'pino';
import { createMemoryRateLimiter } from '../../core/index.js';
import { openRedis, type OpenedRedis, type RedisState } from '../../stores/redis/open-redis.js';
import { startServer } from '../../http/server.js';
import { loggerOptions } from '../../http/logger.js';
import { createWebhookSink } from '../../http/webhook-sink.js';
import type { BatonConfig } from '../config.js';
import { openService, showGeneratedAdminToken } from '../open-service.js';

/** Seconds between two warnings of one kind (a Redis or database that is down errs constantly). */
const WARNING_INTERVAL = 30;

/** A warning logger that says one thing at most once per `seconds`. */
function throttledWarning(log: Logger, message: string, seconds: number): (error: Error) => void {
  let loggedAt = 0;
  return (error) => {
    const now = Date.now();
    if (now - loggedAt < seconds * 1000) return;
    loggedAt = now;
    log.warn({ err: error.message }, message);
  };
}

/**
 * Connects to Redis for shared rate limits and invalidations. Redis is never the truth: while it
 * is down, limits are counted per instance and caches expire on their own (5 s).
 */
function connectRedis(url: string, log: Logger): OpenedRedis {
  return openRedis(url, {
    onError: throttledWarning(
      log,
      'Redis is unavailable; rate limits are per instance',
      WARNING_INTERVAL,
    ),
  });
}

/** What /readyz says of Redis: `degraded` (still ready) while it cannot be used. */
function redisReadiness(state: RedisState): Record<string, string> {
  const up = state.connected && state.subscribed;
  return {
    ...(up ? {} : { status: 'degraded' }),
    redis: up ? 'ok' : 'unavailable',
    rateLimits: state.connected ? 'shared' : 'per-instance',
  };
}

/** `baton serve`: runs the HTTP server until SIGINT or SIGTERM. */
export async function serve(config: BatonConfig): Promise<void> {
  const log = pino(loggerOptions(config.logLevel) as object);
  for (const warning of config.warnings) log.warn(warning);
  const redis = config.redisUrl === undefined ? undefined : connectRedis(config.redisUrl, log);
  const events =
    config.webhookUrl === undefined || config.webhookSecret === undefined
      ? undefined
      : createWebhookSink({
          url: config.webhookUrl,
          secret: config.webhookSecret,
          issuer: config.issuer,
          log,
        });
  let service;
  try {
    service = await openService(config, {
      longRunning: true,
      // Pooled connections lost while idle (a database restart): the next query reconnects.
      onStoreConnectionError: throttledWarning(
        log,
        'a store connection was lost; the next request reconnects',
        WARNING_INTERVAL,
      ),
      ...(events === undefined ? {} : { events }),
      ...(redis === undefined
        ? {}
        : { limiter: redis.limiter(createMemoryRateLimiter()), invalidations: redis.bus }),
    });
  } catch (error) {
    await redis?.close();
    throw error;
  }
  let server;
  try {
    server = await startServer({
      service,
      host: config.host,
      port: config.port,
      logger: log,
      trustProxy: config.trustProxy,
      dialects: config.dialects,
      timeouts: config.timeouts,
      ...(redis === undefined ? {} : { readiness: async () => redisReadiness(redis.state()) }),
    });
  } catch (error) {
    // The store keeps the generated token's hash whatever happens next: it must still be seen.
    showGeneratedAdminToken(service, ', although Baton did not start (see below)');
    await service.close();
    await redis?.close();
    throw error;
  }
  showGeneratedAdminToken(service);
  log.info(
    {
      url: server.url,
      issuer: config.issuer,
      store: service.storeKind,
      alg: config.alg,
      redis: redis === undefined ? 'off' : 'on',
      dialects: config.dialects.map((m) => (m.prefix === '' ? m.name : `${m.name}:${m.prefix}`)),
    },
    'Baton is listening',
  );

  const running = server;
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      log.info({ signal }, 'shutting down');
      running
        .close()
        .then(() => redis?.close())
        .then(resolve, (error: unknown) => {
          log.error({ err: error }, 'shutdown failed');
          resolve();
        });
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
