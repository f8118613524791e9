/**
 * Why a {@link TokenClientError} was thrown: a closed set.
 *
 * - `ERR_CONFIG`: the options are invalid (thrown by `createTokenClient`).
 * - `ERR_NO_SESSION`: there is no session to use (none was given, or it ended before).
 * - `ERR_SESSION_ENDED`: the server ended the session during this call; `reason` says why.
 * - `ERR_NETWORK`: the server could not be reached, within the retries the reuse grace allows.
 * - `ERR_UNAVAILABLE`: the server answered 5xx, within the retries the reuse grace allows.
 * - `ERR_RATE_LIMITED`: the server answered 429; `retryAfter` says for how many seconds.
 * - `ERR_INVALID_CLIENT`: client authentication failed (wrong `clientId` or `clientSecret`).
 * - `ERR_REFUSED`: the server refused the request as malformed (a 4xx that ends nothing).
 * - `ERR_BAD_RESPONSE`: a success answer without the tokens the dialect promises.
 * - `ERR_STORAGE`: the storage adapter failed, so new tokens could not be kept.
 */
export type TokenClientErrorCode =
  | 'ERR_CONFIG'
  | 'ERR_NO_SESSION'
  | 'ERR_SESSION_ENDED'
  | 'ERR_NETWORK'
  | 'ERR_UNAVAILABLE'
  | 'ERR_RATE_LIMITED'
  | 'ERR_INVALID_CLIENT'
  | 'ERR_REFUSED'
  | 'ERR_BAD_RESPONSE'
  | 'ERR_STORAGE';

/**
 * The one error class of the client SDK. Messages never contain a token.
 *
 * @example if (error instanceof TokenClientError && error.code === 'ERR_SESSION_ENDED') signIn();
 */
export class TokenClientError extends Error {
  override readonly name = 'TokenClientError';
  /** Seconds the server asked to wait (429), when it said. */
  retryAfter: number | undefined;

  constructor(
    readonly code: TokenClientErrorCode,
    message: string,
    /** Why the session ended (`ERR_SESSION_ENDED`, `ERR_NO_SESSION`), e.g. `reused`. */
    readonly reason?: string,
    /** The HTTP status that caused the error, when there was one. */
    readonly status?: number,
  ) {
    super(message);
  }
}
