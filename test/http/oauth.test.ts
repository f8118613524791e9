import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/core/clock.js';
import type { Store } from '../../src/core/store.js';
import type { TokenService, TokenServiceOptions } from '../../src/core/token-service.js';
import { createApp } from '../../src/http/app.js';
import { ADMIN_TOKEN, createTestService, ISSUER, T0, verifyWithJose } from '../helpers/service.js';

let app: FastifyInstance | undefined;
let service: TokenService;
let clock: ManualClock;
let store: Store | undefined;

async function start(options: Partial<TokenServiceOptions> = {}): Promise<void> {
  await stop();
  ({ service, clock, store } = await createTestService(options));
  app = await createApp({ service, logger: false });
}

async function stop(): Promise<void> {
  await app?.close();
  await store?.close();
  app = undefined;
  store = undefined;
}

beforeEach(async () => {
  await start();
});
afterEach(async () => {
  await stop();
});

type Params = Record<string, string>;

/** POSTs a form-encoded body, as RFC 6749 clients do. */
function postForm(
  url: string,
  params: Params | string,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  return (app as FastifyInstance).inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    payload: typeof params === 'string' ? params : new URLSearchParams(params).toString(),
  });
}

function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  return (app as FastifyInstance).inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', ...headers },
    payload: JSON.stringify(body),
  });
}

const refreshGrant = (refreshToken: string, extra: Params = {}): Params => ({
  grant_type: 'refresh_token',
  refresh_token: refreshToken,
  ...extra,
});

/** HTTP Basic as RFC 6749 §2.3.1 wants it: id and secret form-urlencoded, then base64. */
function basic(clientId: string, clientSecret: string): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
}

/** Percent-encodes every character, even those that need no encoding. */
function percentEncodeAll(value: string): string {
  return [...Buffer.from(value, 'utf8')]
    .map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`)
    .join('');
}

function json(response: LightMyRequestResponse): Record<string, unknown> {
  return response.json<Record<string, unknown>>();
}

/** Asserts an OAuth error response: status, `error`, `reason` and a description for people. */
function expectOAuthError(
  response: LightMyRequestResponse,
  status: number,
  error: string,
  reason: string,
): void {
  expect({ status: response.statusCode, body: json(response) }).toEqual({
    status,
    body: { error, reason, error_description: expect.any(String) as unknown },
  });
  expect(response.headers['cache-control']).toBe('no-store');
}

async function confidentialClient(id = 'api'): Promise<string> {
  const { clientSecret } = await service.createClient({ id, confidential: true });
  return clientSecret as string;
}

describe('POST /oauth/token (refresh grant)', () => {
  it('refreshes with a form-encoded body and answers the RFC 6749 §5.1 body plus lifetimes', async () => {
    const issued = await service.issueSession({ subject: 'alice', scope: 'read write' });
    clock.advance(60);
    const response = await postForm('/oauth/token', refreshGrant(issued.refreshToken));
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const body = json(response);
    expect(Object.keys(body).sort()).toEqual([
      'access_token',
      'expires_in',
      'refresh_token',
      'refresh_token_expires_in',
      'scope',
      'session_expires_at',
      'token_type',
    ]);
    expect(body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 900,
      scope: 'read write',
      refresh_token_expires_in: 604_800,
      session_expires_at: T0 + 2_592_000,
    });
    expect(body.refresh_token).toMatch(/^rt_[A-Za-z0-9_-]{92}$/);
    expect(body.refresh_token).not.toBe(issued.refreshToken);
    const claims = await verifyWithJose(service, body.access_token as string, T0 + 60);
    expect(claims).toMatchObject({ sub: 'alice', sid: issued.sessionId, gen: 1, iat: T0 + 60 });
  });

  it('refreshes with a JSON body', async () => {
    const issued = await service.issueSession({ subject: 'alice' });
    const response = await postJson('/oauth/token', refreshGrant(issued.refreshToken));
    expect(response.statusCode).toBe(200);
    expect(json(response)).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
    expect((await service.getSession(issued.sessionId))?.generation).toBe(1);
  });

  it('marks success and error responses as not cacheable (Cache-Control: no-store, Pragma: no-cache)', async () => {
    const issued = await service.issueSession({ subject: 'alice' });
    const ok = await postForm('/oauth/token', refreshGrant(issued.refreshToken));
    const failed = await postForm('/oauth/token', refreshGrant('rt_unknown'));
    for (const response of [ok, failed]) {
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.headers.pragma).toBe('no-cache');
    }
    expect([ok.statusCode, failed.statusCode]).toEqual([200, 400]);
  });

  it('answers a retry inside the grace with a byte-identical body', async () => {
    const issued = await service.issueSession({ subject: 'alice', scope: 'read' });
    const first = await postForm('/oauth/token', refreshGrant(issued.refreshToken));
    clock.advance(9.999); // the default grace is 10 s
    const retry = await postForm('/oauth/token', refreshGrant(issued.refreshToken));
    expect(retry.statusCode).toBe(200);
    expect(retry.body).toBe(first.body);
    expect((await service.getSession(issued.sessionId))?.generation).toBe(1);
  });

  it('refuses reuse after the grace with invalid_grant/reused, no WWW-Authenticate, and ends the session', async () => {
    const issued = await service.issueSession({ subject: 'alice' });
    const first = await postForm('/oauth/token', refreshGrant(issued.refreshToken));
    clock.advance(11);
    const reused = await postForm('/oauth/token', refreshGrant(issued.refreshToken));
    expectOAuthError(reused, 400, 'invalid_grant', 'reused');
    expect(reused.headers['www-authenticate']).toBeUndefined();
    const successor = json(first).refresh_token as string;
    expectOAuthError(
      await postForm('/oauth/token', refreshGrant(successor)),
      400,
      'invalid_grant',
      'revoked',
    );
  });

  it('tells an expired session from an idle one, a revoked one and an unknown token', async () => {
    const expiring = await service.issueSession({ subject: 'alice', refreshTtl: 100 });
    const idling = await service.issueSession({ subject: 'bob', idleTtl: 50 });
    const revoked = await service.issueSession({ subject: 'carol' });
    await service.revokeSession(revoked.sessionId, 'admin');
    clock.advance(100);
    const cases: [string, string][] = [
      [expiring.refreshToken, 'expired'],
      [idling.refreshToken, 'idle'],
      [revoked.refreshToken, 'revoked'],
      ['rt_' + 'A'.repeat(65), 'unknown'],
      ['not-a-token', 'unknown'],
    ];
    for (const [refreshToken, reason] of cases) {
      const response = await postForm('/oauth/token', refreshGrant(refreshToken));
      expectOAuthError(response, 400, 'invalid_grant', reason);
      expect(response.headers['www-authenticate']).toBeUndefined();
    }
  });

  it('omits refresh_token when rotation is off; the presented token stays valid', async () => {
    await start({ rotate: false });
    const issued = await service.issueSession({ subject: 'alice' });
    const response = await postForm('/oauth/token', refreshGrant(issued.refreshToken));
    expect(response.statusCode).toBe(200);
    expect(json(response)).not.toHaveProperty('refresh_token');
    clock.advance(11);
    expect((await postForm('/oauth/token', refreshGrant(issued.refreshToken))).statusCode).toBe(
      200,
    );
  });

  describe('client authentication', () => {
    it('authenticates a confidential client by HTTP Basic', async () => {
      const secret = await confidentialClient();
      const issued = await service.issueSession({ subject: 'alice', clientId: 'api' });
      const response = await postForm('/oauth/token', refreshGrant(issued.refreshToken), {
        authorization: basic('api', secret),
      });
      expect(response.statusCode).toBe(200);
      const claims = await verifyWithJose(service, json(response).access_token as string, T0);
      expect(claims.client_id).toBe('api');
    });

    it('form-decodes the HTTP Basic id and secret (RFC 6749 §2.3.1): fully percent-encoded credentials work', async () => {
      const secret = await confidentialClient('my.api~1');
      const issued = await service.issueSession({ subject: 'alice', clientId: 'my.api~1' });
      const encoded = `${percentEncodeAll('my.api~1')}:${percentEncodeAll(secret)}`;
      const response = await postForm('/oauth/token', refreshGrant(issued.refreshToken), {
        authorization: `Basic ${Buffer.from(encoded).toString('base64')}`,
      });
      expect(response.statusCode).toBe(200);
    });

    it('decodes "+" in HTTP Basic credentials as a space, so a literal "+" is not the secret', async () => {
      // A public client may send an empty secret; "+" decodes to " ", a non-empty secret.
      const issued = await service.issueSession({ subject: 'alice' });
      const empty = await postForm('/oauth/token', refreshGrant(issued.refreshToken), {
        authorization: `Basic ${Buffer.from('default:').toString('base64')}`,
      });
      expect(empty.statusCode).toBe(200);
      const plus = await postForm(
        '/oauth/token',
        refreshGrant(json(empty).refresh_token as string),
        {
          authorization: `Basic ${Buffer.from('default:+').toString('base64')}`,
        },
      );
      expectOAuthError(plus, 401, 'invalid_client', 'invalid_client');
    });

    it('refuses malformed HTTP Basic credentials with invalid_client', async () => {
      const secret = await confidentialClient();
      const issued = await service.issueSession({ subject: 'alice', clientId: 'api' });
      for (const header of [
        `Basic ${Buffer.from(`api:${secret}%E0%A4%A`).toString('base64')}`, // broken %-escape
        `Basic ${Buffer.from('no-colon').toString('base64')}`,
        `Basic ${Buffer.from(`:${secret}`).toString('base64')}`,
      ]) {
        const response = await postForm('/oauth/token', refreshGrant(issued.refreshToken), {
          authorization: header,
        });
        expectOAuthError(response, 401, 'invalid_client', 'invalid_client');
      }
    });

    it('authenticates a confidential client by client_secret in the body (client_secret_post)', async () => {
      const secret = await confidentialClient();
      const issued = await service.issueSession({ subject: 'alice', clientId: 'api' });
      const form = await postForm(
        '/oauth/token',
        refreshGrant(issued.refreshToken, { client_id: 'api', client_secret: secret }),
      );
      expect(form.statusCode).toBe(200);
      const viaJson = await postJson(
        '/oauth/token',
        refreshGrant(json(form).refresh_token as string, {
          client_id: 'api',
          client_secret: secret,
        }),
      );
      expect(viaJson.statusCode).toBe(200);
    });

    it('refuses HTTP Basic and client_secret at once with invalid_request', async () => {
      const secret = await confidentialClient();
      const issued = await service.issueSession({ subject: 'alice', clientId: 'api' });
      const response = await postForm(
        '/oauth/token',
        refreshGrant(issued.refreshToken, { client_id: 'api', client_secret: secret }),
        { authorization: basic('api', secret) },
      );
      expectOAuthError(response, 400, 'invalid_request', 'invalid_request');
      expect((await service.getSession(issued.sessionId))?.generation).toBe(0);
    });

    it('refuses a body client_id that differs from the HTTP Basic client', async () => {
      const secret = await confidentialClient();
      const issued = await service.issueSession({ subject: 'alice', clientId: 'api' });
      const response = await postForm(
        '/oauth/token',
        refreshGrant(issued.refreshToken, { client_id: 'default' }),
        { authorization: basic('api', secret) },
      );
      expectOAuthError(response, 400, 'invalid_request', 'invalid_request');
    });

    it('answers a wrong secret with 401 invalid_client and a Basic challenge', async () => {
      await confidentialClient();
      const issued = await service.issueSession({ subject: 'alice', clientId: 'api' });
      const viaBasic = await postForm('/oauth/token', refreshGrant(issued.refreshToken), {
        authorization: basic('api', 'cs_wrong'),
      });
      const viaBody = await postForm(
        '/oauth/token',
        refreshGrant(issued.refreshToken, { client_id: 'api', client_secret: 'cs_wrong' }),
      );
      const unknown = await postForm('/oauth/token', refreshGrant(issued.refreshToken), {
        authorization: basic('nobody', 'cs_wrong'),
      });
      for (const response of [viaBasic, viaBody, unknown]) {
        expectOAuthError(response, 401, 'invalid_client', 'invalid_client');
        expect(response.headers['www-authenticate']).toMatch(/^Basic realm="baton"/);
      }
      expect((await service.getSession(issued.sessionId))?.generation).toBe(0);
    });

    it("refuses a confidential client's token presented without its credentials with 401", async () => {
      await confidentialClient();
      const issued = await service.issueSession({ subject: 'alice', clientId: 'api' });
      const bare = await postForm('/oauth/token', refreshGrant(issued.refreshToken));
      const idOnly = await postForm(
        '/oauth/token',
        refreshGrant(issued.refreshToken, { client_id: 'api' }),
      );
      for (const response of [bare, idOnly]) {
        expectOAuthError(response, 401, 'invalid_client', 'invalid_client');
        expect(response.headers['www-authenticate']).toMatch(/^Basic /);
      }
    });

    it('refuses the token of another client with invalid_grant/client_mismatch', async () => {
      await service.createClient({ id: 'mobile' });
      const otherSecret = await confidentialClient('other');
      const issued = await service.issueSession({ subject: 'alice', clientId: 'mobile' });
      const publicCaller = await postForm(
        '/oauth/token',
        refreshGrant(issued.refreshToken, { client_id: 'default' }),
      );
      const confidentialCaller = await postForm('/oauth/token', refreshGrant(issued.refreshToken), {
        authorization: basic('other', otherSecret),
      });
      for (const response of [publicCaller, confidentialCaller]) {
        expectOAuthError(response, 400, 'invalid_grant', 'client_mismatch');
        expect(response.headers['www-authenticate']).toBeUndefined();
      }
      expect((await service.getSession(issued.sessionId))?.generation).toBe(0);
    });
  });

  describe('bad input', () => {
    it('refuses grant types other than refresh_token with unsupported_grant_type', async () => {
      for (const grantType of ['authorization_code', 'client_credentials', 'password']) {
        const response = await postForm('/oauth/token', { grant_type: grantType, code: 'x' });
        expectOAuthError(response, 400, 'unsupported_grant_type', 'unsupported_grant_type');
      }
    });

    it('refuses missing grant_type or refresh_token with invalid_request', async () => {
      const issued = await service.issueSession({ subject: 'alice' });
      for (const body of [
        { refresh_token: issued.refreshToken },
        { grant_type: 'refresh_token' },
        { grant_type: 'refresh_token', refresh_token: '' },
        {},
      ]) {
        expectOAuthError(
          await postForm('/oauth/token', body),
          400,
          'invalid_request',
          'invalid_request',
        );
      }
      expect((await service.getSession(issued.sessionId))?.generation).toBe(0);
    });

    it('refuses a repeated form parameter (RFC 6749 §3.2) with invalid_request', async () => {
      const issued = await service.issueSession({ subject: 'alice' });
      const token = encodeURIComponent(issued.refreshToken);
      for (const body of [
        `grant_type=refresh_token&grant_type=refresh_token&refresh_token=${token}`,
        `grant_type=refresh_token&refresh_token=${token}&refresh_token=${token}`,
        `grant_type=refresh_token&refresh_token=${token}&scope=a&scope=b`,
      ]) {
        expectOAuthError(
          await postForm('/oauth/token', body),
          400,
          'invalid_request',
          'invalid_request',
        );
      }
      expect((await service.getSession(issued.sessionId))?.generation).toBe(0);
    });

    it('refuses JSON parameters that are not strings, and JSON that is not an object', async () => {
      const issued = await service.issueSession({ subject: 'alice' });
      for (const body of [
        { grant_type: 'refresh_token', refresh_token: 12345 },
        { grant_type: ['refresh_token'], refresh_token: issued.refreshToken },
        { grant_type: 'refresh_token', refresh_token: issued.refreshToken, scope: null },
        [issued.refreshToken],
        'refresh_token',
      ]) {
        expectOAuthError(
          await postJson('/oauth/token', body),
          400,
          'invalid_request',
          'invalid_request',
        );
      }
    });

    it('refuses malformed JSON with 400, other media types with 415 and bodies over 16 KiB with 413', async () => {
      const malformed = await app!.inject({
        method: 'POST',
        url: '/oauth/token',
        headers: { 'content-type': 'application/json' },
        payload: '{"grant_type": "refresh_token",',
      });
      expectOAuthError(malformed, 400, 'invalid_request', 'invalid_request');
      const text = await app!.inject({
        method: 'POST',
        url: '/oauth/token',
        headers: { 'content-type': 'text/plain' },
        payload: 'grant_type=refresh_token',
      });
      expectOAuthError(text, 415, 'invalid_request', 'unsupported_media_type');
      const huge = await postForm(
        '/oauth/token',
        refreshGrant('rt_x', { pad: 'x'.repeat(17_000) }),
      );
      expectOAuthError(huge, 413, 'invalid_request', 'body_too_large');
    });
  });

  describe('scope', () => {
    it('narrows the scope of the new access token on request', async () => {
      const issued = await service.issueSession({ subject: 'alice', scope: 'read write admin' });
      const response = await postForm(
        '/oauth/token',
        refreshGrant(issued.refreshToken, { scope: 'read' }),
      );
      expect(response.statusCode).toBe(200);
      expect(json(response).scope).toBe('read');
      const claims = await verifyWithJose(service, json(response).access_token as string, T0);
      expect(claims.scope).toBe('read');
    });

    it('refuses a wider or malformed scope with invalid_scope and keeps the token usable', async () => {
      const issued = await service.issueSession({ subject: 'alice', scope: 'read' });
      for (const scope of ['read write', 'read  read', 'bad"quote']) {
        expectOAuthError(
          await postForm('/oauth/token', refreshGrant(issued.refreshToken, { scope })),
          400,
          'invalid_scope',
          'invalid_scope',
        );
      }
      expect((await postForm('/oauth/token', refreshGrant(issued.refreshToken))).statusCode).toBe(
        200,
      );
    });
  });

  describe('rate limits', () => {
    it('answers 429 with Retry-After once an IP used up its failures, until the window ends', async () => {
      await start({ rateLimit: { ipFailures: 2, sessionFailures: 0, windowTtl: 60 } });
      clock.set(T0 - (T0 % 60)); // start of a window
      const issued = await service.issueSession({ subject: 'alice' });
      for (let i = 0; i < 2; i++) {
        expectOAuthError(
          await postForm('/oauth/token', refreshGrant('rt_bad')),
          400,
          'invalid_grant',
          'unknown',
        );
      }
      clock.advance(15);
      const limited = await postForm('/oauth/token', refreshGrant('rt_bad'));
      expectOAuthError(limited, 429, 'temporarily_unavailable', 'rate_limited');
      expect(limited.headers['retry-after']).toBe('45');
      // A valid token from the same IP is never refused by the limit.
      const valid = await postForm('/oauth/token', refreshGrant(issued.refreshToken));
      expect(valid.statusCode).toBe(200);
      // After the window, the IP's failures are answered as themselves again.
      clock.advance(45);
      expectOAuthError(
        await postForm('/oauth/token', refreshGrant('rt_bad')),
        400,
        'invalid_grant',
        'unknown',
      );
    });

    it('counts wrong client secrets against the IP too', async () => {
      await start({ rateLimit: { ipFailures: 1, sessionFailures: 0, windowTtl: 60 } });
      clock.set(T0 - (T0 % 60));
      const secret = await confidentialClient();
      const issued = await service.issueSession({ subject: 'alice', clientId: 'api' });
      expectOAuthError(
        await postForm('/oauth/token', refreshGrant(issued.refreshToken), {
          authorization: basic('api', 'cs_wrong'),
        }),
        401,
        'invalid_client',
        'invalid_client',
      );
      const limited = await postForm('/oauth/token', refreshGrant(issued.refreshToken), {
        authorization: basic('api', secret),
      });
      expectOAuthError(limited, 429, 'temporarily_unavailable', 'rate_limited');
      expect(limited.headers['retry-after']).toBe('60');
    });
  });
});

describe('POST /oauth/revoke (RFC 7009)', () => {
  it('revokes the session of a refresh token: 200 with an empty body', async () => {
    const issued = await service.issueSession({ subject: 'alice' });
    const response = await postForm('/oauth/revoke', {
      token: issued.refreshToken,
      token_type_hint: 'refresh_token',
    });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('');
    expect(response.headers['cache-control']).toBe('no-store');
    expect(await service.getSession(issued.sessionId)).toMatchObject({
      status: 'revoked',
      revokeReason: 'logout',
    });
    expect((await service.introspect(issued.accessToken, 'admin')).active).toBe(false);
    expectOAuthError(
      await postForm('/oauth/token', refreshGrant(issued.refreshToken)),
      400,
      'invalid_grant',
      'revoked',
    );
  });

  it('revokes only the jti of an access token; the session lives on', async () => {
    const issued = await service.issueSession({ subject: 'alice' });
    const other = await service.issueSession({ subject: 'alice' });
    const response = await postJson('/oauth/revoke', { token: issued.accessToken });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('');
    expect((await service.introspect(issued.accessToken, 'admin')).active).toBe(false);
    expect((await service.introspect(other.accessToken, 'admin')).active).toBe(true);
    const refreshed = await postForm('/oauth/token', refreshGrant(issued.refreshToken));
    expect(refreshed.statusCode).toBe(200);
    expect((await service.introspect(json(refreshed).access_token as string, 'admin')).active).toBe(
      true,
    );
  });

  it('answers 200 for unknown and garbage tokens', async () => {
    for (const token of ['rt_' + 'B'.repeat(65), 'garbage', 'a.b.c']) {
      const response = await postForm('/oauth/revoke', { token });
      expect(response.statusCode).toBe(200);
      expect(response.body).toBe('');
    }
  });

  it("refuses another client's token with unauthorized_client and leaves it alive", async () => {
    await service.createClient({ id: 'mobile' });
    const issued = await service.issueSession({ subject: 'alice', clientId: 'mobile' });
    for (const token of [issued.refreshToken, issued.accessToken]) {
      expectOAuthError(
        await postForm('/oauth/revoke', { token, client_id: 'default' }),
        400,
        'unauthorized_client',
        'client_mismatch',
      );
    }
    expect((await service.getSession(issued.sessionId))?.status).toBe('active');
    expect((await service.introspect(issued.accessToken, 'admin')).active).toBe(true);
  });

  it("needs a confidential client's credentials to revoke its tokens", async () => {
    const secret = await confidentialClient();
    const issued = await service.issueSession({ subject: 'alice', clientId: 'api' });
    const bare = await postForm('/oauth/revoke', { token: issued.refreshToken });
    expectOAuthError(bare, 401, 'invalid_client', 'invalid_client');
    expect(bare.headers['www-authenticate']).toMatch(/^Basic /);
    expect((await service.getSession(issued.sessionId))?.status).toBe('active');
    const authenticated = await postForm(
      '/oauth/revoke',
      { token: issued.refreshToken },
      { authorization: basic('api', secret) },
    );
    expect(authenticated.statusCode).toBe(200);
    expect((await service.getSession(issued.sessionId))?.status).toBe('revoked');
  });

  it('refuses a request without token with invalid_request', async () => {
    expectOAuthError(
      await postForm('/oauth/revoke', { token_type_hint: 'refresh_token' }),
      400,
      'invalid_request',
      'invalid_request',
    );
  });
});

describe('POST /oauth/introspect (RFC 7662)', () => {
  it('refuses callers without authentication and public clients with 401 invalid_client', async () => {
    const issued = await service.issueSession({ subject: 'alice' });
    for (const headers of [
      {},
      { authorization: basic('default', '') },
      { authorization: `Bearer wrong-${ADMIN_TOKEN}` },
    ]) {
      const response = await postForm('/oauth/introspect', { token: issued.accessToken }, headers);
      expectOAuthError(response, 401, 'invalid_client', 'invalid_client');
      expect(response.headers['www-authenticate']).toMatch(/^Basic /);
    }
    const publicByBody = await postForm('/oauth/introspect', {
      token: issued.accessToken,
      client_id: 'default',
    });
    expectOAuthError(publicByBody, 401, 'invalid_client', 'invalid_client');
  });

  it('refuses a confidential client with a wrong secret', async () => {
    await confidentialClient();
    const issued = await service.issueSession({ subject: 'alice' });
    expectOAuthError(
      await postForm(
        '/oauth/introspect',
        { token: issued.accessToken },
        { authorization: basic('api', 'cs_wrong') },
      ),
      401,
      'invalid_client',
      'invalid_client',
    );
  });

  it('describes an active access token to its audience (Basic or post) and to the admin token', async () => {
    const secret = await confidentialClient();
    // The application's client names the resource server's client as its tokens' audience.
    await service.createClient({ id: 'web', audience: 'api' });
    const issued = await service.issueSession({
      subject: 'alice',
      clientId: 'web',
      scope: 'read',
      claims: { tenant: 't1' },
    });
    const responses = [
      await postForm(
        '/oauth/introspect',
        { token: issued.accessToken },
        { authorization: basic('api', secret) },
      ),
      await postForm('/oauth/introspect', {
        token: issued.accessToken,
        client_id: 'api',
        client_secret: secret,
      }),
      await postJson(
        '/oauth/introspect',
        { token: issued.accessToken },
        { authorization: `Bearer ${ADMIN_TOKEN}` },
      ),
    ];
    for (const response of responses) {
      expect(response.statusCode).toBe(200);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(json(response)).toEqual({
        active: true,
        token_type: 'Bearer',
        client_id: 'web',
        sub: 'alice',
        iss: ISSUER,
        aud: 'api',
        exp: T0 + 900,
        iat: T0,
        jti: expect.any(String) as unknown,
        sid: issued.sessionId,
        scope: 'read',
      });
    }
  });

  it("reports another client's tokens as inactive to a confidential client (RFC 7662 §4)", async () => {
    const secret = await confidentialClient();
    const other = await service.issueSession({ subject: 'alice' }); // client default, aud issuer
    const own = await service.issueSession({ subject: 'bob', clientId: 'api' });
    const ask = async (token: string) =>
      json(await postForm('/oauth/introspect', { token }, { authorization: basic('api', secret) }));
    expect(await ask(other.accessToken)).toEqual({ active: false });
    expect(await ask(other.refreshToken)).toEqual({ active: false });
    expect(await ask(own.accessToken)).toMatchObject({ active: true, client_id: 'api' });
    expect(await ask(own.refreshToken)).toMatchObject({ active: true, client_id: 'api' });
    // The admin token still sees every token.
    expect(
      json(
        await postForm(
          '/oauth/introspect',
          { token: other.accessToken },
          { authorization: `Bearer ${ADMIN_TOKEN}` },
        ),
      ),
    ).toMatchObject({ active: true, client_id: 'default' });
  });

  it('describes an unused refresh token as active', async () => {
    const issued = await service.issueSession({ subject: 'alice', idleTtl: 600 });
    const response = await postForm(
      '/oauth/introspect',
      { token: issued.refreshToken },
      { authorization: `Bearer ${ADMIN_TOKEN}` },
    );
    expect(json(response)).toMatchObject({
      active: true,
      token_type: 'refresh_token',
      sub: 'alice',
      client_id: 'default',
      sid: issued.sessionId,
      exp: T0 + 600,
    });
  });

  it('reports earlier-generation access tokens, used refresh tokens and garbage as inactive', async () => {
    const issued = await service.issueSession({ subject: 'alice' });
    const refreshed = json(await postForm('/oauth/token', refreshGrant(issued.refreshToken)));
    const introspect = async (token: string) =>
      json(
        await postForm('/oauth/introspect', { token }, { authorization: `Bearer ${ADMIN_TOKEN}` }),
      );
    expect(await introspect(issued.accessToken)).toEqual({ active: false });
    expect(await introspect(issued.refreshToken)).toEqual({ active: false });
    expect(await introspect('garbage')).toEqual({ active: false });
    expect(await introspect('rt_' + 'C'.repeat(65))).toEqual({ active: false });
    expect(await introspect(refreshed.access_token as string)).toMatchObject({ active: true });
    expect(await introspect(refreshed.refresh_token as string)).toMatchObject({ active: true });
    clock.advance(900);
    expect(await introspect(refreshed.access_token as string)).toEqual({ active: false });
  });

  it('refuses a request without token with invalid_request', async () => {
    expectOAuthError(
      await postForm('/oauth/introspect', {}, { authorization: `Bearer ${ADMIN_TOKEN}` }),
      400,
      'invalid_request',
      'invalid_request',
    );
  });
});

describe('GET /oauth/revocations', () => {
  const list = (after?: string, headers: Record<string, string> = {}) =>
    app!.inject({
      method: 'GET',
      url: after === undefined ? '/oauth/revocations' : `/oauth/revocations?after=${after}`,
      headers,
    });
  const asAdmin = { authorization: `Bearer ${ADMIN_TOKEN}` };

  it('lists revoked sessions and access tokens, and a cursor that moves past old ones', async () => {
    const a = await service.issueSession({ subject: 'alice' });
    const b = await service.issueSession({ subject: 'bob' });
    await service.revokeSession(a.sessionId, 'admin');
    await service.revokeToken(b.accessToken, undefined);
    const first = await list(undefined, asAdmin);
    expect(first.statusCode).toBe(200);
    expect(first.headers['cache-control']).toBe('no-store');
    const body = json(first) as { cursor: string; sessions: unknown[]; jtis: unknown[] };
    expect(body.sessions).toEqual([{ sid: a.sessionId, revokedAt: T0 }]);
    const claims = JSON.parse(
      Buffer.from(b.accessToken.split('.')[1] as string, 'base64url').toString(),
    );
    expect(body.jtis).toEqual([{ jti: claims.jti, exp: T0 + 900 }]);
    // Revocations younger than a few seconds are listed again: the cursor waits for them.
    expect(json(await list(body.cursor, asAdmin))).toMatchObject({
      sessions: [{ sid: a.sessionId }],
    });
    clock.advance(11);
    const later = json(await list(body.cursor, asAdmin)) as typeof body;
    const settled = json(await list(later.cursor, asAdmin));
    expect(settled).toEqual({ cursor: later.cursor, sessions: [], jtis: [] });
  });

  it('shows a client the revocations of its own sessions and of those it is the audience of', async () => {
    const secret = await confidentialClient();
    await service.createClient({ id: 'web', audience: 'api' });
    const mine = await service.issueSession({ subject: 'a', clientId: 'web' });
    const other = await service.issueSession({ subject: 'b' });
    await service.revokeSession(mine.sessionId, 'admin');
    await service.revokeSession(other.sessionId, 'admin');
    const answer = json(await list(undefined, { authorization: basic('api', secret) }));
    expect(answer).toMatchObject({ sessions: [{ sid: mine.sessionId }], jtis: [] });
  });

  it("still shows its audience the sessions a client's removal revoked", async () => {
    const secret = await confidentialClient();
    await service.createClient({ id: 'web', audience: 'api' });
    const issued = await service.issueSession({ subject: 'a', clientId: 'web' });
    await service.deleteClient('web');
    const answer = json(await list(undefined, { authorization: basic('api', secret) }));
    expect(answer).toMatchObject({ sessions: [{ sid: issued.sessionId }] });
  });

  it('needs a confidential client or the admin token, and a well-formed cursor', async () => {
    expectOAuthError(await list(), 401, 'invalid_client', 'invalid_client');
    await service.createClient({ id: 'spa' });
    expectOAuthError(
      await list(undefined, { authorization: basic('spa', '') }),
      401,
      'invalid_client',
      'invalid_client',
    );
    expectOAuthError(await list('abc', asAdmin), 400, 'invalid_request', 'invalid_request');
    expectOAuthError(
      await list('1'.repeat(16), asAdmin),
      400,
      'invalid_request',
      'invalid_request',
    );
  });
});

describe('metadata', () => {
  it('publishes RFC 8414 metadata whose issuer is the configured issuer', async () => {
    const response = await app!.inject({
      method: 'GET',
      url: '/.well-known/oauth-authorization-server',
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const metadata = json(response);
    expect(metadata).toMatchObject({
      issuer: ISSUER,
      token_endpoint: `${ISSUER}/oauth/token`,
      revocation_endpoint: `${ISSUER}/oauth/revoke`,
      introspection_endpoint: `${ISSUER}/oauth/introspect`,
      jwks_uri: `${ISSUER}/.well-known/jwks.json`,
      grant_types_supported: ['refresh_token'],
      response_types_supported: expect.any(Array) as unknown,
      baton_reuse_grace_seconds: 10,
      baton_revocation_list_endpoint: `${ISSUER}/oauth/revocations`,
    });
    expect(metadata.token_endpoint_auth_methods_supported).toEqual(
      expect.arrayContaining(['client_secret_basic', 'client_secret_post', 'none']),
    );
    expect(metadata.revocation_endpoint_auth_methods_supported).toEqual(
      expect.arrayContaining(['client_secret_basic', 'client_secret_post']),
    );
    expect(metadata.introspection_endpoint_auth_methods_supported).toEqual(
      expect.arrayContaining(['client_secret_basic', 'client_secret_post']),
    );
  });

  it('publishes the issuer without a trailing slash when configured with one', async () => {
    await start({ issuer: `${ISSUER}/` });
    const response = await app!.inject({
      method: 'GET',
      url: '/.well-known/oauth-authorization-server',
    });
    expect(json(response)).toMatchObject({
      issuer: ISSUER,
      token_endpoint: `${ISSUER}/oauth/token`,
    });
  });

  it('publishes the JWKS with kid, alg and use, and no private members', async () => {
    await service.rotateKeys();
    const response = await app!.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/(jwk-set\+)?json/);
    const { keys } = response.json<{ keys: Record<string, unknown>[] }>();
    expect(keys).toHaveLength(2);
    for (const key of keys) {
      expect(key).toMatchObject({
        kid: expect.any(String) as unknown,
        alg: 'EdDSA',
        use: 'sig',
        kty: 'OKP',
        crv: 'Ed25519',
      });
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) {
        expect(key).not.toHaveProperty(member);
      }
    }
    const issued = await service.issueSession({ subject: 'alice' });
    const header = JSON.parse(
      Buffer.from(issued.accessToken.split('.')[0] as string, 'base64url').toString(),
    ) as { kid: string };
    expect(keys.map((key) => key.kid)).toContain(header.kid);
  });

  it('publishes RSA and EC keys without private members too', async () => {
    for (const alg of ['RS256', 'ES256'] as const) {
      await start({ alg });
      const response = await app!.inject({ method: 'GET', url: '/.well-known/jwks.json' });
      const { keys } = response.json<{ keys: Record<string, unknown>[] }>();
      expect(keys).toHaveLength(1);
      expect(keys[0]).toMatchObject({ alg, use: 'sig', kid: expect.any(String) as unknown });
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) {
        expect(keys[0]).not.toHaveProperty(member);
      }
    }
  });

  it('publishes no key when tokens are signed with HS256 (the secret must stay secret)', async () => {
    await start({ alg: 'HS256' });
    const response = await app!.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    expect(response.json()).toEqual({ keys: [] });
  });
});
