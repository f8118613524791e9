import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier, type Verifier } from '../../src/client/verifier/index.js';
import { fastifyVerifier } from '../../src/client/verifier/fastify.js';
import {
  admin,
  ADMIN_TOKEN,
  cleanupServers,
  mintSession,
  startServer,
  type ServerProcess,
} from '../helpers/server-process.js';

/**
 * The Fastify plugin in a real Fastify app verifying the tokens of a real Baton server: claims
 * on the request, RFC 6750 answers for refused requests, routes that opt out or need scopes.
 */

let server: ServerProcess;
let app: FastifyInstance;
let verifier: Verifier;

async function buildApp(
  plugin: Parameters<FastifyInstance['register']>[1],
): Promise<FastifyInstance> {
  const instance = Fastify();
  await instance.register(fastifyVerifier, plugin as never);
  instance.get('/me', async (request) => ({ claims: request.claims }));
  instance.get('/healthz', { config: { verifier: false } }, async (request) => ({
    ok: true,
    claims: request.claims,
  }));
  instance.post('/orders', { config: { verifier: { scope: 'orders:write' } } }, async () => ({
    created: true,
  }));
  await instance.register(async (child) => {
    child.get('/nested', async (request) => ({ sub: request.claims?.sub }));
  });
  return instance;
}

beforeAll(async () => {
  server = await startServer();
  verifier = createVerifier({
    issuer: server.url,
    checkRevocation: 'introspect',
    credentials: { adminToken: ADMIN_TOKEN },
    introspectionCacheTtl: 0,
  });
  app = await buildApp({ verifier, realm: 'orders' });
});

afterAll(async () => {
  await app.close();
  verifier.close();
  await cleanupServers();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('fastifyVerifier', () => {
  it('puts the verified claims on the request', async () => {
    const minted = await mintSession(server.url, { subject: 'alice', scope: 'orders:read' });
    const response = await app.inject({ url: '/me', headers: bearer(minted.accessToken) });
    expect(response.statusCode).toBe(200);
    expect(response.json().claims).toMatchObject({
      sub: 'alice',
      sid: minted.sessionId,
      scope: 'orders:read',
    });
  });

  it('protects routes of child plugins too', async () => {
    const { accessToken } = await mintSession(server.url, { subject: 'carol' });
    expect((await app.inject({ url: '/nested' })).statusCode).toBe(401);
    const response = await app.inject({ url: '/nested', headers: bearer(accessToken) });
    expect(response.json()).toEqual({ sub: 'carol' });
  });

  it('answers a request without a token 401 with a challenge that names no error', async () => {
    const response = await app.inject({ url: '/me' });
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="orders"');
    expect(response.json()).toMatchObject({ code: 'missing_token' });
  });

  it('answers a refused token 401 invalid_token without echoing it', async () => {
    const { accessToken } = await mintSession(server.url);
    const forged = `${accessToken.slice(0, -4)}AAAA`;
    const response = await app.inject({ url: '/me', headers: bearer(forged) });
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe(
      'Bearer realm="orders", error="invalid_token", error_description="the access token signature is invalid"',
    );
    expect(response.json()).toEqual({
      error: 'invalid_token',
      error_description: 'the access token signature is invalid',
      code: 'bad_signature',
    });
    expect(response.body).not.toContain(forged.split('.')[1]);
    expect(JSON.stringify(response.headers)).not.toContain(forged.split('.')[1]);
  });

  it('answers 401 revoked once an admin revokes the session', async () => {
    const minted = await mintSession(server.url);
    expect((await app.inject({ url: '/me', headers: bearer(minted.accessToken) })).statusCode).toBe(
      200,
    );
    await admin(server.url, 'DELETE', `/admin/sessions/${minted.sessionId}`);
    const response = await app.inject({ url: '/me', headers: bearer(minted.accessToken) });
    expect(response.statusCode).toBe(401);
    expect(response.json().code).toBe('revoked');
  });

  it('answers a malformed Authorization header 400 invalid_request', async () => {
    const response = await app.inject({ url: '/me', headers: { authorization: 'Bearer a b' } });
    expect(response.statusCode).toBe(400);
    expect(response.headers['www-authenticate']).toContain('error="invalid_request"');
  });

  it('answers 401 to a request for an unknown route without a token, hiding which routes exist', async () => {
    const response = await app.inject({ url: '/no-such-route' });
    expect(response.statusCode).toBe(401);
    const { accessToken } = await mintSession(server.url);
    expect(
      (await app.inject({ url: '/no-such-route', headers: bearer(accessToken) })).statusCode,
    ).toBe(404);
  });

  it('serves a route that opted out without a token, with null claims', async () => {
    const response = await app.inject({ url: '/healthz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ ok: true, claims: null });
  });

  it('answers 403 insufficient_scope when the token lacks the route’s scope', async () => {
    const reader = await mintSession(server.url, { subject: 'alice', scope: 'orders:read' });
    const writer = await mintSession(server.url, {
      subject: 'alice',
      scope: 'orders:read orders:write',
    });
    const refused = await app.inject({
      method: 'POST',
      url: '/orders',
      headers: bearer(reader.accessToken),
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.headers['www-authenticate']).toBe(
      'Bearer realm="orders", error="insufficient_scope", error_description="the access token lacks a required scope", scope="orders:write"',
    );
    const allowed = await app.inject({
      method: 'POST',
      url: '/orders',
      headers: bearer(writer.accessToken),
    });
    expect(allowed.statusCode).toBe(200);
  });

  it('answers 503 with Retry-After while the revocation state is unavailable', async () => {
    const unreachable = await buildApp({
      issuer: server.url,
      checkRevocation: 'feed',
      credentials: { adminToken: ADMIN_TOKEN },
      revocationsUri: 'http://127.0.0.1:9/oauth/revocations',
      timeout: 1,
    });
    try {
      const { accessToken } = await mintSession(server.url);
      const response = await unreachable.inject({ url: '/me', headers: bearer(accessToken) });
      expect(response.statusCode).toBe(503);
      expect(response.headers['retry-after']).toBe('1');
      expect(response.json()).toMatchObject({ code: 'unavailable' });
      expect((await unreachable.inject({ url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await unreachable.close();
    }
  });

  it('serves real HTTP with a verifier it creates from options', async () => {
    const own = await buildApp({ issuer: server.url });
    try {
      const address = await own.listen({ port: 0, host: '127.0.0.1' });
      const { accessToken } = await mintSession(server.url, { subject: 'dave' });
      const ok = await fetch(`${address}/me`, { headers: bearer(accessToken) });
      expect(ok.status).toBe(200);
      expect(((await ok.json()) as { claims: { sub: string } }).claims.sub).toBe('dave');
      const refused = await fetch(`${address}/me`);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toBe('Bearer');
    } finally {
      await own.close();
    }
  });
});
