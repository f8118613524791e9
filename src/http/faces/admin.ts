import type { FastifyInstance } from 'fastify';
import { BatonError, type IssueSessionInput, type TokenService } from '../../core/index.js';
import { readBearer } from '../client-auth.js';
import { renderAdminError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import { issuedSessionSchema, listOf, object, orNull, sessionView } from '../docs/admin-views.js';

import {
  renderIssuedSession,
  mintSessionSchema,
  idParams,
  digits,
  page,
  queryDescriptions,
  doc,
  MAX_PAGE,
} from './admin-schemas.js';
import { adminLive } from './admin-live.js';
import { adminSettingsRoutes } from './admin-settings.js';

/** The admin API: sessions, subjects, keys, events and clients, behind the admin token. */
export async function adminFace(
  app: FastifyInstance,
  { service, metrics }: { service: TokenService; metrics: Metrics },
): Promise<void> {
  const config = { face: 'admin', renderError: renderAdminError };

  app.addHook('onRequest', async (request) => {
    await service.authenticateAdmin(readBearer(request), request.ip);
  });
  await app.register(adminLive, { service, stats: metrics.stats });

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

  adminSettingsRoutes(app, service);
}
