import type { ServiceContext } from './context.js';
import { BatonError, type ErrorCode } from './errors.js';

/** Failures that count against the caller's rate limits: the caller's own mistakes. */
export const COUNTED_FAILURES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'ERR_REFRESH_TOKEN_UNKNOWN',
  'ERR_REFRESH_TOKEN_REUSED',
  'ERR_SESSION_EXPIRED',
  'ERR_SESSION_IDLE',
  'ERR_SESSION_REVOKED',
  'ERR_CLIENT_MISMATCH',
  'ERR_INVALID_CLIENT',
  'ERR_INVALID_SCOPE',
  'ERR_ADMIN_UNAUTHORIZED',
  'ERR_ACCESS_TOKEN_INVALID',
  'ERR_DIALECT_DISABLED',
]);

/** Throws `ERR_RATE_LIMITED` when `key` has used up `limit` failures in the current window. */
export async function enforceLimit(
  ctx: ServiceContext,
  key: string,
  limit: number,
  now: number,
): Promise<void> {
  if (limit === 0) return;
  const retryAfter = await ctx.limiter.retryAfter(key, limit, ctx.options.rateLimit.windowTtl, now);
  if (retryAfter > 0) {
    throw new BatonError('ERR_RATE_LIMITED', 'too many failed attempts; try again later', {
      retryAfter,
      detail: key,
    });
  }
}

/** The limiter key of a client IP. */
export const ipKey = (ip: string): string => `ip:${ip}`;

/**
 * Runs `attempt` for a caller at `ip`: refused while the IP is over its failure limit, and a
 * counted failure of `attempt` adds to the IP's count.
 */
export async function guardFailures<T>(
  ctx: ServiceContext,
  ip: string | undefined,
  attempt: () => Promise<T>,
): Promise<T> {
  if (ip === undefined) return attempt();
  const now = ctx.clock.now();
  await enforceLimit(ctx, ipKey(ip), ctx.options.rateLimit.ipFailures, now);
  try {
    return await attempt();
  } catch (error) {
    if (error instanceof BatonError && COUNTED_FAILURES.has(error.code)) {
      await ctx.limiter.hit(ipKey(ip), ctx.options.rateLimit.windowTtl, now);
    }
    throw error;
  }
}
