import type { RateLimiter } from '../../core/index.js';
import { createRedisConnection, redisHealth } from './redis-connection.js';
import { createRedisInvalidationBus, type RedisInvalidationBus } from './redis-invalidations.js';
import { createRedisRateLimiter, type RedisRateLimiter } from './redis-rate-limiter.js';

/** Options of {@link openRedis}. */
export interface OpenRedisOptions {
  /** Called with every error Redis causes; none of them is thrown. */
  onError?: (error: Error) => void;
  /** Prefix of rate-limit keys; `baton:` by default. */
  prefix?: string;
  /** Pub/sub channel of invalidations; `baton:invalidate` by default. */
  channel?: string;
}

/** What {@link openRedis} reports for /readyz. */
export interface RedisState {
  /** The command connection (rate limits, publishing) is up. */
  connected: boolean;
  /** The subscriber connection is up and listening to the channel. */
  subscribed: boolean;
  /** The last error of the command connection, if any since start. */
  lastError: string | undefined;
}

/** Everything Baton keeps in Redis, over two connections (commands, and a subscriber). */
export interface OpenedRedis {
  /** A rate limiter shared through Redis, answering from `fallback` while Redis cannot. */
  limiter(fallback: RateLimiter): RedisRateLimiter;
  bus: RedisInvalidationBus;
  state(): RedisState;
  /** Quits both connections. */
  close(): Promise<void>;
}

/**
 * Connects to the Redis at `url` (`redis://` or `rediss://`) without waiting for it: a Redis
 * that is down at start-up is found when it comes up. Throws `ERR_INVALID_CONFIG` for a bad URL.
 *
 * @example const redis = openRedis(process.env.BATON_REDIS_URL, { onError: (e) => log.warn(e) })
 */
export function openRedis(url: string, options: OpenRedisOptions = {}): OpenedRedis {
  const onError = options.onError;
  const errors = onError === undefined ? {} : { onError };
  const commands = createRedisConnection(url, { ...errors, connectionName: 'baton:commands' });
  const subscriber = createRedisConnection(url, { ...errors, connectionName: 'baton:subscriber' });
  const bus = createRedisInvalidationBus({
    publisher: commands,
    subscriber,
    ...errors,
    ...(options.channel === undefined ? {} : { channel: options.channel }),
  });
  return {
    limiter: (fallback) =>
      createRedisRateLimiter({
        redis: commands,
        fallback,
        ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
        ...(onError === undefined
          ? {}
          : {
              onDegraded: (error) =>
                onError(
                  new Error(
                    `rate limits fall back to per-instance counters: ${error?.message ?? 'Redis is not connected'}`,
                    { cause: error },
                  ),
                ),
            }),
      }),
    bus,
    state() {
      const health = redisHealth(commands);
      return {
        connected: health.connected,
        subscribed: bus.subscribed(),
        lastError: health.lastError,
      };
    },
    close: () => bus.close(),
  };
}
