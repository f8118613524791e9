import { createServer } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import {
  allowInsecureRequests,
  ClientSecretBasic,
  ClientSecretPost,
  Configuration,
  discovery,
  None,
  refreshTokenGrant,
  ResponseBodyError,
  tokenIntrospection,
  tokenRevocation,
  WWWAuthenticateChallengeError,
  type ClientAuth,
} from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/core/clock.js';
import type { Store } from '../../src/core/store.js';
import type { TokenService } from '../../src/core/token-service.js';
import { createApp } from '../../src/http/app.js';
import { createTestService } from '../helpers/service.js';

/** A port that was free a moment ago (the OS picks it; the caller retries if it is taken). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/**
 * Starts Baton listening on 127.0.0.1 with the issuer equal to its own URL, as a discovering
 * client requires (RFC 8414 §3.3). The port must be known before the service exists, so one is
 * picked first; if another process takes it in between, a new one is picked.
 */
async function listen(): Promise<{
  app: FastifyInstance;
  service: TokenService;
  clock: ManualClock;
  store: Store;
  issuer: URL;
}> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    const { service, clock, store } = await createTestService({ issuer });
    const app = await createApp({ service, logger: false });
    try {
      await app.listen({ port, host: '127.0.0.1' });
      return { app, service, clock, store, issuer: new URL(issuer) };
    } catch (error) {
      await app.close();
      await store.close();
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt === 5) throw error;
    }
  }
}

let server: Awaited<ReturnType<typeof listen>>;
let apiSecret: string;

beforeAll(async () => {
  server = await listen();
  // The resource server's confidential client `api` is the audience of the app's tokens.
  await server.service.createClient({ id: 'mobile', audience: 'api' });
  apiSecret = (await server.service.createClient({ id: 'api', confidential: true }))
    .clientSecret as string;
});
afterAll(async () => {
  await server.app.close();
  await server.store.close();
});

/** Discovers Baton from its issuer URL (RFC 8414 metadata) over plain HTTP. */
function discover(clientId: string, clientAuth: ClientAuth): Promise<Configuration> {
  return discovery(server.issuer, clientId, undefined, clientAuth, {
    algorithm: 'oauth2',
    execute: [allowInsecureRequests],
  });
}

/** Verifies an access token as a resource server would: jose, the JWKS fetched from `jwks_uri`. */
async function verifyAccessToken(config: Configuration, token: string): Promise<JWTPayload> {
  const metadata = config.serverMetadata();
  const jwks = createRemoteJWKSet(new URL(metadata.jwks_uri as string));
  const { payload } = await jwtVerify(token, jwks, {
    issuer: metadata.issuer,
    typ: 'at+jwt',
    currentDate: new Date(server.clock.now() * 1000),
  });
  return payload;
}

/** Resolves to what `promise` rejects with; fails the test if it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('openid-client against a listening Baton', () => {
  it('discovers the server: the metadata issuer is the listening URL', async () => {
    const config = await discover('mobile', None());
    const metadata = config.serverMetadata();
    expect(metadata.issuer).toBe(server.issuer.href.replace(/\/$/, ''));
    expect(metadata.token_endpoint).toBe(`${metadata.issuer}/oauth/token`);
    expect(metadata.introspection_endpoint).toBe(`${metadata.issuer}/oauth/introspect`);
    expect(metadata.revocation_endpoint).toBe(`${metadata.issuer}/oauth/revoke`);
  });

  it('refreshes for a public client (auth method none)', async () => {
    const config = await discover('mobile', None());
    const issuedAt = server.clock.now();
    const issued = await server.service.issueSession({
      subject: 'alice',
      clientId: 'mobile',
      scope: 'read write',
    });
    const tokens = await refreshTokenGrant(config, issued.refreshToken);
    expect(tokens.token_type).toBe('bearer'); // normalised to lower case by the library
    expect(tokens.expires_in).toBe(900);
    expect(tokens.expiresIn()).toBeGreaterThan(0);
    expect(tokens.scope).toBe('read write');
    expect(tokens.refresh_token).toMatch(/^rt_/);
    expect(tokens.session_expires_at).toBe(issuedAt + 2_592_000);
    const claims = await verifyAccessToken(config, tokens.access_token);
    expect(claims).toMatchObject({ sub: 'alice', client_id: 'mobile', gen: 1 });

    const narrowed = await refreshTokenGrant(config, tokens.refresh_token as string, {
      scope: 'read',
    });
    expect(narrowed.scope).toBe('read');
  });

  it.each<[string, () => ClientAuth]>([
    ['client_secret_basic', () => ClientSecretBasic(apiSecret)],
    ['client_secret_post', () => ClientSecretPost(apiSecret)],
  ])('refreshes for a confidential client with %s', async (_method, auth) => {
    const config = await discover('api', auth());
    const issued = await server.service.issueSession({ subject: 'bob', clientId: 'api' });
    const first = await refreshTokenGrant(config, issued.refreshToken);
    const second = await refreshTokenGrant(config, first.refresh_token as string);
    const claims = await verifyAccessToken(config, second.access_token);
    expect(claims).toMatchObject({ sub: 'bob', client_id: 'api', gen: 2 });
  });

  it('surfaces a wrong client secret as a 401 Basic challenge whose body is invalid_client', async () => {
    const config = await discover('api', ClientSecretBasic('cs_wrong'));
    const issued = await server.service.issueSession({ subject: 'bob', clientId: 'api' });
    const error = await rejection(refreshTokenGrant(config, issued.refreshToken));
    expect(error).toBeInstanceOf(WWWAuthenticateChallengeError);
    const challenge = error as WWWAuthenticateChallengeError;
    expect(challenge.status).toBe(401);
    expect(challenge.cause[0]?.scheme).toBe('basic');
    expect(await challenge.response.json()).toMatchObject({
      error: 'invalid_client',
      reason: 'invalid_client',
    });
    expect((await server.service.getSession(issued.sessionId))?.generation).toBe(0);
  });

  it('throws a ResponseBodyError invalid_grant whose body says "reused" for a reused token', async () => {
    const config = await discover('mobile', None());
    const issued = await server.service.issueSession({ subject: 'carol', clientId: 'mobile' });
    await refreshTokenGrant(config, issued.refreshToken);
    server.clock.advance(11); // past the default 10 s grace
    const error = await rejection(refreshTokenGrant(config, issued.refreshToken));
    expect(error).toBeInstanceOf(ResponseBodyError);
    const bodyError = error as ResponseBodyError;
    expect(bodyError.status).toBe(400);
    expect(bodyError.error).toBe('invalid_grant');
    expect(bodyError.cause).toMatchObject({ error: 'invalid_grant', reason: 'reused' });
    expect((await server.service.getSession(issued.sessionId))?.revokeReason).toBe('reuse');
  });

  it('answers a retry inside the grace with the very same tokens', async () => {
    const config = await discover('mobile', None());
    const issued = await server.service.issueSession({ subject: 'dave', clientId: 'mobile' });
    const first = await refreshTokenGrant(config, issued.refreshToken);
    server.clock.advance(3);
    const retry = await refreshTokenGrant(config, issued.refreshToken);
    expect(retry.access_token).toBe(first.access_token);
    expect(retry.refresh_token).toBe(first.refresh_token);
  });

  it('revokes a refresh token (RFC 7009), which ends its session', async () => {
    const config = await discover('mobile', None());
    const issued = await server.service.issueSession({ subject: 'erin', clientId: 'mobile' });
    await expect(tokenRevocation(config, issued.refreshToken)).resolves.toBeUndefined();
    expect((await server.service.getSession(issued.sessionId))?.status).toBe('revoked');
    const error = await rejection(refreshTokenGrant(config, issued.refreshToken));
    expect(error).toBeInstanceOf(ResponseBodyError);
    expect((error as ResponseBodyError).cause).toMatchObject({ reason: 'revoked' });
  });

  it('revokes an access token with a confidential client', async () => {
    const config = await discover('api', ClientSecretBasic(apiSecret));
    const issued = await server.service.issueSession({ subject: 'erin', clientId: 'api' });
    await tokenRevocation(config, issued.accessToken, { token_type_hint: 'access_token' });
    expect((await server.service.introspect(issued.accessToken, 'admin')).active).toBe(false);
    expect((await server.service.getSession(issued.sessionId))?.status).toBe('active');
  });

  it('introspects tokens (RFC 7662) as a confidential client, basic or post', async () => {
    const issued = await server.service.issueSession({
      subject: 'frank',
      clientId: 'mobile',
      scope: 'read',
    });
    for (const auth of [ClientSecretBasic(apiSecret), ClientSecretPost(apiSecret)]) {
      const config = await discover('api', auth);
      const access = await tokenIntrospection(config, issued.accessToken);
      expect(access).toMatchObject({
        active: true,
        sub: 'frank',
        client_id: 'mobile',
        scope: 'read',
        token_type: 'Bearer',
        iss: config.serverMetadata().issuer,
      });
      // The refresh token is the app's own: the resource server learns nothing of it.
      expect(await tokenIntrospection(config, issued.refreshToken)).toEqual({ active: false });
      expect(await tokenIntrospection(config, 'garbage')).toEqual({ active: false });
    }
    const mobile = await discover('mobile', None());
    await refreshTokenGrant(mobile, issued.refreshToken);
    const config = await discover('api', ClientSecretBasic(apiSecret));
    expect(await tokenIntrospection(config, issued.accessToken)).toEqual({ active: false });
  });

  it('refuses introspection to a public client', async () => {
    const config = await discover('mobile', None());
    const issued = await server.service.issueSession({ subject: 'gina', clientId: 'mobile' });
    const error = await rejection(tokenIntrospection(config, issued.accessToken));
    expect(error).toBeInstanceOf(WWWAuthenticateChallengeError);
    expect((error as WWWAuthenticateChallengeError).status).toBe(401);
  });

  it('works from a configuration built from metadata without discovery', async () => {
    const issuer = server.issuer.href.replace(/\/$/, '');
    const config = new Configuration(
      {
        issuer,
        token_endpoint: `${issuer}/oauth/token`,
        introspection_endpoint: `${issuer}/oauth/introspect`,
      },
      'api',
      undefined,
      ClientSecretPost(apiSecret),
    );
    allowInsecureRequests(config);
    const issued = await server.service.issueSession({ subject: 'hank', clientId: 'api' });
    const tokens = await refreshTokenGrant(config, issued.refreshToken);
    expect(await tokenIntrospection(config, tokens.access_token)).toMatchObject({
      active: true,
      sub: 'hank',
    });
  });
});
