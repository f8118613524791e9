import type { FastifyInstance } from 'fastify';
import {
  BatonError,
  DIALECT_NAMES,
  MAX_ACCESS_TTL,
  MAX_ORIGINS,
  MAX_REFRESH_TTL,
  MAX_REUSE_GRACE,
  SECURITY_EVENT_TYPES,
  type ClientInput,
  type IssueSessionInput,
  type SecurityEventType,
  type TokenService,
  type TokenSet,
} from '../../core/index.js';
import { readBearer } from '../client-auth.js';
import { renderAdminError } from '../errors.js';
import { adminErrors, jsonContent } from '../openapi.js';
import {
  clientView,
  eventView,
  issuedSessionSchema,
  keyView,
  listOf,
  object,
  orNull,
  sessionView,
} from '../docs/admin-views.js';

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

/** Descriptions of query parameters; their schemas come from the route's own. */
const queryDescriptions = (descriptions: Record<string, string>) =>
  Object.entries(descriptions).map(([name, description]) => ({ name, in: 'query', description }));

/**
 * The OpenAPI operation of an admin route: its success response and its error statuses, besides
 * the 401, 429 and 503 every admin route can answer.
 */
const doc = (
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
      config: {
        ...config,
        openapi: doc(
          'createSession',
          'Start a session for a signed-in subject',
          {
            status: 201,
            description: 'The new session and its tokens',
            schema: issuedSessionSchema,
          },
          [400, 413, 415],
        ),
      },
      schema: { body: mintSessionSchema },
    },
    async (request, reply) => {
      return reply.code(201).send(renderIssuedSession(await service.issueSession(request.body)));
    },
  );

  app.get<{ Querystring: { subject?: string; clientId?: string; after?: string; limit?: string } }>(
    '/admin/sessions',
    {
      config: {
        ...config,
        openapi: doc(
          'listSessions',
          'List sessions, by subject or client, in id order',
          {
            status: 200,
            description: 'A page of sessions; pass `nextCursor` as `after` for the next one',
            schema: object({
              sessions: listOf(sessionView),
              nextCursor: orNull('string', 'null on the last page'),
            }),
          },
          [400],
          {
            parameters: queryDescriptions({
              subject: 'only the sessions of this subject',
              clientId: 'only the sessions of this client',
              after: 'the `nextCursor` of the previous page',
              limit: `page size, 1 to ${MAX_PAGE} (default 100)`,
            }),
          },
        ),
      },
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
        openapi: doc(
          'getSession',
          'Show a session',
          { status: 200, description: 'The session', schema: sessionView },
          [400, 404],
        ),
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
      config: {
        ...config,
        openapi: doc(
          'revokeSession',
          'Revoke a session (logout)',
          {
            status: 200,
            description: 'Revoked; `revoked` is false when it already was',
            schema: object({ revoked: { type: 'boolean' }, session: sessionView }, ['revoked']),
          },
          [400, 404],
        ),
      },
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
        openapi: doc(
          'revokeSubjectSessions',
          'Revoke every session of a subject (sign out everywhere)',
          {
            status: 200,
            description: 'How many live sessions were revoked',
            schema: object({ revoked: { type: 'integer', minimum: 0 } }),
          },
          [400],
        ),
      },
      schema: { params: idParams('subject') },
    },
    async (request) => ({ revoked: await service.revokeSubject(request.params.subject) }),
  );

  app.get(
    '/admin/keys',
    {
      config: {
        ...config,
        openapi: doc('listKeys', 'List signing keys', {
          status: 200,
          description: 'The active key and the retired keys still kept',
          schema: object({ keys: listOf(keyView) }),
        }),
      },
    },
    async () => ({ keys: await service.listKeys() }),
  );

  app.post(
    '/admin/keys/rotate',
    {
      config: {
        ...config,
        openapi: doc('rotateKeys', 'Rotate the signing key', {
          status: 201,
          description: 'The new active key; the previous one is retired and stays in the JWKS',
          schema: object({ key: keyView }),
        }),
      },
    },
    async (_request, reply) => reply.code(201).send({ key: await service.rotateKeys() }),
  );

  app.get<{
    Querystring: { type?: SecurityEventType; since?: string; after?: string; limit?: string };
  }>(
    '/admin/events',
    {
      config: {
        ...config,
        openapi: doc(
          'listEvents',
          'List security events, oldest first',
          {
            status: 200,
            description: 'A page of events; pass `nextCursor` as `after` for the next one',
            schema: object({
              events: listOf(eventView),
              nextCursor: orNull('integer', 'null on the last page'),
            }),
          },
          [400],
          {
            parameters: queryDescriptions({
              type: 'only events of this type',
              since: 'only events at or after this time: epoch seconds or an ISO 8601 date',
              after: 'the `nextCursor` of the previous page',
              limit: `page size, 1 to ${MAX_PAGE} (default 100)`,
            }),
          },
        ),
      },
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

  app.get(
    '/admin/clients',
    {
      config: {
        ...config,
        openapi: doc('listClients', 'List clients', {
          status: 200,
          description: 'Every registered client',
          schema: object({ clients: listOf(clientView) }),
        }),
      },
    },
    async () => ({
      clients: await service.listClients(),
    }),
  );

  app.post<{ Body: ClientInput }>(
    '/admin/clients',
    {
      config: {
        ...config,
        openapi: doc(
          'createClient',
          'Register a client; a confidential client gets its secret once',
          {
            status: 201,
            description: 'The client, and the secret of a confidential client (shown only here)',
            schema: object({ client: clientView, clientSecret: { type: 'string' } }, ['client']),
          },
          [400, 409, 413, 415],
        ),
      },
      schema: { body: createClientSchema },
    },
    async (request, reply) => reply.code(201).send(await service.createClient(request.body)),
  );

  app.delete<{ Params: { id: string } }>(
    '/admin/clients/:id',
    {
      config: {
        ...config,
        openapi: doc(
          'deleteClient',
          'Remove a client and revoke its sessions',
          {
            status: 200,
            description: 'Removed; how many of its live sessions were revoked',
            schema: object({ revokedSessions: { type: 'integer', minimum: 0 } }),
          },
          [400, 404, 409],
        ),
      },
      schema: { params: idParams('id') },
    },
    async (request) => service.deleteClient(request.params.id),
  );
}
