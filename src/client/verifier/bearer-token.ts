import { VerifierError } from './verifier-error.js';

/** Longest token read from a header, in characters; a Baton access token is under 2 KiB. */
export const MAX_TOKEN_CHARS = 8192;

/** RFC 6750 §2.1: `Bearer` (any case), one or more spaces, a b64token. */
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * The token of an `Authorization: Bearer <token>` header (RFC 6750 §2.1). No header, or one of
 * another scheme, is `missing_token`; repeated headers or a bearer value that is not one
 * b64token is `invalid_request`.
 *
 * @example readBearerToken(request.headers.authorization)
 */
export function readBearerToken(header: string | readonly string[] | undefined): string {
  if (header === undefined || header === '') throw new VerifierError('missing_token');
  if (typeof header !== 'string') {
    throw new VerifierError('invalid_request', { detail: 'more than one Authorization header' });
  }
  if (!/^bearer(?: |$)/i.test(header))
    throw new VerifierError('missing_token', { detail: 'not the Bearer scheme' });
  if (header.length > MAX_TOKEN_CHARS + 16)
    throw new VerifierError('invalid_request', { detail: 'the bearer token is too long' });
  const token = BEARER.exec(header)?.[1];
  if (token === undefined)
    throw new VerifierError('invalid_request', { detail: 'the bearer value is not a b64token' });
  return token;
}
