import type { FastifyInstance } from 'fastify';
import { MAX_ACCESS_TTL, MAX_REFRESH_TTL, MAX_REUSE_GRACE } from '../../core/config.js';
import { BatonError } from '../../core/errors.js';
import { SECURITY_EVENT_TYPES, type SecurityEventType } from '../../core/store.js';
import type { ClientInput } from '../../core/clients.js';
import { DIALECT_NAMES } from '../../core/dialects.js';
import { MAX_ORIGINS } from '../../core/origins.js';
import type { IssueSessionInput } from '../../core/issue-session.js';
import type { TokenService } from '../../core/token-service.js';
import type { TokenSet } from '../../core/token-set.js';
import { readBearer } from '../client-auth.js';
import { renderAdminError } from '../errors.js';

const MAX_PAGE = 500;

const ttl = (max: number, description: string) => ({
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

const sessionView = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    subject: { type: 'string' },
    clientId: { type: 'string' },
    scope: { type: 'string' },
    claims: { type: 'object' },
    status: { type: 'string', enum: ['active', 'revoked', 'expired', 'idle'] },
    createdAt: { type: 'integer' },
    expiresAt: { type: 'integer' },
    idleTtl: { type: 'integer' },
    idleExpiresAt: { type: 'integer' },
    accessTtl: { type: 'integer' },
    rotate: { type: 'boolean' },
    lastActiveAt: { type: 'integer' },
    generation: { type: 'integer' },
    revokedAt: { type: ['integer', 'null'] },
    revokeReason: { type: ['string', 'null'] },
  },
} as const;

const idParams = (name: string) => ({
  type: 'object',
  required: [name],
  properties: { [name]: { type: 'string', minLength: 1, maxLength: 255 } },
});

const digits = { type: 'string', pattern: '^[0-9]{1,15}$' };

function page(limit: string | undefined): number {
  return limit === undefined ? 100 : Math.min(Math.max(Number(limit), 1), MAX_PAGE);
}

function epochSeconds(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (/^[0-9]{1,15}$/.test(value)) return Number(value);
  const parsed = Date.parse(value);
  if (Number.isNaN(parsed))
    throw new BatonError('ERR_INVALID_REQUEST', 'since must be epoch seconds or an ISO 8601 date');
  return Math.floor(parsed / 1000);
}

const doc = (summary: string, extra: Record<string, unknown> = {}) => ({
  tags: ['Admin'],
  summary,
  security: [{ adminBearer: [] }],
  ...extra,
});

/** The admin API: sessions, subjects, keys, events and clients, behind the admin token. */
export async function adminFace(
  app: FastifyInstance,
  { service }: { service: TokenService },
): Promise<void> {
  const config = { face: 'admin', renderError: renderAdminError };

  app.addHook('onRequest', async (request) => {
    await service.authenticateAdmin(readBearer(request), request.ip);
  });

  app.post<{ Body: IssueSessionInput }>(
    '/admin/sessions',
    {
      config: { ...config, openapi: doc('Start a session for a signed-in subject') },
      schema: { body: mintSessionSchema },
    },
    async (request, reply) => {
      return reply.code(201).send(renderIssuedSession(await service.issueSession(request.body)));
    },
  );

  app.get<{ Querystring: { subject?: string; clientId?: string; after?: string; limit?: string } }>(
    '/admin/sessions',
    {
      config: { ...config, openapi: doc('List sessions, by subject or client, in id order') },
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            subject: { type: 'string', minLength: 1, maxLength: 255 },
            clientId: { type: 'string', minLength: 1, maxLength: 64 },
            after: { type: 'string', maxLength: 255 },
            limit: digits,
          },
        },
      },
    },
    async (request) => {
      const { subject, clientId, after, limit } = request.query;
      const size = page(limit);
      const sessions = await service.listSessions({
        limit: size,
        ...(subject === undefined ? {} : { subject }),
        ...(clientId === undefined ? {} : { clientId }),
        ...(after === undefined ? {} : { after }),
      });
      return {
        sessions,
        nextCursor: sessions.length === size ? (sessions.at(-1)?.id ?? null) : null,
      };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/admin/sessions/:id',
    {
      config: {
        ...config,
        openapi: doc('Show a session', {
          responses: {
            '200': {
              description: 'session',
              content: { 'application/json': { schema: sessionView } },
            },
          },
        }),
      },
      schema: { params: idParams('id') },
    },
    async (request) => {
      const session = await service.getSession(request.params.id);
      if (session === undefined) throw new BatonError('ERR_NOT_FOUND', 'no such session');
      return session;
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/admin/sessions/:id',
    {
      config: { ...config, openapi: doc('Revoke a session (logout)') },
      schema: { params: idParams('id') },
    },
    async (request) => {
      const revoked = await service.revokeSession(request.params.id, 'admin', request.ip);
      return { revoked, session: await service.getSession(request.params.id) };
    },
  );

  app.delete<{ Params: { subject: string } }>(
    '/admin/subjects/:subject/sessions',
    {
      config: {
        ...config,
        openapi: doc('Revoke every session of a subject (sign out everywhere)'),
      },
      schema: { params: idParams('subject') },
    },
    async (request) => ({ revoked: await service.revokeSubject(request.params.subject) }),
  );

  app.get(
    '/admin/keys',
    { config: { ...config, openapi: doc('List signing keys') } },
    async () => ({ keys: await service.listKeys() }),
  );

  app.post(
    '/admin/keys/rotate',
    { config: { ...config, openapi: doc('Rotate the signing key') } },
    async (_request, reply) => reply.code(201).send({ key: await service.rotateKeys() }),
  );

  app.get<{
    Querystring: { type?: SecurityEventType; since?: string; after?: string; limit?: string };
  }>(
    '/admin/events',
    {
      config: { ...config, openapi: doc('List security events, oldest first') },
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            type: { type: 'string', enum: SECURITY_EVENT_TYPES },
            since: { type: 'string', maxLength: 40 },
            after: digits,
            limit: digits,
          },
        },
      },
    },
    async (request) => {
      const { type, since, after, limit } = request.query;
      const size = page(limit);
      const sinceAt = epochSeconds(since);
      const events = await service.listEvents({
        limit: size,
        ...(type === undefined ? {} : { type }),
        ...(sinceAt === undefined ? {} : { since: sinceAt }),
        ...(after === undefined ? {} : { afterId: Number(after) }),
      });
      return { events, nextCursor: events.length === size ? (events.at(-1)?.id ?? null) : null };
    },
  );

  app.get('/admin/clients', { config: { ...config, openapi: doc('List clients') } }, async () => ({
    clients: await service.listClients(),
  }));

  app.post<{ Body: ClientInput }>(
    '/admin/clients',
    {
      config: {
        ...config,
        openapi: doc('Register a client; a confidential client gets its secret once'),
      },
      schema: { body: createClientSchema },
    },
    async (request, reply) => reply.code(201).send(await service.createClient(request.body)),
  );

  app.delete<{ Params: { id: string } }>(
    '/admin/clients/:id',
    {
      config: { ...config, openapi: doc('Remove a client and revoke its sessions') },
      schema: { params: idParams('id') },
    },
    async (request) => service.deleteClient(request.params.id),
  );
}
