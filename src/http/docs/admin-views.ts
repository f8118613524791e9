import { DIALECT_NAMES, SECURITY_EVENT_TYPES } from '../../core/index.js';

// The JSON schemas of what the admin API answers, for the OpenAPI document.

const epoch = (description: string) => ({
  type: 'integer',
  description: `${description}, epoch seconds`,
});
const seconds = (description: string) => ({
  type: 'integer',
  description: `${description}, seconds`,
});
/** A schema of `type` or null. */
export const orNull = (type: string, description: string) => ({
  type: [type, 'null'],
  description,
});

/** A session as operators see it (`SessionView`). */
export const sessionView = {
  type: 'object',
  required: [
    'id',
    'subject',
    'clientId',
    'scope',
    'claims',
    'status',
    'createdAt',
    'expiresAt',
    'idleTtl',
    'idleExpiresAt',
    'accessTtl',
    'rotate',
    'lastActiveAt',
    'generation',
    'revokedAt',
    'revokeReason',
  ],
  properties: {
    id: { type: 'string' },
    subject: { type: 'string' },
    clientId: { type: 'string' },
    scope: { type: 'string', description: 'space-separated; empty for none' },
    claims: { type: 'object', description: 'custom claims copied into every access token' },
    status: { type: 'string', enum: ['active', 'revoked', 'expired', 'idle'] },
    createdAt: epoch('start of the session'),
    expiresAt: epoch('absolute end of the session'),
    idleTtl: seconds('idle lifetime'),
    idleExpiresAt: epoch('end of the session unless refreshed before'),
    accessTtl: seconds('access-token lifetime'),
    rotate: { type: 'boolean', description: 'whether refreshes rotate the refresh token' },
    lastActiveAt: epoch('last sign-in or refresh'),
    generation: { type: 'integer', description: 'number of refreshes so far' },
    revokedAt: { type: ['integer', 'null'], description: 'epoch seconds; null while not revoked' },
    revokeReason: orNull('string', 'why the session was revoked (`admin`, `reused`, …)'),
  },
} as const;

/** The answer of `POST /admin/sessions` (`renderIssuedSession`). */
export const issuedSessionSchema = {
  type: 'object',
  required: [
    'sessionId',
    'accessToken',
    'refreshToken',
    'tokenType',
    'expiresIn',
    'refreshExpiresAt',
    'sessionExpiresAt',
    'scope',
  ],
  properties: {
    sessionId: { type: 'string' },
    accessToken: { type: 'string', description: 'RFC 9068 JWT access token' },
    refreshToken: { type: 'string' },
    tokenType: { type: 'string', enum: ['Bearer'] },
    expiresIn: seconds('lifetime of the access token'),
    refreshExpiresAt: epoch('end of the refresh token unless used (idle limit or session end)'),
    sessionExpiresAt: epoch('absolute end of the session'),
    scope: { type: 'string' },
  },
} as const;

/** A client as operators see it (`ClientView`); `null` settings take the service defaults. */
export const clientView = {
  type: 'object',
  required: [
    'id',
    'confidential',
    'accessTtl',
    'refreshTtl',
    'idleTtl',
    'reuseGrace',
    'rotate',
    'audience',
    'dialects',
    'allowedOrigins',
    'createdAt',
  ],
  properties: {
    id: { type: 'string' },
    confidential: { type: 'boolean', description: 'has a secret and must authenticate' },
    accessTtl: orNull('integer', 'access-token lifetime, seconds'),
    refreshTtl: orNull('integer', 'absolute session lifetime, seconds'),
    idleTtl: orNull('integer', 'idle lifetime, seconds'),
    reuseGrace: orNull('integer', 'reuse grace, seconds'),
    rotate: orNull('boolean', 'whether refreshes rotate the refresh token'),
    audience: orNull('string', '`aud` of the access tokens; the issuer when null'),
    dialects: {
      type: ['array', 'null'],
      items: { type: 'string', enum: [...DIALECT_NAMES] },
      description: 'dialects allowed for this client; null for the default',
    },
    allowedOrigins: {
      type: ['array', 'null'],
      items: { type: 'string' },
      description: "browser origins that may refresh this client's sessions (CORS); null for none",
    },
    createdAt: epoch('registration'),
  },
} as const;

/** A signing key as operators see it (`KeyView`). */
export const keyView = {
  type: 'object',
  required: ['kid', 'alg', 'status', 'createdAt', 'retiredAt', 'publishedUntil'],
  properties: {
    kid: { type: 'string' },
    alg: { type: 'string', enum: ['EdDSA', 'ES256', 'RS256', 'HS256'] },
    status: { type: 'string', enum: ['active', 'retired'] },
    createdAt: epoch('creation'),
    retiredAt: orNull('integer', 'epoch seconds; null for the active key'),
    publishedUntil: orNull(
      'integer',
      'until when a retired key stays in the JWKS, epoch seconds; null for the active key',
    ),
  },
} as const;

/** A security event (`SecurityEvent`). */
export const eventView = {
  type: 'object',
  required: ['id', 'type', 'at', 'sessionId', 'subject', 'clientId', 'ip', 'detail'],
  properties: {
    id: { type: 'integer', description: 'increasing; the cursor of `after`' },
    type: { type: 'string', enum: SECURITY_EVENT_TYPES },
    at: epoch('when it happened'),
    sessionId: orNull('string', 'the session concerned'),
    subject: orNull('string', 'the subject concerned'),
    clientId: orNull('string', 'the client concerned'),
    ip: orNull('string', "the caller's IP"),
    detail: orNull('string', 'a failure reason or a key id'),
  },
} as const;

/** An object schema whose properties are all required unless `required` says otherwise. */
export const object = (
  properties: Record<string, unknown>,
  required = Object.keys(properties),
) => ({
  type: 'object',
  required,
  properties,
});
/** An array schema of `items`. */
export const listOf = (items: unknown) => ({ type: 'array', items });
