import { randomId } from './random-id.js';

/** Prefix of every refresh token, so that scanners and people recognise one. */
export const REFRESH_TOKEN_PREFIX = 'rt_';

// 32 random bytes = 256 bits, 43 base64url characters.
const REFRESH_TOKEN_PATTERN = /^rt_[A-Za-z0-9_-]{43}$/;

/** A new opaque refresh token: `rt_` and 256 bits from the CSPRNG (46 characters). */
export function generateRefreshToken(): string {
  return randomId(REFRESH_TOKEN_PREFIX, 32);
}

/** True when `value` has the shape of a Baton refresh token (it may still be unknown). */
export function isWellFormedRefreshToken(value: string): boolean {
  return REFRESH_TOKEN_PATTERN.test(value);
}
