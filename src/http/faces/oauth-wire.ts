import { ERROR_CODES, type TokenSet } from '../../core/index.js';
import { retryHeaders, type ErrorRenderer } from '../errors.js';
import {
  codesAnsweredWith,
  errorResponses,
  type ErrorFormat,
  type JsonSchema,
} from '../openapi.js';

// The OAuth face's wire format: its error body, its token response, and their JSON schemas.

/**
 * OAuth 2.0 error format (RFC 6749 §5.2) plus `reason`, which tells a theft (`reused`) from a
 * timeout (`expired`, `idle`). A 401 names the Basic scheme (RFC 6749 §5.2, RFC 9110 §11.6.1);
 * `invalid_grant` carries no `WWW-Authenticate`.
 */
export const renderOAuthError: ErrorRenderer = (error) => ({
  status: error.status,
  body: { error: error.oauthError, error_description: error.message, reason: error.reason },
  headers: {
    ...retryHeaders(error),
    ...(error.status === 401 ? { 'www-authenticate': 'Basic realm="baton", charset="UTF-8"' } : {}),
  },
});

/** The token response of RFC 6749 §5.1 with Baton's two lifetime fields. */
export interface OAuthTokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token?: string;
  scope?: string;
  refresh_token_expires_in: number;
  session_expires_at: number;
}

/**
 * Renders a token set. Every number derives from the set itself (not from the clock), so a
 * retry inside the grace gets the very same bytes.
 */
export function renderTokenResponse(tokens: TokenSet): OAuthTokenResponse {
  const issuedAt = tokens.accessExpiresAt - tokens.expiresIn;
  return {
    access_token: tokens.accessToken,
    token_type: 'Bearer',
    expires_in: tokens.expiresIn,
    ...(tokens.refreshToken === null ? {} : { refresh_token: tokens.refreshToken }),
    ...(tokens.scope === '' ? {} : { scope: tokens.scope }),
    refresh_token_expires_in: tokens.refreshExpiresAt - issuedAt,
    session_expires_at: tokens.sessionExpiresAt,
  };
}

/** JSON schema of {@link OAuthTokenResponse}, for serialisation and the OpenAPI document. */
export const tokenResponseSchema = {
  type: 'object',
  required: [
    'access_token',
    'token_type',
    'expires_in',
    'refresh_token_expires_in',
    'session_expires_at',
  ],
  properties: {
    access_token: { type: 'string', description: 'RFC 9068 JWT access token' },
    token_type: { type: 'string', enum: ['Bearer'] },
    expires_in: { type: 'integer', description: 'seconds the access token lives' },
    refresh_token: {
      type: 'string',
      description: 'the new refresh token; absent when rotation is off',
    },
    scope: { type: 'string' },
    refresh_token_expires_in: {
      type: 'integer',
      description: 'seconds until the refresh token lapses unless used',
    },
    session_expires_at: {
      type: 'integer',
      description: 'absolute end of the session, epoch seconds',
    },
  },
} as const;

/**
 * The body schema of an OAuth error answered with `status`, with `error` and `reason` narrowed to
 * what that status can carry.
 */
export function oauthErrorSchema(status: number): JsonSchema {
  const codes = codesAnsweredWith(status);
  const values = (field: 'error' | 'reason') => [
    ...new Set(codes.map((code) => ERROR_CODES[code][field])),
  ];
  return {
    type: 'object',
    required: ['error', 'error_description', 'reason'],
    properties: {
      error: { type: 'string', enum: values('error') },
      error_description: { type: 'string', description: 'for people; never parse it' },
      reason: {
        type: 'string',
        enum: values('reason'),
        description:
          'machine-readable: tells a theft (`reused`) from a timeout (`expired`, `idle`)',
      },
    },
  };
}

/** The OAuth face's error format. */
export const OAUTH_ERROR_FORMAT: ErrorFormat = {
  mediaType: 'application/json',
  schema: oauthErrorSchema,
  challenge: 'Basic realm="baton", charset="UTF-8": client authentication failed',
};

/** An OpenAPI request body accepting the same schema as a form or as JSON. */
export const formOrJson = (
  properties: Record<string, unknown>,
  required: string[],
): Record<string, unknown> => {
  const schema = { type: 'object', required, properties };
  return { 'application/x-www-form-urlencoded': { schema }, 'application/json': { schema } };
};

/**
 * OpenAPI responses for the given error statuses in the OAuth error format, plus 431 and 500,
 * which any request can get.
 *
 * @example oauthErrors([400, 401, 429, 503])
 */
export const oauthErrors = (statuses: readonly number[]): Record<string, unknown> =>
  errorResponses(
    OAUTH_ERROR_FORMAT,
    [...statuses, 431, 500].sort((a, b) => a - b),
  );

/** JSON schema of the revocation list (`GET /oauth/revocations`). */
export const revocationListSchema = {
  type: 'object',
  required: ['cursor', 'sessions', 'jtis'],
  properties: {
    cursor: { type: 'string', description: 'pass as `after` next time' },
    sessions: {
      type: 'array',
      items: {
        type: 'object',
        required: ['sid', 'revokedAt'],
        properties: {
          sid: { type: 'string' },
          revokedAt: { type: 'integer', description: 'epoch seconds' },
        },
      },
    },
    jtis: {
      type: 'array',
      items: {
        type: 'object',
        required: ['jti', 'exp'],
        properties: {
          jti: { type: 'string' },
          exp: { type: 'integer', description: 'epoch seconds; drop the entry after it' },
        },
      },
    },
  },
} as const;

/** The RFC 7662 introspection response; only `active` when the token is not active. */
export const introspectionSchema = {
  type: 'object',
  required: ['active'],
  properties: {
    active: { type: 'boolean' },
    token_type: { type: 'string', enum: ['Bearer', 'refresh_token'] },
    client_id: { type: 'string' },
    sub: { type: 'string' },
    iss: { type: 'string' },
    aud: { type: 'string' },
    exp: { type: 'integer', description: 'epoch seconds' },
    iat: { type: 'integer', description: 'epoch seconds' },
    jti: { type: 'string' },
    sid: { type: 'string', description: 'the session id' },
    scope: { type: 'string' },
  },
} as const;

/** The JSON Web Key Set (RFC 7517 §5) of the public signing keys. */
export const jwksSchema = {
  type: 'object',
  required: ['keys'],
  properties: {
    keys: {
      type: 'array',
      items: {
        type: 'object',
        required: ['kty', 'kid', 'alg'],
        properties: {
          kty: { type: 'string', enum: ['OKP', 'EC', 'RSA'] },
          kid: { type: 'string' },
          alg: { type: 'string', enum: ['EdDSA', 'ES256', 'RS256'] },
          use: { type: 'string', enum: ['sig'] },
          crv: { type: 'string' },
          x: { type: 'string' },
          y: { type: 'string' },
          n: { type: 'string' },
          e: { type: 'string' },
        },
      },
    },
  },
} as const;

const url = { type: 'string', format: 'uri' } as const;
const strings = { type: 'array', items: { type: 'string' } } as const;

/** Authorization server metadata (RFC 8414 §2) as Baton publishes it, with Baton's own fields. */
export const metadataSchema = {
  type: 'object',
  required: ['issuer', 'token_endpoint', 'jwks_uri', 'grant_types_supported'],
  properties: {
    issuer: url,
    token_endpoint: url,
    revocation_endpoint: url,
    introspection_endpoint: url,
    jwks_uri: url,
    grant_types_supported: strings,
    response_types_supported: strings,
    token_endpoint_auth_methods_supported: strings,
    revocation_endpoint_auth_methods_supported: strings,
    introspection_endpoint_auth_methods_supported: strings,
    service_documentation: url,
    baton_reuse_grace_seconds: {
      type: 'integer',
      description:
        'seconds a lost refresh answer can be recovered by retrying with the same token (a client may have a shorter grace)',
    },
    baton_revocation_list_endpoint: url,
  },
} as const;
