import { callerOf } from '../caller.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ClientIdentity } from '../../core/clients.js';
import { BatonError } from '../../core/errors.js';
import type { TokenService } from '../../core/token-service.js';
import { readBearer, readClientCredentials } from '../client-auth.js';
import type { Metrics } from '../metrics.js';
import {
  errorResponses,
  formOrJson,
  renderOAuthError,
  renderTokenResponse,
  revocationListSchema,
  tokenResponseSchema,
} from './oauth-wire.js';
import { readParams, requireParam } from '../params.js';

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
  const issuer = service.options.issuer;

  app.post(
    '/oauth/token',
    {
      config: {
        ...config,
        openapi: {
          tags: ['OAuth 2.0'],
          summary: 'Refresh an access token (RFC 6749 §6)',
          requestBody: {
            required: true,
            content: formOrJson(
              {
                grant_type: { type: 'string', enum: ['refresh_token'] },
                refresh_token: { type: 'string' },
                scope: { type: 'string', description: 'narrower scope for this access token' },
                client_id: { type: 'string' },
                client_secret: { type: 'string' },
              },
              ['grant_type', 'refresh_token'],
            ),
          },
          security: [{}, { clientBasic: [] }],
          responses: {
            '200': {
              description: 'new tokens',
              content: { 'application/json': { schema: tokenResponseSchema } },
            },
            ...errorResponses([400, 401, 413, 415, 429, 503]),
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
          summary: 'Revoke a refresh token (ends its session) or an access token (RFC 7009)',
          requestBody: {
            required: true,
            content: formOrJson(
              {
                token: { type: 'string' },
                token_type_hint: { type: 'string', enum: ['refresh_token', 'access_token'] },
                client_id: { type: 'string' },
                client_secret: { type: 'string' },
              },
              ['token'],
            ),
          },
          security: [{}, { clientBasic: [] }],
          responses: {
            '200': { description: 'revoked, or the token was unknown' },
            ...errorResponses([400, 401, 413, 415, 429, 503]),
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
          summary: 'Introspect a token (RFC 7662); needs a confidential client or the admin token',
          requestBody: {
            required: true,
            content: formOrJson(
              {
                token: { type: 'string' },
                token_type_hint: { type: 'string' },
                client_id: { type: 'string' },
                client_secret: { type: 'string' },
              },
              ['token'],
            ),
          },
          security: [{ clientBasic: [] }, { adminBearer: [] }],
          responses: {
            '200': {
              description: 'introspection result',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['active'],
                    properties: {
                      active: { type: 'boolean' },
                      token_type: { type: 'string' },
                      client_id: { type: 'string' },
                      sub: { type: 'string' },
                      iss: { type: 'string' },
                      aud: { type: 'string' },
                      exp: { type: 'integer' },
                      iat: { type: 'integer' },
                      jti: { type: 'string' },
                      sid: { type: 'string' },
                      scope: { type: 'string' },
                    },
                  },
                },
              },
            },
            ...errorResponses([400, 401, 413, 415, 429, 503]),
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
          summary:
            'Revoked sessions and access tokens since a cursor, for resource servers to poll; needs a confidential client or the admin token',
          security: [{ clientBasic: [] }, { adminBearer: [] }],
          responses: {
            '200': {
              description: 'revocations after the cursor',
              content: { 'application/json': { schema: revocationListSchema } },
            },
            ...errorResponses([400, 401, 429, 503]),
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

  const metadata = {
    issuer,
    token_endpoint: `${issuer}/oauth/token`,
    revocation_endpoint: `${issuer}/oauth/revoke`,
    introspection_endpoint: `${issuer}/oauth/introspect`,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    grant_types_supported: ['refresh_token'],
    response_types_supported: [],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    revocation_endpoint_auth_methods_supported: [
      'client_secret_basic',
      'client_secret_post',
      'none',
    ],
    // The admin token (Bearer) is accepted too; it is not a registered client auth method.
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    service_documentation: `${issuer}/docs`,
    // Baton's own fields: how long a lost refresh response can be recovered by a retry with the
    // same token (a client's own setting may be shorter), and where revocations are listed.
    baton_reuse_grace_seconds: service.options.reuseGrace,
    baton_revocation_list_endpoint: `${issuer}/oauth/revocations`,
  };
  // RFC 8414 §3: an issuer with a path publishes its metadata under the path-suffixed name too.
  const issuerPath = new URL(issuer).pathname.replace(/\/+$/, '');
  const metadataPaths = ['/.well-known/oauth-authorization-server'];
  if (issuerPath !== '') metadataPaths.push(`/.well-known/oauth-authorization-server${issuerPath}`);
  for (const path of metadataPaths) {
    app.get(
      path,
      {
        config: {
          ...config,
          openapi: {
            tags: ['OAuth 2.0'],
            summary: 'Authorization server metadata (RFC 8414)',
            responses: { '200': { description: 'metadata' } },
          },
        },
      },
      async () => metadata,
    );
  }

  app.get(
    '/.well-known/jwks.json',
    {
      config: {
        ...config,
        openapi: {
          tags: ['OAuth 2.0'],
          summary: 'JSON Web Key Set of the signing keys',
          responses: { '200': { description: 'JWKS' } },
        },
      },
    },
    async (_request: FastifyRequest, reply: FastifyReply) =>
      reply.type('application/jwk-set+json').send(JSON.stringify(service.jwks())),
  );
}
