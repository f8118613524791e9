/**
 * The closed set of failures Baton reports. Each code knows its HTTP status, its OAuth 2.0
 * `error` string and, for `invalid_grant`, the machine-readable `reason` that lets a client
 * tell a theft (`reused`) from a timeout (`expired`, `idle`).
 *
 * `docs/errors.md` lists every code; `test/core/errors-doc.test.ts` keeps the two in sync.
 */
export const ERROR_CODES = {
  ERR_INVALID_REQUEST: { status: 400, error: 'invalid_request', reason: 'invalid_request' },
  ERR_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    error: 'invalid_request',
    reason: 'unsupported_media_type',
  },
  ERR_BODY_TOO_LARGE: { status: 413, error: 'invalid_request', reason: 'body_too_large' },
  ERR_HEADERS_TOO_LARGE: {
    status: 431,
    error: 'invalid_request',
    reason: 'headers_too_large',
  },
  ERR_UNSUPPORTED_GRANT_TYPE: {
    status: 400,
    error: 'unsupported_grant_type',
    reason: 'unsupported_grant_type',
  },
  ERR_INVALID_SCOPE: { status: 400, error: 'invalid_scope', reason: 'invalid_scope' },
  ERR_INVALID_CLIENT: { status: 401, error: 'invalid_client', reason: 'invalid_client' },
  ERR_UNAUTHORIZED_CLIENT: {
    status: 400,
    error: 'unauthorized_client',
    reason: 'client_mismatch',
  },
  ERR_REFRESH_TOKEN_UNKNOWN: { status: 400, error: 'invalid_grant', reason: 'unknown' },
  ERR_REFRESH_TOKEN_REUSED: { status: 400, error: 'invalid_grant', reason: 'reused' },
  ERR_SESSION_EXPIRED: { status: 400, error: 'invalid_grant', reason: 'expired' },
  ERR_SESSION_IDLE: { status: 400, error: 'invalid_grant', reason: 'idle' },
  ERR_SESSION_REVOKED: { status: 400, error: 'invalid_grant', reason: 'revoked' },
  ERR_CLIENT_MISMATCH: { status: 400, error: 'invalid_grant', reason: 'client_mismatch' },
  ERR_ACCESS_TOKEN_INVALID: { status: 401, error: 'invalid_token', reason: 'invalid_token' },
  ERR_DIALECT_DISABLED: {
    status: 403,
    error: 'unauthorized_client',
    reason: 'dialect_disabled',
  },
  ERR_ORIGIN_NOT_ALLOWED: {
    status: 403,
    error: 'unauthorized_client',
    reason: 'origin_not_allowed',
  },
  ERR_ADMIN_UNAUTHORIZED: { status: 401, error: 'unauthorized', reason: 'unauthorized' },
  ERR_NOT_FOUND: { status: 404, error: 'not_found', reason: 'not_found' },
  ERR_METHOD_NOT_ALLOWED: {
    status: 405,
    error: 'invalid_request',
    reason: 'method_not_allowed',
  },
  ERR_REQUEST_TIMEOUT: { status: 408, error: 'invalid_request', reason: 'request_timeout' },
  ERR_CONFLICT: { status: 409, error: 'conflict', reason: 'conflict' },
  ERR_RATE_LIMITED: { status: 429, error: 'temporarily_unavailable', reason: 'rate_limited' },
  ERR_STORE_UNAVAILABLE: {
    status: 503,
    error: 'temporarily_unavailable',
    reason: 'store_unavailable',
  },
  ERR_INVALID_CONFIG: { status: 500, error: 'server_error', reason: 'invalid_config' },
  ERR_INTERNAL: { status: 500, error: 'server_error', reason: 'internal' },
} as const satisfies Record<string, { status: number; error: string; reason: string }>;

/** One of Baton's error codes, e.g. `ERR_REFRESH_TOKEN_REUSED`. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** Options of a {@link BatonError}: what the wire may see and what only the logs may. */
export interface BatonErrorOptions {
  /** Private detail for logs; never sent to a client. */
  detail?: string;
  /** Seconds the client should wait before retrying (rate limits). */
  retryAfter?: number;
  cause?: unknown;
}

/**
 * The one error class of the service. `message` is the public description (safe for the wire);
 * `detail` is private.
 *
 * @example throw new BatonError('ERR_SESSION_EXPIRED', 'the session has expired')
 */
export class BatonError extends Error {
  override readonly name = 'BatonError';
  readonly code: ErrorCode;
  readonly detail: string | undefined;
  readonly retryAfter: number | undefined;

  constructor(code: ErrorCode, description: string, options: BatonErrorOptions = {}) {
    super(description, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.detail = options.detail;
    this.retryAfter = options.retryAfter;
  }

  /** HTTP status for this error. */
  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  /** OAuth 2.0 `error` value. */
  get oauthError(): string {
    return ERROR_CODES[this.code].error;
  }

  /** Machine-readable reason (`reused`, `expired`, `idle`, `revoked`, `unknown`, …). */
  get reason(): string {
    return ERROR_CODES[this.code].reason;
  }
}

/** True when `value` is a {@link BatonError}, optionally of the given code. */
export function isBatonError(value: unknown, code?: ErrorCode): value is BatonError {
  return value instanceof BatonError && (code === undefined || value.code === code);
}
