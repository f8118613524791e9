/**
 * Counters of failed attempts in fixed windows. The memory implementation below serves one
 * instance; a shared implementation (Redis) serves many.
 */
export interface RateLimiter {
  /**
   * Seconds until `key` may try again: 0 while it has fewer than `limit` failures in the
   * current window of `windowTtl` seconds at `now` (epoch seconds).
   */
  retryAfter(key: string, limit: number, windowTtl: number, now: number): Promise<number>;
  /** Counts one failure of `key` in the window containing `now`. */
  hit(key: string, windowTtl: number, now: number): Promise<void>;
}

/** Keys tracked at most; past this, new keys are not counted (memory stays bounded). */
const MAX_KEYS = 1_000_000;

/** A {@link RateLimiter} in process memory. */
export function createMemoryRateLimiter(): RateLimiter {
  const counts = new Map<string, { window: number; count: number }>();
  let sweptWindow = -1;

  function current(key: string, window: number): number {
    const entry = counts.get(key);
    return entry !== undefined && entry.window === window ? entry.count : 0;
  }

  return {
    retryAfter(key, limit, windowTtl, now) {
      const window = Math.floor(now / windowTtl);
      const blocked = limit > 0 && current(key, window) >= limit;
      return Promise.resolve(blocked ? (window + 1) * windowTtl - now : 0);
    },
    hit(key, windowTtl, now) {
      const window = Math.floor(now / windowTtl);
      if (window !== sweptWindow) {
        // Once per window, forget the counters of earlier windows.
        for (const [k, entry] of counts) if (entry.window < window) counts.delete(k);
        sweptWindow = window;
      }
      if (counts.size < MAX_KEYS || counts.has(key)) {
        counts.set(key, { window, count: current(key, window) + 1 });
      }
      return Promise.resolve();
    },
  };
}
