import { EVENT_RETENTION_TTL, SESSION_RETENTION_TTL } from './config.js';
import type { ServiceContext } from './context.js';
import { KEY_RETENTION_TTL } from './keyring.js';
import type { SweepResult } from './store.js';

/** Rows of each kind removed by one sweep pass at most. */
export const SWEEP_BATCH = 500;

/**
 * Removes one batch of rows past retention: ended sessions with their refresh tokens, revoked
 * access-token ids past expiry, old events and long-retired keys. `more` is true while a kind
 * filled its batch, so the caller can continue after yielding.
 */
export async function sweep(ctx: ServiceContext): Promise<SweepResult & { more: boolean }> {
  const now = ctx.clock.now();
  const result = await ctx.store.sweep({
    sessionsEndedBefore: now - SESSION_RETENTION_TTL,
    accessTokensExpiredBefore: now,
    eventsBefore: now - EVENT_RETENTION_TTL,
    keysRetiredBefore: now - KEY_RETENTION_TTL,
    limit: SWEEP_BATCH,
  });
  const more = Object.values(result).some((count) => count >= SWEEP_BATCH);
  return { ...result, more };
}
