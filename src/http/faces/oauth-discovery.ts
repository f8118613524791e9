import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TokenService } from '../../core/index.js';
import { ADMIN_ERROR_FORMAT, errorResponses, jsonContent } from '../openapi.js';
import { jwksSchema, metadataSchema, OAUTH_ERROR_FORMAT, renderOAuthError } from './oauth-wire.js';

/**
 * How long resource servers and caches may keep the JWKS: five minutes, far shorter than the
 * 24 h 5 min a retired key stays published, so a cached copy never lacks a key whose tokens are
 * still valid. A new key signs at once, so verifiers refetch on an unknown `kid` (Baton's do).
 */
export const JWKS_CACHE_CONTROL = 'public, max-age=300';

/** The public documents of the OAuth face: RFC 8414 metadata and the JWKS. */
export async function discoveryRoutes(
  app: FastifyInstance,
  { service }: { service: TokenService },
): Promise<void> {
  const config = { face: 'oauth', renderError: renderOAuthError };
  const issuer = service.options.issuer;
  // Outside /oauth/, headers too large are answered before routing in the default format.
  const wellKnownErrors = {
    ...errorResponses(OAUTH_ERROR_FORMAT, [500]),
    ...errorResponses(ADMIN_ERROR_FORMAT, [431]),
  };

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
            operationId:
              path === metadataPaths[0]
                ? 'getAuthorizationServerMetadata'
                : 'getAuthorizationServerMetadataOfIssuerPath',
            summary: 'Authorization server metadata (RFC 8414)',
            security: [],
            responses: {
              '200': { description: 'Metadata', content: jsonContent(metadataSchema) },
              ...wellKnownErrors,
            },
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
        cacheControl: JWKS_CACHE_CONTROL,
        openapi: {
          tags: ['OAuth 2.0'],
          operationId: 'getJwks',
          summary: 'JSON Web Key Set of the signing keys',
          description:
            'The public keys that verify access tokens: the active key and retired keys until every token they signed has expired.',
          security: [],
          responses: {
            '200': {
              description: 'JWKS (RFC 7517)',
              content: jsonContent(jwksSchema, 'application/jwk-set+json'),
            },
            ...wellKnownErrors,
          },
        },
      },
    },
    async (_request: FastifyRequest, reply: FastifyReply) =>
      reply.type('application/jwk-set+json').send(JSON.stringify(service.jwks())),
  );
}
