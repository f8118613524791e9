import { callerOf } from '../caller.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BatonError, type ClientIdentity, type TokenService } from '../../core/index.js';
import { readBearer, readClientCredentials } from '../client-auth.js';
import type { Metrics } from '../metrics.js';
import { jsonContent } from '../openapi.js';
import {
  formOrJson,
  introspectionSchema,
  oauthErrors,
  renderOAuthError,
  renderTokenResponse,
  revocationListSchema,
  tokenResponseSchema,
} from './oauth-wire.js';
import { readParams, requireParam } from '../params.js';
import { discoveryRoutes } from './oauth-discovery.js';

/** Options of {@link oauthFace}. */
export interface OAuthFaceOptions {
  service: TokenService;
  metrics: Metrics;
}

/** Resolves the calling client: HTTP Basic or body credentials, checked by the core. */
async function identify(
  service: TokenService,
  request: FastifyRequest,
  read: (name: string) => string | undefined,
): Promise<ClientIdentity | undefined> {
  const credentials = readClientCredentials(request, read);
  return credentials === undefined
    ? undefined
    : service.authenticateClient(credentials, request.ip);
}

/**
 * The caller of introspection and of the revocation list: the admin token (Bearer), or a
 * confidential client that proved its secret. Anyone else is `invalid_client`.
 */
async function identifyProtected(
  service: TokenService,
  request: FastifyRequest,
  read: (name: string) => string | undefined,
): Promise<'admin' | ClientIdentity> {
  const bearer = readBearer(request);
  if (bearer !== undefined) {
    await service.authenticateAdmin(bearer, request.ip).catch((error: unknown) => {
      throw error instanceof BatonError && error.code === 'ERR_ADMIN_UNAUTHORIZED'
        ? new BatonError('ERR_INVALID_CLIENT', 'client authentication failed')
        : error;
    });
    return 'admin';
  }
  const client = await identify(service, request, read);
  if (client === undefined || !client.authenticated) {
    throw new BatonError(
      'ERR_INVALID_CLIENT',
      'this endpoint needs a confidential client or the admin token',
    );
  }
  return client;
}

/** The OAuth 2.0 face: token (refresh grant), revocation, introspection, metadata, JWKS. */
export async function oauthFace(
  app: FastifyInstance,
  { service, metrics }: OAuthFaceOptions,
): Promise<void> {
  const config = { face: 'oauth', renderError: renderOAuthError };

  app.post(
    '/oauth/token',
    {
      config: {
        ...config,
        openapi: {
          tags: ['OAuth 2.0'],
          operationId: 'refreshAccessToken',
          summary: 'Refresh an access token (RFC 6749 §6)',
          description:
            'Exchanges a refresh token for a new access token and, with rotation on, a new refresh token; the presented one becomes used. A retry inside the reuse grace gets the same answer; a used token presented later revokes the session (`reason: reused`). Public clients name themselves with `client_id`; confidential clients authenticate with HTTP Basic or `client_id` and `client_secret` in the body, not both.',
          requestBody: {
            required: true,
            content: formOrJson(
              {
                grant_type: { type: 'string', enum: ['refresh_token'] },
                refresh_token: { type: 'string', maxLength: 4096 },
                scope: {
                  type: 'string',
                  maxLength: 4096,
                  description: 'narrower scope for this access token',
                },
                client_id: { type: 'string', maxLength: 4096 },
                client_secret: { type: 'string', maxLength: 4096 },
              },
              ['grant_type', 'refresh_token'],
            ),
          },
          security: [{}, { clientBasic: [] }],
          responses: {
            '200': { description: 'New tokens', content: jsonContent(tokenResponseSchema) },
            ...oauthErrors([400, 401, 413, 415, 429, 503]),
          },
        },
      },
      schema: { response: { 200: tokenResponseSchema } },
    },
    async (request, reply) => {
      const read = readParams(request.body);
      const grantType = requireParam(read, 'grant_type');
      if (grantType !== 'refresh_token') {
        throw new BatonError(
          'ERR_UNSUPPORTED_GRANT_TYPE',
          'only grant_type=refresh_token is supported',
        );
      }
      const refreshToken = requireParam(read, 'refresh_token');
      const scope = read('scope');
      // Client authentication is part of the refresh: its failures count in the metrics too.
      const { tokens } = await metrics.refresh('oauth', async () => {
        const client = await identify(service, request, read);
        return service.refresh({ refreshToken, client, scope, ...callerOf(request) });
      });
      return reply.send(renderTokenResponse(tokens));
    },
  );

  app.post(
    '/oauth/revoke',
    {
      config: {
        ...config,
        openapi: {
          tags: ['OAuth 2.0'],
          operationId: 'revokeToken',
          summary: 'Revoke a refresh token (ends its session) or an access token (RFC 7009)',
          description:
            'A refresh token ends its whole session; an access token is revoked by its `jti` until it expires. An unknown token is answered 200 too (RFC 7009 §2.2). A token of another client is refused with `unauthorized_client`.',
          requestBody: {
            required: true,
            content: formOrJson(
              {
                token: { type: 'string', maxLength: 4096 },
                token_type_hint: {
                  type: 'string',
                  maxLength: 4096,
                  description:
                    '`refresh_token` or `access_token`; accepted and ignored, the token itself tells',
                },
                client_id: { type: 'string', maxLength: 4096 },
                client_secret: { type: 'string', maxLength: 4096 },
              },
              ['token'],
            ),
          },
          security: [{}, { clientBasic: [] }],
          responses: {
            '200': { description: 'Revoked, or the token was unknown; empty body' },
            ...oauthErrors([400, 401, 413, 415, 429, 503]),
          },
        },
      },
    },
    async (request, reply) => {
      const read = readParams(request.body);
      const token = requireParam(read, 'token');
      read('token_type_hint'); // the token's own format decides; the hint only has to be a string
      const client = await identify(service, request, read);
      await service.revokeToken(token, client, request.ip);
      return reply.code(200).send();
    },
  );

  app.post(
    '/oauth/introspect',
    {
      config: {
        ...config,
        openapi: {
          tags: ['OAuth 2.0'],
          operationId: 'introspectToken',
          summary: 'Introspect a token (RFC 7662); needs a confidential client or the admin token',
          description:
            'Tells whether an access or refresh token is active right now, including revocations and superseded generations that stateless JWT verification cannot see. The caller is a confidential client (HTTP Basic, or `client_id` and `client_secret` in the body) or presents the admin token as a Bearer token.',
          requestBody: {
            required: true,
            content: formOrJson(
              {
                token: { type: 'string', maxLength: 4096 },
                token_type_hint: {
                  type: 'string',
                  maxLength: 4096,
                  description: 'accepted and ignored; the token itself tells',
                },
                client_id: { type: 'string', maxLength: 4096 },
                client_secret: { type: 'string', maxLength: 4096 },
              },
              ['token'],
            ),
          },
          security: [{ clientBasic: [] }, { adminBearer: [] }],
          responses: {
            '200': {
              description: 'Introspection result; `{"active": false}` for any inactive token',
              content: jsonContent(introspectionSchema),
            },
            ...oauthErrors([400, 401, 413, 415, 429, 503]),
          },
        },
      },
    },
    async (request, reply) => {
      const read = readParams(request.body);
      const caller = await identifyProtected(service, request, read);
      const token = requireParam(read, 'token');
      read('token_type_hint'); // the token's own format decides; the hint only has to be a string
      return reply.send(await service.introspect(token, caller));
    },
  );

  app.get<{ Querystring: { after?: string } }>(
    '/oauth/revocations',
    {
      config: {
        ...config,
        openapi: {
          tags: ['OAuth 2.0'],
          operationId: 'listRevocations',
          summary: 'List revoked sessions and access tokens since a cursor',
          description:
            'What resource servers poll to refuse revoked tokens without a call per request. Each revocation is listed until the longest access-token lifetime has passed; the same one may appear in more than one answer (treat the lists as sets). A confidential client sees the revocations of its own sessions and of sessions whose tokens name it as audience; the admin token sees all.',
          security: [{ clientBasic: [] }, { adminBearer: [] }],
          responses: {
            '200': {
              description: 'Revocations after the cursor',
              content: jsonContent(revocationListSchema),
            },
            ...oauthErrors([400, 401, 429, 503]),
          },
        },
      },
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            after: {
              type: 'string',
              maxLength: 15,
              pattern: '^[0-9]+$',
              description: 'the cursor of the previous answer; omit for the first',
            },
          },
        },
      },
    },
    async (request) => {
      const caller = await identifyProtected(service, request, () => undefined);
      return service.listRevocations(caller, request.query.after);
    },
  );

  await app.register(discoveryRoutes, { service });
}
