import type { TokenSet } from '../../core/token-set.js';
import { retryHeaders, type ErrorRenderer } from '../errors.js';

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

export const oauthErrorSchema = {
  type: 'object',
  required: ['error', 'error_description', 'reason'],
  properties: {
    error: { type: 'string' },
    error_description: { type: 'string' },
    reason: {
      type: 'string',
      description: 'machine-readable reason: reused, expired, idle, revoked, unknown, …',
    },
  },
} as const;

/** An OpenAPI request body accepting the same schema as a form or as JSON. */
export const formOrJson = (
  properties: Record<string, unknown>,
  required: string[],
): Record<string, unknown> => {
  const schema = { type: 'object', required, properties };
  return { 'application/x-www-form-urlencoded': { schema }, 'application/json': { schema } };
};

/** OpenAPI responses for the given error statuses, in the OAuth error format. */
export const errorResponses = (statuses: number[]): Record<string, unknown> =>
  Object.fromEntries(
    statuses.map((status) => [
      String(status),
      {
        description: `error (${status})`,
        content: { 'application/json': { schema: oauthErrorSchema } },
      },
    ]),
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
