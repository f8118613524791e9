import type { Redis } from 'ioredis';
import type { RateLimiter } from '../../core/index.js';

/** Seconds a window's key outlives its window: room for clock skew between instances. */
const EXPIRY_SLACK_TTL = 10;
/** Milliseconds Redis is left alone after a failed call, so callers fail fast meanwhile. */
const PAUSE_AFTER_FAILURE_MS = 1_000;

/** Where a {@link RedisRateLimiter} counts now: in Redis, or in its per-instance fallback. */
export type RateLimiterState = 'redis' | 'fallback';

/** Options of {@link createRedisRateLimiter}. */
export interface RedisRateLimiterOptions {
  /** A connection from `createRedisConnection` (no offline queue, short command timeout). */
  redis: Redis;
  /** Counts while Redis cannot: usually `createMemoryRateLimiter()`. */
  fallback: RateLimiter;
  /** Prefix of every key, e.g. `baton:` (the default). */
  prefix?: string;
  /** Called when counting moves from Redis to the fallback; `error` is the failure, if any. */
  onDegraded?: (error: Error | undefined) => void;
  /** Called when counting moves back from the fallback to Redis. */
  onRecovered?: () => void;
}

/** A {@link RateLimiter} shared by all instances through Redis. */
export interface RedisRateLimiter extends RateLimiter {
  /** `redis` while counts are shared, `fallback` while each instance counts alone (for /readyz). */
  state(): RateLimiterState;
}

/**
 * A {@link RateLimiter} whose fixed-window counters live in Redis, one key per key and window
 * (`<prefix>rl:<key>:<window>`), so every instance sees the same counts. When Redis is down or
 * a call fails, that call is answered by `fallback` instead: it never throws, and it does not
 * wait on a Redis known to be down.
 */
export function createRedisRateLimiter(options: RedisRateLimiterOptions): RedisRateLimiter {
  const { redis, fallback } = options;
  const prefix = options.prefix ?? 'baton:';
  let pausedUntil = 0;
  let last: RateLimiterState = 'redis';

  const redisKey = (key: string, window: number): string => `${prefix}rl:${key}:${window}`;

  function state(): RateLimiterState {
    return redis.status === 'ready' && Date.now() >= pausedUntil ? 'redis' : 'fallback';
  }

  /** Notes the state a call is served in, telling the callbacks of a change. */
  function serveIn(current: RateLimiterState, error?: Error): void {
    if (current === last) return;
    last = current;
    if (current === 'fallback') options.onDegraded?.(error);
    else options.onRecovered?.();
  }

  function failed(error: unknown): void {
    pausedUntil = Date.now() + PAUSE_AFTER_FAILURE_MS;
    serveIn('fallback', error instanceof Error ? error : new Error(String(error)));
  }

  return {
    state,

    async retryAfter(key, limit, windowTtl, now) {
      if (limit <= 0) return 0;
      const current = state();
      serveIn(current);
      if (current === 'fallback') return fallback.retryAfter(key, limit, windowTtl, now);
      const window = Math.floor(now / windowTtl);
      let count: number;
      try {
        count = Number(await redis.get(redisKey(key, window)));
      } catch (error) {
        failed(error);
        return fallback.retryAfter(key, limit, windowTtl, now);
      }
      return count >= limit ? (window + 1) * windowTtl - now : 0;
    },

    async hit(key, windowTtl, now) {
      const current = state();
      serveIn(current);
      if (current === 'fallback') return fallback.hit(key, windowTtl, now);
      const k = redisKey(key, Math.floor(now / windowTtl));
      try {
        // MULTI makes the count and its expiry one step: no key is left without an expiry.
        const replies = await redis
          .multi()
          .incr(k)
          .expire(k, Math.ceil(windowTtl) + EXPIRY_SLACK_TTL)
          .exec();
        if (replies === null) throw new Error('the MULTI transaction was aborted');
        for (const [replyError] of replies) if (replyError !== null) throw replyError;
      } catch (error) {
        failed(error);
        await fallback.hit(key, windowTtl, now);
      }
    },
  };
}
