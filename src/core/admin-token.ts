import { createHash } from 'node:crypto';
import { BatonError } from './errors.js';
import { randomId } from './random-id.js';
import { safeEqual } from './secrets.js';
import type { Store } from './store.js';

/** Shortest accepted configured admin token, in characters. */
export const MIN_ADMIN_TOKEN_LENGTH = 32;

/** Checks presented admin tokens. */
export interface AdminTokenVerifier {
  /** True when `token` is the admin token (constant-time). */
  verify(token: string): boolean;
}

const digest = (token: string): string => createHash('sha256').update(token).digest('base64url');

/**
 * The admin token: the configured one, or one generated on first start whose hash is kept in the
 * store. `generated` holds the new token only on the start that created it, to be shown once.
 */
export async function loadAdminToken(
  store: Store,
  configured: string | undefined,
): Promise<{ verifier: AdminTokenVerifier; generated: string | undefined }> {
  let expected: string;
  let generated: string | undefined;
  if (configured !== undefined) {
    if (configured.length < MIN_ADMIN_TOKEN_LENGTH) {
      throw new BatonError(
        'ERR_INVALID_CONFIG',
        `BATON_ADMIN_TOKEN must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters`,
      );
    }
    expected = digest(configured);
  } else {
    const candidate = randomId('bat_', 32);
    expected = await store.initMeta('admin_token_hash', digest(candidate));
    // Another instance may have won the first start; then its token is the one.
    if (expected === digest(candidate)) generated = candidate;
  }
  return { verifier: { verify: (token) => safeEqual(digest(token), expected) }, generated };
}

/** Replaces the stored admin token with a new one and returns it (shown once). */
export async function resetAdminToken(store: Store): Promise<string> {
  const token = randomId('bat_', 32);
  await store.setMeta('admin_token_hash', digest(token));
  return token;
}
