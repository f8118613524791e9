/**
 * The floor of the peer comparison (`peer-floor`): the least a refresh with rotation over HTTP
 * costs on Node. Bare `node:http`, one `Map` from refresh token to subject, and exactly one
 * Ed25519 JWT signature (RFC 8037, RFC 9068 header) per refresh: parse the form body, look the
 * token up, delete it, store a new random one, sign `{sub, exp, iat, jti}`, answer like OAuth
 * (RFC 6749 §5.1). Nothing else: no durability, no hashing of stored tokens, no reuse detection,
 * no lifetimes, no client authentication beyond the `client_id` match, no logging.
 *
 * Speaks the bench's wire: `POST /admin/sessions` (JSON `{subject}`, 201 `{refreshToken}`),
 * `POST /oauth/token` (form), `/healthz`, `/readyz`, and `/jwks` for tests. Not a product: never run it outside the bench.
 */
import { generateKeyPairSync, randomBytes, randomUUID, sign } from 'node:crypto';
import { createServer } from 'node:http';
import {
  ACCESS_TOKEN_TTL,
  failed,
  isAdmin,
  PEER_CLIENT_ID,
  peerSettings,
  readBody,
  sendJson,
  serve,
  subjectOf,
} from './peer-http.js';

const settings = peerSettings('floor server');
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
/** The public key as a JWK Set (RFC 7517 §5), for whoever verifies the access tokens. */
const jwks = {
  keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'floor', alg: 'EdDSA', use: 'sig' }],
};
const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', typ: 'at+jwt', kid: 'floor' })).toString(
  'base64url',
);

/** Refresh token → subject. */
const tokens = new Map<string, string>();

const newToken = (): string => randomBytes(32).toString('base64url');

function accessToken(sub: string): string {
  const iat = Math.floor(Date.now() / 1000);
  const payload = Buffer.from(
    JSON.stringify({ sub, exp: iat + ACCESS_TOKEN_TTL, iat, jti: randomUUID() }),
  ).toString('base64url');
  const input = `${header}.${payload}`;
  return `${input}.${sign(null, Buffer.from(input), privateKey).toString('base64url')}`;
}

const server = createServer((request, response) => {
  const path = request.url ?? '';
  if (request.method === 'GET' && (path === '/healthz' || path === '/readyz')) {
    sendJson(response, 200, { status: 'ok' });
    return;
  }
  if (request.method === 'GET' && path === '/jwks') {
    sendJson(response, 200, jwks);
    return;
  }
  if (request.method !== 'POST' || (path !== '/oauth/token' && path !== '/admin/sessions')) {
    sendJson(response, 404, { error: 'not_found' });
    return;
  }
  void readBody(request)
    .then((body) => {
      if (path === '/admin/sessions') {
        if (!isAdmin(request, settings.adminToken)) return sendJson(response, 401, {});
        const subject = subjectOf(body);
        if (subject === undefined) return sendJson(response, 400, { error: 'subject' });
        const token = newToken();
        tokens.set(token, subject);
        return sendJson(response, 201, { refreshToken: token });
      }
      const form = new URLSearchParams(body ?? '');
      if (form.get('grant_type') !== 'refresh_token') {
        return sendJson(response, 400, { error: 'unsupported_grant_type' });
      }
      if (form.get('client_id') !== PEER_CLIENT_ID) {
        return sendJson(response, 401, { error: 'invalid_client' });
      }
      const presented = form.get('refresh_token') ?? '';
      const sub = tokens.get(presented);
      if (sub === undefined) return sendJson(response, 400, { error: 'invalid_grant' });
      tokens.delete(presented);
      const next = newToken();
      tokens.set(next, sub);
      return sendJson(response, 200, {
        access_token: accessToken(sub),
        token_type: 'Bearer',
        expires_in: ACCESS_TOKEN_TTL,
        refresh_token: next,
      });
    })
    .catch((error: unknown) => failed(response, error));
});

await serve(server, settings);
