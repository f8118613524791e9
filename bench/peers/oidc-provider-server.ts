/**
 * The `peer-oidc-provider` scenario's server: node-oidc-provider
 * (https://github.com/panva/node-oidc-provider), the certified OpenID Connect provider for Node,
 * set up for the same refresh as Baton's: the refresh_token grant (RFC 6749 §6) with rotation on
 * every use (`rotateRefreshToken: true`; a rotated token presented again revokes the grant),
 * Ed25519-signed JWT access tokens (RFC 9068, `EdDSA`) for one resource server, one public client
 * (`client_id=bench`, no secret, as Baton's bench sessions belong to no confidential client).
 * Its storage is {@link MapAdapter}: in memory, no durability.
 *
 * The bench mints each chain's first refresh token as it does on Baton, with
 * `POST /admin/sessions` (JSON `{subject}`, 201 `{refreshToken}`), answered here outside the
 * provider: a Grant and a RefreshToken created and saved through the provider's own models, as
 * an authorization-code exchange would leave them (no browser flow). Everything else goes to the
 * provider, `POST /oauth/token` included. Not a product: never run it outside the bench.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';
import { MapAdapter } from './map-adapter.js';
import {
  ACCESS_TOKEN_TTL,
  isAdmin,
  PEER_CLIENT_ID,
  peerSettings,
  failed,
  readBody,
  sendJson,
  serve,
  subjectOf,
} from './peer-http.js';

const settings = peerSettings('oidc-provider server');
/** The one resource server the access tokens are for (RFC 8707 resource indicator). */
const RESOURCE = 'urn:baton-bench:api';
const SCOPE = 'api';
/** Refresh-token and grant lifetime in seconds (Baton's default session lifetime order). */
const REFRESH_TOKEN_TTL = 30 * 24 * 3600;

const { privateKey } = generateKeyPairSync('ed25519');
const key = {
  ...privateKey.export({ format: 'jwk' }),
  kid: 'bench-ed25519',
  alg: 'EdDSA',
  use: 'sig',
};

const provider = new Provider(`http://${settings.host}:${settings.port}`, {
  adapter: MapAdapter,
  jwks: { keys: [key] },
  clients: [
    {
      client_id: PEER_CLIENT_ID,
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: ['https://client.example/callback'],
    },
  ],
  clientDefaults: { id_token_signed_response_alg: 'EdDSA' },
  findAccount: async (_ctx: unknown, sub: string) => ({
    accountId: sub,
    claims: async () => ({ sub }),
  }),
  rotateRefreshToken: true,
  // Baton's path, so that both answer the same request.
  routes: { token: '/oauth/token' },
  ttl: {
    AccessToken: ACCESS_TOKEN_TTL,
    RefreshToken: REFRESH_TOKEN_TTL,
    Grant: REFRESH_TOKEN_TTL,
  },
  features: {
    devInteractions: { enabled: false },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => RESOURCE,
      useGrantedResource: async () => true,
      getResourceServerInfo: async () => ({
        scope: SCOPE,
        accessTokenFormat: 'jwt',
        accessTokenTTL: ACCESS_TOKEN_TTL,
        jwt: { sign: { alg: 'EdDSA' } },
      }),
    },
  },
});
// A 500 the provider answers must show in the output the bench keeps of each server.
provider.on('server_error', (_ctx, error) => {
  process.stderr.write(`oidc-provider server_error: ${String(error)}\n`);
});

const client = await provider.Client.find(PEER_CLIENT_ID);
if (client === undefined) throw new Error('oidc-provider server: the bench client is missing');
const bench = client;

/** A grant and its first refresh token for `subject`, through the provider's models. */
async function mint(subject: string): Promise<string> {
  const grant = new provider.Grant({ accountId: subject, clientId: PEER_CLIENT_ID });
  grant.addResourceScope(RESOURCE, SCOPE);
  const grantId = await grant.save();
  const token = new provider.RefreshToken({
    accountId: subject,
    client: bench,
    grantId,
    gty: 'authorization_code',
    scope: SCOPE,
    resource: RESOURCE,
    expiresWithSession: false,
  });
  return token.save();
}

const handle = provider.callback();
const server = createServer((request, response) => {
  const path = request.url ?? '';
  if (request.method === 'GET' && (path === '/healthz' || path === '/readyz')) {
    sendJson(response, 200, { status: 'ok' });
    return;
  }
  if (request.method === 'POST' && path === '/admin/sessions') {
    void readBody(request)
      .then(async (body) => {
        if (!isAdmin(request, settings.adminToken)) return sendJson(response, 401, {});
        const subject = subjectOf(body);
        if (subject === undefined) return sendJson(response, 400, { error: 'subject' });
        return sendJson(response, 201, { refreshToken: await mint(subject) });
      })
      .catch((error: unknown) => failed(response, error));
    return;
  }
  handle(request, response);
});

await serve(server, settings);
