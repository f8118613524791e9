import { fullJitter, retryAfterMs } from './backoff.js';
import type { ResolvedClientOptions } from './client-options.js';
import { REFRESH_WIRES } from './refresh-wire.js';
import type { StoredSession } from './stored-session.js';
import { TokenClientError } from './token-client-error.js';
import { tokenExpiry } from './token-expiry.js';

/** How a refresh ended: new tokens, the end of the session, or a failure to report. */
export type RefreshOutcome =
  | { kind: 'tokens'; accessToken: string; refreshToken: string | undefined; expiresAt: number }
  | { kind: 'ended'; reason: string }
  /** `unsure`: some attempt may have reached the server and rotated the session. */
  | { kind: 'failed'; error: TokenClientError; unsure: boolean };

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function failure(status: number, oauth: boolean): TokenClientError {
  if (status === 0) return new TokenClientError('ERR_NETWORK', 'the refresh got no answer');
  if (status === 401 && oauth)
    return new TokenClientError(
      'ERR_INVALID_CLIENT',
      'client authentication failed',
      undefined,
      401,
    );
  if (status === 429)
    return new TokenClientError('ERR_RATE_LIMITED', 'too many refreshes failed', undefined, 429);
  return status < 500
    ? new TokenClientError('ERR_REFUSED', `the refresh was refused (${status})`, undefined, status)
    : new TokenClientError('ERR_UNAVAILABLE', `the server answered ${status}`, undefined, status);
}

/**
 * Sends the refresh of `session`'s credentials, and sends the same again after a lost answer, a
 * 5xx or a 429, with full-jitter backoff and at least `Retry-After`, for as long as the last
 * attempt can reach the server inside the reuse grace counted from `startedAt` (all in epoch ms):
 * there a resend gets the answer the server committed, byte for byte, and after it a resend of a
 * used refresh token would be taken for theft.
 */
export async function sendRefresh(
  options: ResolvedClientOptions,
  session: StoredSession,
  startedAt: number,
  graceMs: number,
  unsure: boolean,
): Promise<RefreshOutcome> {
  const { wire, send, now, baseUrl, identity } = options;
  // Abort a silent attempt only while a resend can still be made inside the grace.
  const attemptMs = graceMs >= 2000 ? Math.min(5000, graceMs / 2) : 30_000;
  for (let attempt = 1; ; attempt++) {
    let status: number;
    let body: Record<string, unknown> = {};
    let headers: Headers | undefined;
    try {
      const init = wire.request({ accessToken: session.a, refreshToken: session.r }, identity);
      const response = await send(baseUrl + wire.path, {
        ...init,
        signal: AbortSignal.timeout(attemptMs),
      });
      headers = response.headers;
      status = response.status;
      const text = await response.text();
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        // A success cut short is a lost answer; an error page is still an error.
        if (status === 200) throw new Error('unreadable answer');
      }
    } catch {
      status = 0;
    }

    if (status === 200) {
      const got = wire.read(body);
      if (typeof got.accessToken !== 'string' || got.accessToken === '') {
        const error = new TokenClientError('ERR_BAD_RESPONSE', 'the answer has no access token');
        return { kind: 'failed', error, unsure: true };
      }
      const fresh = typeof got.refreshToken === 'string' && got.refreshToken !== '';
      return {
        kind: 'tokens',
        accessToken: got.accessToken,
        // Without rotation the answer has no refresh token: the one held stays valid.
        refreshToken: fresh ? (got.refreshToken as string) : session.r,
        expiresAt: tokenExpiry(
          got.accessToken,
          got.expiresIn,
          startedAt,
          headers?.get('date') ?? null,
          now(),
          session.e - session.s,
        ),
      };
    }
    const reason = status === 0 ? undefined : wire.ended(status, body);
    if (reason !== undefined) {
      const late = reason === 'rejected' && wire.byAccessToken === true && now() >= session.e;
      return { kind: 'ended', reason: late ? 'expired' : reason };
    }

    // Baton's 503 and 429 change nothing, nor do refusals; anything else may have rotated.
    if (status === 0 || (status >= 500 && status !== 503)) unsure = true;
    const left = startedAt + graceMs - Math.min(1000, graceMs / 5) - now();
    const floor = retryAfterMs(headers?.get('retry-after'), now());
    if (left <= 0 || floor > left || (status < 500 && status !== 429 && status !== 0)) {
      const error = failure(status, wire === REFRESH_WIRES.oauth);
      if (floor > 0) error.retryAfter = floor / 1000;
      return { kind: 'failed', error, unsure };
    }
    await sleep(Math.max(floor, Math.min(fullJitter(attempt), left)));
  }
}
