import type { VerifierError } from './verifier-error.js';

/** The HTTP answer to a refused request: status, headers and a JSON body. */
export interface BearerChallenge {
  status: number;
  headers: Record<string, string>;
  body: { error: string; error_description: string; code: string };
}

/** Options of {@link bearerChallenge}. */
export interface BearerChallengeOptions {
  /** `realm` of the challenge (RFC 6750 §3), e.g. `api`. */
  realm?: string;
  /** Scopes the route needs, announced with `insufficient_scope`. */
  scope?: readonly string[];
  /** Seconds a 503 tells the caller to wait (`Retry-After`). Default 1. */
  retryAfter?: number;
}

/** A quoted-string (RFC 9110 §5.6.4) holding only the characters RFC 6750 §3 allows. */
function quoted(value: string): string {
  return `"${value.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '')}"`;
}

/**
 * The RFC 6750 §3 answer to a {@link VerifierError}: 401 with `WWW-Authenticate: Bearer
 * error="invalid_token"` for a refused token (no `error` when there was no token at all), 400
 * `invalid_request`, 403 `insufficient_scope`, or 503 with `Retry-After`. The description is the
 * error's fixed public text; the token is never echoed.
 *
 * @example const { status, headers, body } = bearerChallenge(error, { realm: 'api' })
 */
export function bearerChallenge(
  error: VerifierError,
  options: BearerChallengeOptions = {},
): BearerChallenge {
  const headers: Record<string, string> = { 'cache-control': 'no-store' };
  const body = {
    error:
      error.bearerError ??
      (error.code === 'unavailable' ? 'temporarily_unavailable' : 'unauthorized'),
    error_description: error.message,
    code: error.code,
  };
  if (error.code === 'unavailable') {
    headers['retry-after'] = String(Math.max(1, Math.ceil(options.retryAfter ?? 1)));
    return { status: error.status, headers, body };
  }
  const params: string[] = [];
  if (options.realm !== undefined) params.push(`realm=${quoted(options.realm)}`);
  if (error.bearerError !== null) {
    params.push(`error=${quoted(error.bearerError)}`);
    params.push(`error_description=${quoted(error.message)}`);
  }
  if (error.code === 'insufficient_scope' && options.scope !== undefined)
    params.push(`scope=${quoted(options.scope.join(' '))}`);
  headers['www-authenticate'] = params.length === 0 ? 'Bearer' : `Bearer ${params.join(', ')}`;
  return { status: error.status, headers, body };
}
