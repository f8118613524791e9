import { randomBytesFast } from './random-id.js';

/** Prefix of every refresh token, so that scanners and people recognise one. */
export const REFRESH_TOKEN_PREFIX = 'rt_';
/** Prefix of session ids; a session id is this and 16 random bytes in base64url (22 chars). */
export const SESSION_ID_PREFIX = 'ses_';

// rt_ + the 22 characters of the session id + 256 random bits (43 base64url characters).
const REFRESH_TOKEN_PATTERN = /^rt_([A-Za-z0-9_-]{22})[A-Za-z0-9_-]{43}$/;

/**
 * A new opaque refresh token of a session: `rt_`, the session's id (not a secret: access tokens
 * carry it as `sid`), and 256 bits from the CSPRNG; 68 characters. Naming the session lets the
 * store find the token by the session's key, so that one index serves lookups and sweeping.
 */
export function generateRefreshToken(sessionId: string): string {
  return (
    REFRESH_TOKEN_PREFIX +
    sessionId.slice(SESSION_ID_PREFIX.length) +
    randomBytesFast(32).toString('base64url')
  );
}

/** The session id a well-formed refresh token names, or `undefined` for anything else. */
export function sessionIdOf(value: string): string | undefined {
  const match = REFRESH_TOKEN_PATTERN.exec(value);
  return match === null ? undefined : SESSION_ID_PREFIX + (match[1] as string);
}
