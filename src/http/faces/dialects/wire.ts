import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BatonError, type ErrorCode, type TokenSet } from '../../../core/index.js';
import { retryHeaders } from '../../errors.js';
import { codesAnsweredWith, errorResponses, type JsonSchema } from '../../openapi.js';

// What the five dialects share: reading a credential header, their status codes, and the
// numbers of a token set.

/** Longest accepted token in a dialect header or field, in characters. */
export const MAX_TOKEN_LENGTH = 4096;

/** Failures that are a malformed request in every dialect (400). */
const MALFORMED: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'ERR_INVALID_REQUEST',
  'ERR_UNSUPPORTED_MEDIA_TYPE',
  'ERR_BODY_TOO_LARGE',
  'ERR_HEADERS_TOO_LARGE',
]);

/** Failures of the HTTP exchange itself rather than of a credential. */
const PROTOCOL: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'ERR_NOT_FOUND',
  'ERR_METHOD_NOT_ALLOWED',
  'ERR_REQUEST_TIMEOUT',
]);

/**
 * The status a dialect answers for a core error: 400 for a malformed request, 404, 429, 500 and
 * 503 as they are, and `credentialStatus` (401, or aisquare's 400) for every credential that is not
 * valid, whatever the reason.
 */
export function dialectStatus(error: BatonError, credentialStatus = 401): number {
  if (MALFORMED.has(error.code)) return 400;
  // HTTP-level answers (no route, wrong method, too slow) keep their status on every face.
  if (PROTOCOL.has(error.code)) return error.status;
  // Not a credential problem: the browser's origin is not allowed (CORS), on every face alike.
  if (error.code === 'ERR_ORIGIN_NOT_ALLOWED') return 403;
  if (error.status === 429 || error.status >= 500) return error.status;
  return credentialStatus;
}

/** Headers of a dialect error: the retry hints, and a challenge on 401 (RFC 9110 §15.5.2). */
export function dialectErrorHeaders(error: BatonError, status: number): Record<string, string> {
  return {
    ...retryHeaders(error),
    ...(status === 401
      ? { 'www-authenticate': 'Bearer realm="baton", error="invalid_token"' }
      : {}),
  };
}

/** The error codes a dialect answers with `status`, given its status for a bad credential. */
export function dialectErrorCodes(status: number, credentialStatus = 401): ErrorCode[] {
  return codesAnsweredWith(status, (code) =>
    dialectStatus(new BatonError(code, code), credentialStatus),
  );
}

/**
 * OpenAPI responses of a dialect's errors: one per status of `descriptions` (in the dialect's
 * own words), with the body `schema` (one for all, or one per status), `Retry-After` on 429 and
 * 503 and the `WWW-Authenticate` challenge on 401.
 *
 * @example dialectErrors({ 400: 'malformed request', 401: 'token not valid' }, errorSchema)
 */
export function dialectErrors(
  descriptions: Readonly<Record<number, string>>,
  schema: JsonSchema | ((status: number) => JsonSchema),
  mediaType = 'application/json',
): Record<string, unknown> {
  return errorResponses(
    {
      mediaType,
      schema: typeof schema === 'function' ? schema : () => schema,
      challenge: 'Bearer realm="baton", error="invalid_token": the credential is not valid',
    },
    Object.keys(descriptions).map(Number),
    descriptions,
  );
}

function malformed(description: string): BatonError {
  return new BatonError('ERR_INVALID_REQUEST', description);
}

/**
 * The trimmed value of a credential header. Absent, empty, sent twice (Node keeps only one
 * `authorization`, so the raw headers are counted) or longer than {@link MAX_TOKEN_LENGTH}
 * characters is a malformed request.
 */
export function readCredentialHeader(request: FastifyRequest, name: string, label: string): string {
  const raw = request.raw.rawHeaders;
  let value: string | undefined;
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) {
    if ((raw[i] as string).toLowerCase() === name) {
      count++;
      value = raw[i + 1];
    }
  }
  if (count > 1) throw malformed(`the ${label} header must be sent once`);
  const trimmed = value?.trim() ?? '';
  if (trimmed === '') throw malformed(`the ${label} header is required`);
  if (trimmed.length > MAX_TOKEN_LENGTH) throw malformed(`the ${label} header is too long`);
  return trimmed;
}

/** A header value with an optional `Bearer` scheme removed; the scheme alone is malformed. */
export function withoutBearer(value: string, label: string): string {
  const match = /^bearer(?:[ \t]+(.*))?$/is.exec(value);
  if (match === null) return value;
  const token = match[1]?.trim() ?? '';
  if (token === '') throw malformed(`the ${label} header has no token after Bearer`);
  return token;
}

/** A token field of a dialect body: required, a string, at most `maxLength` characters. */
export function requireTokenField(
  read: (name: string) => string | undefined,
  name: string,
  maxLength = MAX_TOKEN_LENGTH,
): string {
  const value = read(name)?.trim();
  if (value === undefined || value === '') throw malformed(`${name} is required`);
  if (value.length > maxLength) throw malformed(`${name} is longer than ${maxLength} characters`);
  return value;
}

/** When the access token of a token set was issued; every number below derives from the set. */
const issuedAt = (tokens: TokenSet): number => tokens.accessExpiresAt - tokens.expiresIn;

/** Whole minutes the access token of a token set lives, rounded down. */
export const accessMinutes = (tokens: TokenSet): number => Math.floor(tokens.expiresIn / 60);

/** Whole minutes without a refresh before the session lapses (idle limit or end), rounded down. */
export const idleMinutes = (tokens: TokenSet): number =>
  Math.floor((tokens.refreshExpiresAt - issuedAt(tokens)) / 60);

/**
 * Makes a dialect ignore request bodies (payabli's POST and transak's GET carry none): any
 * content type is accepted and dropped, still within the body limit.
 */
export function ignoreBodies(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, _body, done) => {
    done(null, undefined);
  });
}
