import { jwtClaims } from './jwt-claims.js';

/**
 * When a fresh access token expires, in local epoch milliseconds, erring early. With `expiresIn`
 * (seconds) it is counted from `sentAt`, the moment the refresh left, so no clocks are compared.
 * Without it, the token's own `exp` is moved onto the local clock by the offset between the
 * server's `Date` header and the local time the answer arrived. Either way one second comes off,
 * since the server counts whole seconds (`exp` may start up to a second before `sentAt`). Without
 * either, the previous lifetime (`fallbackMs`) is assumed.
 */
export function tokenExpiry(
  accessToken: string,
  expiresIn: unknown,
  sentAt: number,
  serverDate: string | null,
  receivedAt: number,
  fallbackMs: number,
): number {
  if (typeof expiresIn === 'number' && Number.isFinite(expiresIn))
    return sentAt + (expiresIn - 1) * 1000;
  const exp = jwtClaims(accessToken).exp;
  if (typeof exp !== 'number') return sentAt + fallbackMs;
  const serverNow = Date.parse(serverDate ?? '');
  return exp * 1000 - (Number.isNaN(serverNow) ? 0 : serverNow - receivedAt) - 1000;
}
