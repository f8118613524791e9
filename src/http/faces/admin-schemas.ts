import {
  BatonError,
  DIALECT_NAMES,
  MAX_ACCESS_TTL,
  MAX_ORIGINS,
  MAX_REFRESH_TTL,
  MAX_REUSE_GRACE,
  type TokenSet,
} from '../../core/index.js';
import { adminErrors, jsonContent } from '../openapi.js';
import {} from '../docs/admin-views.js';

// The admin API's request schemas, paging and OpenAPI helpers.

export const MAX_PAGE = 500;

export const ttl = (max: number, description: string) => ({
  type: 'integer',
  minimum: 1,
  maximum: max,
  description,
});

/** The answer of `POST /admin/sessions` (and of `baton mint`). */
export function renderIssuedSession(issued: TokenSet): Record<string, unknown> {
  return {
    sessionId: issued.sessionId,
    accessToken: issued.accessToken,
    refreshToken: issued.refreshToken,
    tokenType: issued.tokenType,
    expiresIn: issued.expiresIn,
    refreshExpiresAt: issued.refreshExpiresAt,
    sessionExpiresAt: issued.sessionExpiresAt,
    scope: issued.scope,
  };
}

/** Request body of `POST /admin/sessions`. */
export const mintSessionSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['subject'],
  properties: {
    subject: { type: 'string', minLength: 1, maxLength: 255 },
    clientId: { type: 'string', minLength: 1, maxLength: 64 },
    scope: { type: 'string', maxLength: 1024, description: 'space-separated scope tokens' },
    claims: { type: 'object', description: 'custom claims copied into every access token' },
    accessTtl: ttl(MAX_ACCESS_TTL, 'access-token lifetime, seconds'),
    refreshTtl: ttl(MAX_REFRESH_TTL, 'absolute session lifetime, seconds'),
    idleTtl: ttl(MAX_REFRESH_TTL, 'idle lifetime, seconds'),
  },
} as const;

/** Request body of `POST /admin/clients`. */
export const createClientSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: {
    id: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._~-]*$' },
    confidential: { type: 'boolean', description: 'issue a secret; the client must authenticate' },
    accessTtl: ttl(MAX_ACCESS_TTL, 'access-token lifetime, seconds'),
    refreshTtl: ttl(MAX_REFRESH_TTL, 'absolute session lifetime, seconds'),
    idleTtl: ttl(MAX_REFRESH_TTL, 'idle lifetime, seconds'),
    reuseGrace: {
      type: 'integer',
      minimum: 0,
      maximum: MAX_REUSE_GRACE,
      description: 'reuse grace, seconds',
    },
    rotate: { type: 'boolean' },
    audience: { type: 'string', minLength: 1, maxLength: 255 },
    dialects: {
      type: 'array',
      maxItems: DIALECT_NAMES.length,
      uniqueItems: true,
      items: { type: 'string', enum: [...DIALECT_NAMES] },
      description:
        "dialects through which this client's sessions may be refreshed; omit for the default (all for a public client, none for a confidential one)",
    },
    allowedOrigins: {
      type: 'array',
      maxItems: MAX_ORIGINS,
      uniqueItems: true,
      items: { type: 'string', minLength: 1, maxLength: 255 },
      description:
        "browser origins (scheme://host[:port]) that may refresh this client's sessions (CORS), besides the service-wide list",
    },
    replace: { type: 'boolean', description: 'replace a client of the same id (new secret)' },
  },
} as const;

export const idParams = (name: string) => ({
  type: 'object',
  required: [name],
  properties: { [name]: { type: 'string', minLength: 1, maxLength: 255 } },
});

export const digits = { type: 'string', pattern: '^[0-9]{1,15}$' };

export function page(limit: string | undefined): number {
  return limit === undefined ? 100 : Math.min(Math.max(Number(limit), 1), MAX_PAGE);
}

export function epochSeconds(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (/^[0-9]{1,15}$/.test(value)) return Number(value);
  const parsed = Date.parse(value);
  if (Number.isNaN(parsed))
    throw new BatonError('ERR_INVALID_REQUEST', 'since must be epoch seconds or an ISO 8601 date');
  return Math.floor(parsed / 1000);
}

/** Descriptions of query parameters; their schemas come from the route's own. */
export const queryDescriptions = (descriptions: Record<string, string>) =>
  Object.entries(descriptions).map(([name, description]) => ({ name, in: 'query', description }));

/**
 * The OpenAPI operation of an admin route: its success response and its error statuses, besides
 * the 401, 429 and 503 every admin route can answer.
 */
export const doc = (
  operationId: string,
  summary: string,
  success: { status: number; description: string; schema: unknown },
  errors: number[] = [],
  extra: Record<string, unknown> = {},
) => ({
  tags: ['Admin'],
  operationId,
  summary,
  security: [{ adminBearer: [] }],
  ...extra,
  responses: {
    [success.status]: {
      description: success.description,
      content: jsonContent(success.schema as Record<string, unknown>),
    },
    ...adminErrors([401, 429, 503, ...errors]),
  },
});
