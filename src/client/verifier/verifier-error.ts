/**
 * The closed set of reasons a token is refused, each with the HTTP status a resource server
 * answers and the RFC 6750 §3.1 `error` of its `WWW-Authenticate` challenge (`null`: none, as
 * §3.1 asks when a request carries no credentials at all).
 */
export const VERIFIER_ERROR_CODES = {
  /** No `Authorization` header, or one without a bearer token. */
  missing_token: { status: 401, error: null, description: 'an access token is required' },
  /** The `Authorization` header is not one `Bearer <token>` (RFC 6750 §2.1). */
  invalid_request: {
    status: 400,
    error: 'invalid_request',
    description: 'the Authorization header is not a single bearer token',
  },
  /** Not a compact JWS, a payload that is not a JSON object, or a required claim missing. */
  malformed: { status: 401, error: 'invalid_token', description: 'the access token is malformed' },
  /** `alg` not among the accepted algorithms (`none`, HS256, …) or not the key's own. */
  wrong_algorithm: {
    status: 401,
    error: 'invalid_token',
    description: 'the access token is signed with an algorithm that is not accepted',
  },
  /** No `kid`, or a `kid` the issuer's JWKS does not hold. */
  unknown_key: {
    status: 401,
    error: 'invalid_token',
    description: 'the access token is signed by an unknown key',
  },
  /** The signature does not verify with the issuer's key. */
  bad_signature: {
    status: 401,
    error: 'invalid_token',
    description: 'the access token signature is invalid',
  },
  /** The JWS `typ` header is not `at+jwt` (RFC 9068 §4). */
  wrong_type: { status: 401, error: 'invalid_token', description: 'not an access token' },
  /** `iss` is not the configured issuer. */
  wrong_issuer: {
    status: 401,
    error: 'invalid_token',
    description: 'the access token is from another issuer',
  },
  /** `aud` does not name the configured audience. */
  wrong_audience: {
    status: 401,
    error: 'invalid_token',
    description: 'the access token is not meant for this audience',
  },
  /** `exp` has passed (beyond the leeway). */
  expired: { status: 401, error: 'invalid_token', description: 'the access token has expired' },
  /** `nbf` or `iat` lies in the future (beyond the leeway). */
  not_yet_valid: {
    status: 401,
    error: 'invalid_token',
    description: 'the access token is not valid yet',
  },
  /** Its session or `jti` was revoked, or a refresh replaced it. */
  revoked: {
    status: 401,
    error: 'invalid_token',
    description: 'the access token has been revoked',
  },
  /** The token lacks a scope the route requires. */
  insufficient_scope: {
    status: 403,
    error: 'insufficient_scope',
    description: 'the access token lacks a required scope',
  },
  /** The issuer's keys or revocation state cannot be had (outage, timeout, bad answer). */
  unavailable: {
    status: 503,
    error: null,
    description: 'the access token cannot be checked right now',
  },
} as const satisfies Record<string, { status: number; error: string | null; description: string }>;

/** One of {@link VERIFIER_ERROR_CODES}, e.g. `expired`. */
export type VerifierErrorCode = keyof typeof VERIFIER_ERROR_CODES;

/**
 * Why {@link Verifier.verify} refused a token. `message` is a fixed public description, safe to
 * send to the caller; it never contains the token. `detail` is for logs only.
 *
 * @example if (error instanceof VerifierError && error.code === 'expired') refreshAndRetry()
 */
export class VerifierError extends Error {
  override readonly name = 'VerifierError';
  readonly code: VerifierErrorCode;
  /** Private detail for logs (a jose error code, a failing URL's status); never a token. */
  readonly detail: string | undefined;

  constructor(code: VerifierErrorCode, options: { detail?: string; cause?: unknown } = {}) {
    super(
      VERIFIER_ERROR_CODES[code].description,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.code = code;
    this.detail = options.detail;
  }

  /** HTTP status a resource server answers with: 401, 400, 403 or 503. */
  get status(): number {
    return VERIFIER_ERROR_CODES[this.code].status;
  }

  /** RFC 6750 §3.1 error code for the `WWW-Authenticate` challenge, or `null` for none. */
  get bearerError(): string | null {
    return VERIFIER_ERROR_CODES[this.code].error;
  }
}

/** True when `value` is a {@link VerifierError}, optionally of the given code. */
export function isVerifierError(value: unknown, code?: VerifierErrorCode): value is VerifierError {
  return value instanceof VerifierError && (code === undefined || value.code === code);
}
