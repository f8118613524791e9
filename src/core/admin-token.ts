import { createHash } from 'node:crypto';
import type { Clock } from './clock.js';
import { BatonError } from './errors.js';
import { randomId } from './random-id.js';
import { safeEqual } from './secrets.js';
import type { Store } from './store.js';

/** Shortest accepted configured admin token, in characters. */
export const MIN_ADMIN_TOKEN_LENGTH = 32;

/**
 * Seconds a running server keeps the stored admin-token hash before reading it again: how long
 * after `baton admin-token reset` the old token may still open the admin API.
 */
export const ADMIN_TOKEN_RELOAD_TTL = 5;

/** Checks presented admin tokens. */
export interface AdminTokenVerifier {
  /** True when `token` is the admin token (compared in constant time). */
  verify(token: string): Promise<boolean>;
}

const META_KEY = 'admin_token_hash';

const digest = (token: string): string => createHash('sha256').update(token).digest('base64url');

/**
 * The admin token: the configured one, or one generated on first start whose hash is kept in the
 * store. `generated` holds the new token only on the start that created it, to be shown once.
 *
 * A stored token is read again every {@link ADMIN_TOKEN_RELOAD_TTL} seconds, and at once (at most
 * once a second) when a presented token does not match, so a reset made by `baton admin-token
 * reset` or by another instance takes effect on every running instance within seconds: the new
 * token works at once, the old one stops working within the reload interval.
 */
export async function loadAdminToken(
  store: Store,
  configured: string | undefined,
  clock: Clock,
): Promise<{ verifier: AdminTokenVerifier; generated: string | undefined }> {
  if (configured !== undefined) {
    if (configured.length < MIN_ADMIN_TOKEN_LENGTH) {
      throw new BatonError(
        'ERR_INVALID_CONFIG',
        `BATON_ADMIN_TOKEN must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters`,
      );
    }
    const expected = digest(configured);
    return {
      verifier: { verify: async (token) => safeEqual(digest(token), expected) },
      generated: undefined,
    };
  }
  const candidate = randomId('bat_', 32);
  let expected = await store.initMeta(META_KEY, digest(candidate));
  // Another instance may have won the first start; then its token is the one.
  const generated = expected === digest(candidate) ? candidate : undefined;
  let loadedAt = clock.nowMs();

  async function reload(): Promise<void> {
    loadedAt = clock.nowMs();
    expected = (await store.getMeta(META_KEY)) ?? expected;
  }

  return {
    verifier: {
      async verify(token) {
        const presented = digest(token);
        if (clock.nowMs() - loadedAt >= ADMIN_TOKEN_RELOAD_TTL * 1000) await reload();
        if (safeEqual(presented, expected)) return true;
        // Perhaps it was just reset: look once more (throttled, so wrong tokens cost no reads).
        if (clock.nowMs() - loadedAt < 1000) return false;
        await reload();
        return safeEqual(presented, expected);
      },
    },
    generated,
  };
}

/** Replaces the stored admin token with a new one and returns it (shown once). */
export async function resetAdminToken(store: Store): Promise<string> {
  const token = randomId('bat_', 32);
  await store.setMeta(META_KEY, digest(token));
  return token;
}
