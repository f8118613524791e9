import type { FastifyInstance } from 'fastify';
import {
  SECURITY_EVENT_TYPES,
  type ClientInput,
  type SecurityEventType,
  type TokenService,
} from '../../core/index.js';
import { renderAdminError } from '../errors.js';
import { clientView, eventView, keyView, listOf, object, orNull } from '../docs/admin-views.js';

import {
  createClientSchema,
  idParams,
  digits,
  page,
  epochSeconds,
  queryDescriptions,
  doc,
  MAX_PAGE,
} from './admin-schemas.js';

/** The admin API's keys, security events and clients (registered by the admin face). */
export function adminSettingsRoutes(app: FastifyInstance, service: TokenService): void {
  const config = { face: 'admin', renderError: renderAdminError };

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
