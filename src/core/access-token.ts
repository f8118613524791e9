import { errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { BatonError } from './errors.js';
import type { Keyring } from './keyring.js';

/** Claims of a Baton access token (RFC 9068 profile) plus the session's custom claims. */
export interface AccessTokenClaims extends JWTPayload {
  iss: string;
  sub: string;
  aud: string;
  exp: number;
  iat: number;
  jti: string;
  /** Session id. */
  sid: string;
  client_id: string;
  scope?: string;
  /** Session generation the token was issued at. */
  gen: number;
}

/** Names an application may not set as custom claims. */
export const RESERVED_CLAIMS: ReadonlySet<string> = new Set([
  'iss',
  'sub',
  'aud',
  'exp',
  'nbf',
  'iat',
  'jti',
  'sid',
  'client_id',
  'scope',
  'gen',
  'typ',
  'cnf',
  'auth_time',
  'acr',
  'amr',
  'azp',
  'nonce',
]);

/** Options of {@link verifyAccessToken}. */
export interface VerifyAccessTokenOptions {
  issuer: string;
  /** Current time in epoch seconds. */
  now: number;
  /** Accept a token past its `exp` (every other check still applies). */
  allowExpired?: boolean;
}

const REQUIRED_CLAIMS = ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'sid', 'client_id', 'gen'];

/**
 * The claims of a token of Baton's shape, read without checking its signature: only for a
 * caller that then proves the token genuine another way (its keyed hash matching the session's).
 */
export function readUnverifiedClaims(token: string): AccessTokenClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[1] === undefined) return undefined;
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof payload !== 'object' || payload === null) return undefined;
  const claims = payload as Partial<AccessTokenClaims>;
  return typeof claims.sid === 'string' &&
    typeof claims.jti === 'string' &&
    typeof claims.gen === 'number' &&
    typeof claims.exp === 'number'
    ? (claims as AccessTokenClaims)
    : undefined;
}

/**
 * Verifies an access token signed by one of the keyring's keys: the algorithm is pinned to the
 * key's own (no `none`, no HS/RS confusion), unknown `kid`s are refused, `typ` must be `at+jwt`.
 * Rejects with `ERR_ACCESS_TOKEN_INVALID`.
 */
export async function verifyAccessToken(
  token: string,
  keyring: Keyring,
  options: VerifyAccessTokenOptions,
): Promise<AccessTokenClaims> {
  try {
    const payload = await verifyClaims(token, keyring, options);
    if (
      typeof payload.gen !== 'number' ||
      typeof payload.sid !== 'string' ||
      typeof payload.client_id !== 'string'
    ) {
      throw new BatonError('ERR_ACCESS_TOKEN_INVALID', 'not a Baton access token');
    }
    return payload;
  } catch (error) {
    if (error instanceof BatonError) throw error;
    if (error instanceof joseErrors.JOSEError) {
      const description =
        error instanceof joseErrors.JWTExpired
          ? 'the access token has expired'
          : 'the access token is invalid';
      throw new BatonError('ERR_ACCESS_TOKEN_INVALID', description, { detail: error.code });
    }
    throw new BatonError('ERR_ACCESS_TOKEN_INVALID', 'the access token is invalid', {
      cause: error,
    });
  }
}

async function verifyClaims(
  token: string,
  keyring: Keyring,
  options: VerifyAccessTokenOptions,
): Promise<AccessTokenClaims> {
  try {
    const { payload } = await jwtVerify<AccessTokenClaims>(
      token,
      async (header) => {
        const key = header.kid === undefined ? undefined : await keyring.resolve(header.kid);
        if (key === undefined)
          throw new BatonError('ERR_ACCESS_TOKEN_INVALID', 'unknown signing key');
        if (header.alg !== key.alg)
          throw new BatonError('ERR_ACCESS_TOKEN_INVALID', 'algorithm mismatch');
        return key.verifyKey;
      },
      {
        issuer: options.issuer,
        typ: 'at+jwt',
        algorithms: ['EdDSA', 'ES256', 'RS256', 'HS256'],
        currentDate: new Date(options.now * 1000),
        requiredClaims: REQUIRED_CLAIMS,
      },
    );
    return payload;
  } catch (error) {
    // jose checks `exp` last, after the signature and every other claim: an expired token's
    // payload is otherwise verified.
    if (
      options.allowExpired === true &&
      error instanceof joseErrors.JWTExpired &&
      error.claim === 'exp'
    ) {
      return error.payload as AccessTokenClaims;
    }
    throw error;
  }
}
