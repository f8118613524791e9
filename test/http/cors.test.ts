import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/cli/config.js';
import { DIALECT_NAMES } from '../../src/core/dialects.js';
import type { TokenService } from '../../src/core/token-service.js';
import { createApp } from '../../src/http/app.js';
import { ADMIN_TOKEN, createTestService, ISSUER } from '../helpers/service.js';

// CORS for browsers on the token, revocation and dialect endpoints, the metadata and the JWKS:
// allowed origins get the headers, disallowed ones are refused before anything happens.

const APP = 'https://app.example.com';
const PARTNER = 'https://partner.example.com';
const EVIL = 'https://evil.example.net';

let app: FastifyInstance;
let service: TokenService;

beforeEach(async () => {
  ({ service } = await createTestService({ corsOrigins: [APP] }));
  await service.createClient({ id: 'partner-web', allowedOrigins: [PARTNER] });
  app = await createApp({
    service,
    logger: false,
    dialects: DIALECT_NAMES.map((name) => ({ name, prefix: name === 'adid' ? '/v2' : '' })),
  });
});
afterEach(async () => {
  await app.close();
  await service.close();
});

function refresh(refreshToken: string, origin?: string): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url: '/oauth/token',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(origin === undefined ? {} : { origin }),
    },
    payload: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
    }).toString(),
  });
}

function preflight(url: string, origin: string, method = 'POST'): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'OPTIONS',
    url,
    headers: {
      origin,
      'access-control-request-method': method,
      'access-control-request-headers': 'content-type, authorization',
    },
  });
}

const generation = async (id: string) => (await service.getSession(id))?.generation;

describe('preflight', () => {
  it.each([
    ['/oauth/token', 'POST'],
    ['/oauth/revoke', 'POST'],
    ['/.well-known/jwks.json', 'GET'],
    ['/.well-known/oauth-authorization-server', 'GET'],
    ['/api/User/authrefresh', 'POST'],
    ['/api/v2/auth/refresh', 'GET'],
    ['/User/RefreshToken', 'POST'],
    ['/api/v1/token/refresh/', 'POST'],
    ['/v2/api/v1/auth/refresh', 'POST'],
  ])('answers an allowed origin on %s (%s)', async (url, method) => {
    const response = await preflight(url, APP, method);
    expect(response.statusCode).toBe(204);
    expect(response.headers).toMatchObject({
      'access-control-allow-origin': APP,
      'access-control-allow-methods': method,
      'access-control-max-age': '600',
      'cache-control': 'no-store',
    });
    const allowed = String(response.headers['access-control-allow-headers']).split(/, */);
    expect(allowed).toEqual(
      expect.arrayContaining(['authorization', 'content-type', 'requesttoken', 'version']),
    );
    expect(String(response.headers.vary)).toMatch(/Origin/);
  });

  it("answers a client's own origin, and refuses others with 403 and no CORS headers", async () => {
    expect((await preflight('/oauth/token', PARTNER)).headers['access-control-allow-origin']).toBe(
      PARTNER,
    );
    const refused = await preflight('/oauth/token', EVIL);
    expect(refused.statusCode).toBe(403);
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    expect(refused.json()).toMatchObject({
      error: 'unauthorized_client',
      reason: 'origin_not_allowed',
    });
  });

  it('never opens the admin API, introspection or the revocation list to browsers', async () => {
    for (const url of ['/admin/sessions', '/oauth/introspect', '/oauth/revocations']) {
      const response = await preflight(url, APP);
      expect(response.statusCode, url).not.toBe(204);
      expect(response.headers['access-control-allow-origin'], url).toBeUndefined();
    }
    const listed = await app.inject({
      method: 'GET',
      url: '/admin/clients',
      headers: { origin: APP, authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(listed.statusCode).toBe(200);
    expect(listed.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('requests from browsers', () => {
  it('refreshes for an allowed origin and lets the page read the answer and its Date', async () => {
    const issued = await service.issueSession({ subject: 'alice' });
    const response = await refresh(issued.refreshToken, APP);
    expect(response.statusCode).toBe(200);
    expect(response.headers['access-control-allow-origin']).toBe(APP);
    expect(String(response.headers['access-control-expose-headers'])).toMatch(/date/);
    // Errors carry the header too, so the page can read why.
    const failed = await refresh('rt_nothing', APP);
    expect(failed.statusCode).toBe(400);
    expect(failed.headers['access-control-allow-origin']).toBe(APP);
  });

  it('refuses a disallowed origin with 403 before anything is refreshed', async () => {
    const issued = await service.issueSession({ subject: 'alice' });
    const response = await refresh(issued.refreshToken, EVIL);
    expect(response.statusCode).toBe(403);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
    expect(response.json()).toMatchObject({
      error: 'unauthorized_client',
      reason: 'origin_not_allowed',
    });
    expect(await generation(issued.sessionId)).toBe(0);
    // A dialect endpoint too.
    const adid = await app.inject({
      method: 'POST',
      url: '/v2/api/v1/auth/refresh',
      headers: { origin: EVIL, 'content-type': 'application/json' },
      payload: { refreshToken: issued.refreshToken },
    });
    expect(adid.statusCode).toBe(403);
    expect(await generation(issued.sessionId)).toBe(0);
  });

  it("lets a client's own origin refresh that client's sessions only", async () => {
    const partners = await service.issueSession({ subject: 'alice', clientId: 'partner-web' });
    const others = await service.issueSession({ subject: 'bob' });
    expect((await refresh(partners.refreshToken, PARTNER)).statusCode).toBe(200);
    const refused = await refresh(others.refreshToken, PARTNER);
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ reason: 'origin_not_allowed' });
    expect(await generation(others.sessionId)).toBe(0);
  });

  it("allows Baton's own origin and requests without Origin (servers, native apps)", async () => {
    const issued = await service.issueSession({ subject: 'alice' });
    const own = await refresh(issued.refreshToken, new URL(ISSUER).origin);
    expect(own.statusCode).toBe(200);
    const next = own.json<{ refresh_token: string }>().refresh_token;
    const server = await refresh(next);
    expect(server.statusCode).toBe(200);
    expect(server.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('serves the JWKS and metadata to any origin, with CORS headers only for allowed ones', async () => {
    for (const url of ['/.well-known/jwks.json', '/.well-known/oauth-authorization-server']) {
      const evil = await app.inject({ method: 'GET', url, headers: { origin: EVIL } });
      expect(evil.statusCode).toBe(200);
      expect(evil.headers['access-control-allow-origin']).toBeUndefined();
      const allowed = await app.inject({ method: 'GET', url, headers: { origin: APP } });
      expect(allowed.headers['access-control-allow-origin']).toBe(APP);
    }
  });
});

describe('configuration', () => {
  it('reads BATON_CORS_ORIGINS as exact origins and names the variable for a bad one', () => {
    expect(
      loadConfig({ BATON_CORS_ORIGINS: 'https://a.example, http://localhost:5173' }).corsOrigins,
    ).toEqual(['https://a.example', 'http://localhost:5173']);
    for (const bad of ['*', 'https://a.example/path', 'ftp://a.example', 'https://*.example.com']) {
      expect(() => loadConfig({ BATON_CORS_ORIGINS: bad }), bad).toThrow(ConfigError);
      expect(() => loadConfig({ BATON_CORS_ORIGINS: bad })).toThrow(/^BATON_CORS_ORIGINS: /);
    }
  });

  it('refuses a client origin that is not an origin, over the admin API', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/admin/clients',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { id: 'spa', allowedOrigins: ['https://spa.example.com/login'] },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'ERR_INVALID_REQUEST' });
  });
});
