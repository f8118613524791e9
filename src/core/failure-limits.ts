import type { ServiceContext } from './context.js';
import { BatonError, type ErrorCode } from './errors.js';

/**
 * The failure budgets, each counted per key (an IP, or a session) in fixed windows and kept apart
 * so that a flood on one cannot spend another:
 * - `refresh`: failed refreshes from an IP, on any face;
 * - `session`: failed refreshes naming one session;
 * - `client_auth`: failed client authentications from an IP;
 * - `admin`: failed admin-token checks from an IP;
 * - `revoke`: revocations from an IP that changed nothing.
 */
export type FailureBudget = 'refresh' | 'session' | 'client_auth' | 'admin' | 'revoke';

/** Failures that count against a budget: the caller's own mistakes, never Baton's. */
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

/** True when `error` is a failure that counts against a budget. */
export function isCountedFailure(error: unknown): error is BatonError {
  return error instanceof BatonError && COUNTED_FAILURES.has(error.code);
}

function limitOf(ctx: ServiceContext, budget: FailureBudget): number {
  const limits = ctx.options.rateLimit;
  return budget === 'session' ? limits.sessionFailures : limits.ipFailures;
}

const keyOf = (budget: FailureBudget, id: string): string => `${budget}:${id}`;

/**
 * Throws `ERR_RATE_LIMITED` (its `detail` names the budget) when `id` has used up its `budget`
 * in the current window.
 */
export async function checkBudget(
  ctx: ServiceContext,
  budget: FailureBudget,
  id: string,
  now: number,
): Promise<void> {
  const limit = limitOf(ctx, budget);
  if (limit === 0) return;
  const retryAfter = await ctx.limiter.retryAfter(
    keyOf(budget, id),
    limit,
    ctx.options.rateLimit.windowTtl,
    now,
  );
  if (retryAfter > 0) {
    throw new BatonError('ERR_RATE_LIMITED', 'too many failed attempts; try again later', {
      retryAfter,
      detail: budget,
    });
  }
}

/** Counts one failure of `id` against `budget`. */
export async function spendBudget(
  ctx: ServiceContext,
  budget: FailureBudget,
  id: string,
  now: number,
): Promise<void> {
  if (limitOf(ctx, budget) === 0) return;
  await ctx.limiter.hit(keyOf(budget, id), ctx.options.rateLimit.windowTtl, now);
}

/**
 * Runs the check of a secret that could be guessed (a client secret, the admin token) for a
 * caller at `ip`: refused before it is tried while the IP is over `budget`, so that no guess is
 * ever answered once the budget is spent, and a counted failure spends it.
 */
export async function guardGuessable<T>(
  ctx: ServiceContext,
  budget: 'client_auth' | 'admin',
  ip: string | undefined,
  attempt: () => Promise<T>,
): Promise<T> {
  if (ip === undefined) return attempt();
  const now = ctx.clock.now();
  await checkBudget(ctx, budget, ip, now);
  try {
    return await attempt();
  } catch (error) {
    if (isCountedFailure(error)) await spendBudget(ctx, budget, ip, now);
    throw error;
  }
}
