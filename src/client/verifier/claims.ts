import type { JWTPayload } from 'jose';
import { VerifierError } from './verifier-error.js';

/** The claims of a verified Baton access token (RFC 9068) and the session's custom claims. */
export interface AccessTokenClaims extends JWTPayload {
  iss: string;
  sub: string;
  aud: string | string[];
  /** Expiry, epoch seconds. */
  exp: number;
  /** Issue time, epoch seconds. */
  iat: number;
  jti: string;
  /** Session id. */
  sid: string;
  client_id: string;
  /** Space-separated scopes, when the session has any. */
  scope?: string;
  /** Session generation (refresh count) the token was issued at. */
  gen: number;
}

const STRING_CLAIMS = ['sub', 'jti', 'sid', 'client_id'] as const;

/**
 * Checks what jose leaves to the caller (it requires `iss` and `aud`, and checks `exp` and
 * `nbf` only when present): the presence and types of Baton's other claims, and an `iat` in the
 * future (beyond `leeway` seconds of `now`, epoch seconds) as `not_yet_valid`.
 */
export function checkClaims(payload: JWTPayload, now: number, leeway: number): AccessTokenClaims {
  for (const name of STRING_CLAIMS) {
    const value = payload[name];
    if (typeof value !== 'string' || value === '')
      throw new VerifierError('malformed', { detail: `claim ${name} is not a string` });
  }
  const { gen, scope, iat, exp } = payload;
  if (typeof exp !== 'number')
    throw new VerifierError('malformed', { detail: 'claim exp is missing' });
  if (typeof gen !== 'number' || !Number.isSafeInteger(gen) || gen < 0)
    throw new VerifierError('malformed', { detail: 'claim gen is not a generation' });
  if (scope !== undefined && typeof scope !== 'string')
    throw new VerifierError('malformed', { detail: 'claim scope is not a string' });
  if (typeof iat !== 'number' || !Number.isFinite(iat))
    throw new VerifierError('malformed', { detail: 'claim iat is not a number' });
  if (iat > now + leeway)
    throw new VerifierError('not_yet_valid', { detail: 'iat lies in the future' });
  return payload as AccessTokenClaims;
}

/** True when the space-separated `scope` claim holds every scope in `required`. */
export function hasScopes(
  claims: Pick<AccessTokenClaims, 'scope'>,
  required: readonly string[],
): boolean {
  const granted = new Set((claims.scope ?? '').split(' ').filter((s) => s !== ''));
  return required.every((scope) => granted.has(scope));
}
