import type { FastifyInstance } from 'fastify';
import { decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/core/clock.js';
import { DIALECT_NAMES, type DialectName } from '../../src/core/dialects.js';
import type { TokenService, TokenServiceOptions } from '../../src/core/token-service.js';
import { createApp } from '../../src/http/app.js';
import { ADMIN_TOKEN, createTestService, ISSUER, T0, verifyWithJose } from '../helpers/service.js';

// The refresh rules of docs/refresh-rules.md, as docs/dialects.md promises them through each of
// the five wire dialects: in process, over real HTTP (global fetch against app.listen).

let app: FastifyInstance | undefined;
let service: TokenService | undefined;
let clock: ManualClock;
let base: string;

async function start(options: Partial<TokenServiceOptions> = {}): Promise<TokenService> {
  await stop();
  const created = await createTestService(options);
  service = created.service;
  clock = created.clock;
  app = await createApp({
    service,
    logger: false,
    dialects: DIALECT_NAMES.map((name) => ({ name, prefix: '' })),
  });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  return service;
}

async function stop(): Promise<void> {
  await app?.close();
  await service?.close();
  app = undefined;
  service = undefined;
}

afterEach(stop);

/** The service of the running test. */
function svc(): TokenService {
  if (service === undefined) throw new Error('no service started');
  return service;
}

/** A response read to the end. */
interface Reply {
  status: number;
  headers: Headers;
  /** The body exactly as received. */
  text: string;
  body: Record<string, unknown>;
}

async function call(path: string, init: RequestInit): Promise<Reply> {
  const response = await fetch(`${base}${path}`, init);
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON: leave the body empty, the assertions on `text` and `status` still apply
  }
  return { status: response.status, headers: response.headers, text, body };
}

const postJson = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  call(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

/** What a client holds between refreshes. */
interface Credentials {
  accessToken: string;
  refreshToken: string;
}

/** One wire dialect: how to call it and how to read its answers. */
interface Dialect {
  name: DialectName;
  /** The credential the dialect refreshes with (sevenG: both, the refresh token decides). */
  by: 'access' | 'refresh';
  /** The status of a credential that is not valid: 401, aisquare 400. */
  refused: number;
  send(held: Credentials): Promise<Reply>;
  /** The credentials to hold after a successful answer. */
  next(body: Record<string, unknown>, held: Credentials): Credentials;
  /** Asserts the dialect's own error body for `status`. */
  errorShape(reply: Reply, status: number): void;
}

const str = (value: unknown): string => {
  expect(typeof value).toBe('string');
  return value as string;
};

const PAYABLI: Dialect = {
  name: 'payabli',
  by: 'access',
  refused: 401,
  send: (held) =>
    call('/api/User/authrefresh', {
      method: 'POST',
      headers: { requestToken: held.accessToken },
    }),
  next: (body, held) => ({ accessToken: str(body.responseData), refreshToken: held.refreshToken }),
  errorShape: (reply) => {
    expect(reply.body).toEqual({ isSuccess: false, responseText: expect.any(String) });
  },
};

const TRANSAK: Dialect = {
  name: 'transak',
  by: 'access',
  refused: 401,
  send: (held) =>
    call('/api/v2/auth/refresh', { method: 'GET', headers: { authorization: held.accessToken } }),
  next: (body, held) => ({
    accessToken: str((body.data as Record<string, unknown> | undefined)?.accessToken),
    refreshToken: held.refreshToken,
  }),
  errorShape: (reply, status) => {
    expect(reply.body).toEqual({ error: { statusCode: status, message: expect.any(String) } });
  },
};

const SEVEN_G: Dialect = {
  name: 'sevenG',
  by: 'refresh',
  refused: 401,
  send: (held) =>
    postJson(
      '/User/RefreshToken',
      { refreshToken: held.refreshToken },
      { authorization: `Bearer ${held.accessToken}`, version: '2.0' },
    ),
  next: (body) => ({ accessToken: str(body.accessToken), refreshToken: str(body.refreshToken) }),
  errorShape: (reply, status) => {
    expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(reply.body).toEqual({
      type: 'about:blank',
      title: expect.any(String),
      status,
      detail: expect.any(String),
    });
  },
};

const AISQUARE: Dialect = {
  name: 'aisquare',
  by: 'refresh',
  refused: 400,
  send: (held) => postJson('/api/v1/token/refresh/', { refresh: held.refreshToken }),
  next: (body, held) => ({
    accessToken: str(body.access),
    refreshToken: body.refresh === undefined ? held.refreshToken : str(body.refresh),
  }),
  errorShape: (reply, status) => {
    if (status === 400)
      expect(reply.body).toEqual({
        detail: 'Token is invalid or expired',
        code: 'token_not_valid',
      });
    else expect(reply.body).toEqual({ detail: expect.any(String) });
  },
};

const ADID: Dialect = {
  name: 'adid',
  by: 'refresh',
  refused: 401,
  send: (held) => postJson('/api/v1/auth/refresh', { refreshToken: held.refreshToken }),
  next: (body, held) => ({
    accessToken: str(body.accessToken),
    refreshToken: body.refreshToken === undefined ? held.refreshToken : str(body.refreshToken),
  }),
  errorShape: (reply) => {
    expect(reply.body).toEqual({ error: expect.any(String), message: expect.any(String) });
  },
};

const DIALECTS: Dialect[] = [PAYABLI, TRANSAK, SEVEN_G, AISQUARE, ADID];
const ACCESS_DIALECTS = DIALECTS.filter((d) => d.by === 'access');
const REFRESH_DIALECTS = DIALECTS.filter((d) => d.by === 'refresh');

/** Asserts a 200 and returns the credentials the client holds next. */
function expectRefreshed(dialect: Dialect, reply: Reply, held: Credentials): Credentials {
  expect({ status: reply.status, body: reply.body }).toMatchObject({ status: 200 });
  expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
  return dialect.next(reply.body, held);
}

/**
 * Asserts a refusal of a credential in the dialect's status and error format; for adid, whose
 * error names the reason of docs/errors.md, also that reason.
 */
function expectRefused(dialect: Dialect, reply: Reply, adidReason?: string): void {
  expect({ status: reply.status, body: reply.body }).toMatchObject({ status: dialect.refused });
  dialect.errorShape(reply, dialect.refused);
  if (dialect.refused === 401) expect(reply.headers.get('www-authenticate')).toMatch(/^Bearer /);
  if (dialect.name === 'adid' && adidReason !== undefined)
    expect(reply.body.error).toBe(adidReason);
}

/** Asserts a 429 with a Retry-After until the end of the window, in the dialect's format. */
function expectThrottled(dialect: Dialect, reply: Reply): void {
  expect({ status: reply.status, body: reply.body }).toMatchObject({ status: 429 });
  // Windows are fixed minutes: the wait is what is left of the current one.
  const retryAfter = Number(reply.headers.get('retry-after'));
  expect(retryAfter).toBe(60 - (clock.now() % 60));
  dialect.errorShape(reply, 429);
  if (dialect.name === 'aisquare')
    expect(reply.body.detail).toBe(
      `Request was throttled. Expected available in ${retryAfter} seconds.`,
    );
  if (dialect.name === 'adid') expect(reply.body.error).toBe('rate_limited');
}

async function generation(sessionId: string): Promise<number | undefined> {
  return (await svc().getSession(sessionId))?.generation;
}

async function sessionState(sessionId: string) {
  const view = await svc().getSession(sessionId);
  return { status: view?.status, generation: view?.generation, revokeReason: view?.revokeReason };
}

/** `POST /oauth/token` with the refresh grant, form-encoded (RFC 6749 §6). */
function oauthRefresh(refreshToken: string, headers: Record<string, string> = {}): Promise<Reply> {
  return call('/oauth/token', {
    method: 'POST',
    headers,
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
  });
}

function adminCall(method: string, path: string, body?: unknown): Promise<Reply> {
  return call(path, {
    method,
    headers: {
      authorization: `Bearer ${ADMIN_TOKEN}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function issue(
  input: Parameters<TokenService['issueSession']>[0] = { subject: 'alice' },
): Promise<Credentials & { sessionId: string }> {
  const issued = await svc().issueSession(input);
  return {
    accessToken: issued.accessToken,
    refreshToken: issued.refreshToken,
    sessionId: issued.sessionId,
  };
}

async function expectAccessTokenRetired(token: string): Promise<void> {
  expect(await svc().introspect(token, 'admin')).toEqual({ active: false });
  await expect(svc().checkAccessToken(token)).rejects.toMatchObject({
    code: 'ERR_ACCESS_TOKEN_INVALID',
  });
}

describe.each(DIALECTS)('$name: the refresh rules', (dialect) => {
  it('refreshes: a new access token that jose verifies, of the next generation', async () => {
    await start();
    const issued = await issue({ subject: 'alice', scope: 'read write' });
    clock.advance(30);
    const reply = await dialect.send(issued);
    const next = expectRefreshed(dialect, reply, issued);
    const claims = await verifyWithJose(svc(), next.accessToken, T0 + 30);
    expect(claims).toMatchObject({
      iss: ISSUER,
      sub: 'alice',
      sid: issued.sessionId,
      gen: 1,
      iat: T0 + 30,
      exp: T0 + 30 + 900,
      scope: 'read write',
    });
    expect(next.accessToken).not.toBe(issued.accessToken);
    expect(await sessionState(issued.sessionId)).toEqual({
      status: 'active',
      generation: 1,
      revokeReason: null,
    });
    expect(await svc().introspect(next.accessToken, 'admin')).toMatchObject({
      active: true,
      sid: issued.sessionId,
    });

    if (dialect.by === 'refresh') {
      // A new refresh token with every refresh (rotation is on by default).
      expect(next.refreshToken).toMatch(/^rt_[A-Za-z0-9_-]{92}$/);
      expect(next.refreshToken).not.toBe(issued.refreshToken);
      expect(await svc().introspect(next.refreshToken, 'admin')).toMatchObject({ active: true });
      expect(await svc().introspect(issued.refreshToken, 'admin')).toEqual({ active: false });
    } else {
      // No refresh token is handed out: the one the client holds is carried forward.
      expect(reply.text).not.toMatch(/rt_/);
      expect(await svc().introspect(issued.refreshToken, 'admin')).toMatchObject({
        active: true,
        sid: issued.sessionId,
      });
    }
    if (dialect.name === 'payabli') {
      expect(reply.body).toMatchObject({
        isSuccess: true,
        responseText: 'Success',
        remaining: 15,
        inactiveTokenTime: 10_080,
      });
    }
    if (dialect.name === 'adid') expect(reply.body.expiresIn).toBe(900);
  });

  it('answers a retry with the same credential inside the reuse grace byte for byte, without rotating again', async () => {
    await start();
    const issued = await issue();
    const first = await dialect.send(issued);
    const next = expectRefreshed(dialect, first, issued);
    clock.advance(9.999); // the grace is 10 s: it ends 10 s after the refresh
    const retry = await dialect.send(issued);
    expect(retry.status).toBe(200);
    expect(retry.text).toBe(first.text);
    expect(await generation(issued.sessionId)).toBe(1);
    // The tokens of the answer are still the current ones.
    expect(await svc().introspect(next.accessToken, 'admin')).toMatchObject({ active: true });
  });

  it("follows the client's own reuse grace", async () => {
    await start();
    await svc().createClient({ id: 'strict', reuseGrace: 0 });
    const issued = await issue({ subject: 'alice', clientId: 'strict' });
    const first = await dialect.send(issued);
    expectRefreshed(dialect, first, issued);
    // A grace of 0 is strict rotation: the same credential again, at once, is not replayed.
    expectRefused(dialect, await dialect.send(issued), 'reused');
    expect(await sessionState(issued.sessionId)).toEqual(
      dialect.by === 'refresh'
        ? { status: 'revoked', generation: 1, revokeReason: 'reuse' }
        : { status: 'active', generation: 1, revokeReason: null },
    );
  });

  it('retires the previous access token at every refresh', async () => {
    await start();
    const issued = await issue();
    const first = expectRefreshed(dialect, await dialect.send(issued), issued);
    await expectAccessTokenRetired(issued.accessToken);
    expect(await svc().checkAccessToken(first.accessToken)).toMatchObject({
      claims: { gen: 1 },
    });

    clock.advance(20);
    const second = expectRefreshed(dialect, await dialect.send(first), first);
    await expectAccessTokenRetired(issued.accessToken);
    await expectAccessTokenRetired(first.accessToken);
    expect(await svc().checkAccessToken(second.accessToken)).toMatchObject({
      claims: { gen: 2 },
    });
  });

  it(`refuses (${dialect.refused}) after the session's absolute end`, async () => {
    await start();
    const issued = await issue({ subject: 'alice', refreshTtl: 100 });
    clock.advance(99);
    const reply = await dialect.send(issued);
    const last = expectRefreshed(dialect, reply, issued);
    // The access token never outlives its session.
    expect(await verifyWithJose(svc(), last.accessToken, T0 + 99)).toMatchObject({
      exp: T0 + 100,
    });
    if (dialect.name === 'payabli')
      expect(reply.body).toMatchObject({ remaining: 0, inactiveTokenTime: 0 });
    if (dialect.name === 'adid') expect(reply.body.expiresIn).toBe(1);
    clock.advance(1);
    expectRefused(dialect, await dialect.send(last), 'expired');
    expect(await sessionState(issued.sessionId)).toMatchObject({
      status: 'expired',
      generation: 1,
    });
  });

  it('answers lifetimes from the token set, capped by the session end', async () => {
    await start();
    const issued = await issue({ subject: 'alice', refreshTtl: 3600 });
    clock.advance(30);
    const first = await dialect.send(issued);
    const next = expectRefreshed(dialect, first, issued);
    expect(await verifyWithJose(svc(), next.accessToken, T0 + 30)).toMatchObject({
      exp: T0 + 930,
    });
    // payabli: the idle limit capped by the session end, in whole minutes rounded down.
    if (dialect.name === 'payabli')
      expect(first.body).toMatchObject({ remaining: 15, inactiveTokenTime: 59 });
    if (dialect.name === 'adid') expect(first.body.expiresIn).toBe(900);
    // Refresh every 800 s (before each access token expires) up to T0 + 3000.
    let held = next;
    for (const at of [830, 1630, 2430]) {
      clock.set(T0 + at);
      held = expectRefreshed(dialect, await dialect.send(held), held);
    }
    clock.set(T0 + 3000);
    const late = await dialect.send(held);
    const last = expectRefreshed(dialect, late, held);
    expect(await verifyWithJose(svc(), last.accessToken, T0 + 3000)).toMatchObject({
      exp: T0 + 3600,
    });
    if (dialect.name === 'payabli')
      expect(late.body).toMatchObject({ remaining: 10, inactiveTokenTime: 10 });
    if (dialect.name === 'adid') expect(late.body.expiresIn).toBe(600);
  });

  it(`refuses (${dialect.refused}) once the session was idle for its idle lifetime`, async () => {
    await start();
    const issued = await issue({ subject: 'alice', idleTtl: 50 });
    clock.advance(49);
    const first = expectRefreshed(dialect, await dialect.send(issued), issued);
    // A refresh moves the idle end: 49 s later the session is still alive.
    clock.advance(49);
    const second = expectRefreshed(dialect, await dialect.send(first), first);
    clock.advance(50);
    expectRefused(dialect, await dialect.send(second), 'idle');
    expect(await sessionState(issued.sessionId)).toMatchObject({ status: 'idle', generation: 2 });
  });

  it(`refuses (${dialect.refused}) a session revoked through the admin API`, async () => {
    await start();
    const issued = await issue();
    const other = await issue({ subject: 'bob' });
    const revoked = await adminCall('DELETE', `/admin/sessions/${issued.sessionId}`);
    expect(revoked.status).toBe(200);
    expectRefused(dialect, await dialect.send(issued), 'revoked');
    expect(await sessionState(issued.sessionId)).toMatchObject({
      status: 'revoked',
      generation: 0,
    });
    // Only that session ended.
    expectRefreshed(dialect, await dialect.send(other), other);
  });

  it(`refuses (${dialect.refused}) a session revoked through the service, even with credentials issued before`, async () => {
    await start();
    const issued = await issue();
    const next = expectRefreshed(dialect, await dialect.send(issued), issued);
    expect(await svc().revokeSession(issued.sessionId, 'admin')).toBe(true);
    expectRefused(dialect, await dialect.send(next), 'revoked');
    expect(await generation(issued.sessionId)).toBe(1);
  });

  const expiredOk = dialect.name !== 'payabli' && dialect.name !== 'transak';
  it(`${expiredOk ? 'refreshes' : 'refuses (401)'} when the access token it holds has expired`, async () => {
    await start();
    const early = await issue();
    const issued = await issue();
    // One second before its end the access token still refreshes; at its end (exp, RFC 7519
    // "on or after") it is expired.
    clock.advance(899);
    expectRefreshed(dialect, await dialect.send(early), early);
    clock.advance(1);
    const reply = await dialect.send(issued);
    if (expiredOk) {
      const next = expectRefreshed(dialect, reply, issued);
      expect(await verifyWithJose(svc(), next.accessToken, T0 + 900)).toMatchObject({ gen: 1 });
      expect(await generation(issued.sessionId)).toBe(1);
    } else {
      // payabli: "valid, unexpired"; transak: "an expired token cannot be refreshed".
      expectRefused(dialect, reply);
      expect(await sessionState(issued.sessionId)).toEqual({
        status: 'active',
        generation: 0,
        revokeReason: null,
      });
      // The session itself is fine: its refresh token still works on the OAuth face.
      expect((await oauthRefresh(issued.refreshToken)).status).toBe(200);
    }
  });

  it('does not answer a credential of another service (a foreign signature or an unknown token)', async () => {
    await start();
    const issued = await issue();
    const { privateKey } = await generateKeyPair('EdDSA');
    const { kid } = decodeProtectedHeader(issued.accessToken);
    const forged = await new SignJWT({
      sid: issued.sessionId,
      client_id: 'default',
      gen: 0,
      jti: 'forged0123456789',
    })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', ...(kid === undefined ? {} : { kid }) })
      .setIssuer(ISSUER)
      .setSubject('alice')
      .setAudience(ISSUER)
      .setIssuedAt(T0)
      .setExpirationTime(T0 + 900)
      .sign(privateKey);
    // payabli, transak and sevenG get the forged access token, aisquare and adid an unknown
    // refresh token of the same session.
    const held =
      dialect.name === 'aisquare' || dialect.name === 'adid'
        ? { ...issued, refreshToken: `${issued.refreshToken.slice(0, -4)}AAAA` }
        : { ...issued, accessToken: forged };
    expectRefused(dialect, await dialect.send(held), 'unknown');
    expect(await sessionState(issued.sessionId)).toEqual({
      status: 'active',
      generation: 0,
      revokeReason: null,
    });
    // The genuine credentials were not touched.
    expectRefreshed(dialect, await dialect.send(issued), issued);
  });
});

describe.each(REFRESH_DIALECTS)('$name: reuse detection', (dialect) => {
  it('a used refresh token presented after the grace revokes the session, and its successor is refused', async () => {
    await start();
    const issued = await issue();
    const next = expectRefreshed(dialect, await dialect.send(issued), issued);
    clock.advance(11);
    expectRefused(dialect, await dialect.send(issued), 'reused');
    expect(await sessionState(issued.sessionId)).toEqual({
      status: 'revoked',
      generation: 1,
      revokeReason: 'reuse',
    });
    const events = await svc().listEvents({ type: 'refresh_token.reused', limit: 10 });
    expect(events).toEqual([
      expect.objectContaining({ type: 'refresh_token.reused', sessionId: issued.sessionId }),
    ]);
    // The family is over: the successor and the access token of the last refresh are dead too.
    expectRefused(dialect, await dialect.send(next), 'revoked');
    expect((await oauthRefresh(next.refreshToken)).status).toBe(400);
    await expectAccessTokenRetired(next.accessToken);
  });

  it('a used refresh token presented after its successor was used revokes the session, even inside the grace', async () => {
    await start();
    const issued = await issue();
    const first = expectRefreshed(dialect, await dialect.send(issued), issued);
    const second = expectRefreshed(dialect, await dialect.send(first), first);
    expectRefused(dialect, await dialect.send(issued), 'reused');
    expect(await sessionState(issued.sessionId)).toEqual({
      status: 'revoked',
      generation: 2,
      revokeReason: 'reuse',
    });
    expectRefused(dialect, await dialect.send(second), 'revoked');
  });

  it('a used refresh token of a session that already ended is answered revoked, not reused', async () => {
    await start();
    const issued = await issue();
    expectRefreshed(dialect, await dialect.send(issued), issued);
    expect(await svc().revokeSession(issued.sessionId, 'logout')).toBe(true);
    clock.advance(11);
    expectRefused(dialect, await dialect.send(issued), 'revoked');
    expect((await sessionState(issued.sessionId)).revokeReason).toBe('logout');
  });
});

describe.each(REFRESH_DIALECTS)('$name: reuse is judged on live sessions only', (dialect) => {
  it('a used refresh token of an expired session is answered expired and revokes nothing', async () => {
    await start();
    const issued = await issue({ subject: 'alice', refreshTtl: 100 });
    expectRefreshed(dialect, await dialect.send(issued), issued);
    clock.advance(100);
    expectRefused(dialect, await dialect.send(issued), 'expired');
    expect(await sessionState(issued.sessionId)).toEqual({
      status: 'expired',
      generation: 1,
      revokeReason: null,
    });
    expect(await svc().listEvents({ type: 'refresh_token.reused', limit: 10 })).toEqual([]);
  });
});

describe('a retry through another face', () => {
  it('an access-token retry inside the grace through the other access-token dialect gets the same access token', async () => {
    await start();
    const issued = await issue();
    const first = expectRefreshed(PAYABLI, await PAYABLI.send(issued), issued);
    clock.advance(5);
    const retry = expectRefreshed(TRANSAK, await TRANSAK.send(issued), issued);
    expect(retry.accessToken).toBe(first.accessToken);
    expect(await generation(issued.sessionId)).toBe(1);
  });

  it('a refresh-token retry inside the grace through other dialects gets the same tokens', async () => {
    await start();
    const issued = await issue();
    const oauth = await oauthRefresh(issued.refreshToken);
    expect(oauth.status).toBe(200);
    clock.advance(5);
    for (const dialect of REFRESH_DIALECTS) {
      const retry = expectRefreshed(dialect, await dialect.send(issued), issued);
      expect(retry).toEqual({
        accessToken: oauth.body.access_token,
        refreshToken: oauth.body.refresh_token,
      });
    }
    expect(await generation(issued.sessionId)).toBe(1);
  });
});

describe.each(ACCESS_DIALECTS)('$name: refreshing with the access token', (dialect) => {
  it('refuses a retired access token after the grace with 401, and the session lives on', async () => {
    await start();
    const issued = await issue();
    const next = expectRefreshed(dialect, await dialect.send(issued), issued);
    clock.advance(11);
    expectRefused(dialect, await dialect.send(issued));
    expect(await sessionState(issued.sessionId)).toEqual({
      status: 'active',
      generation: 1,
      revokeReason: null,
    });
    expect(await svc().listEvents({ type: 'refresh_token.reused', limit: 10 })).toEqual([]);
    // Its current credentials still work: the new access token here, the carried refresh token
    // on the OAuth face.
    expect(await svc().introspect(next.accessToken, 'admin')).toMatchObject({ active: true });
    const again = expectRefreshed(dialect, await dialect.send(next), next);
    expect(await generation(issued.sessionId)).toBe(2);
    const oauth = await oauthRefresh(issued.refreshToken);
    expect(oauth.status).toBe(200);
    expect(await generation(issued.sessionId)).toBe(3);
    await expectAccessTokenRetired(again.accessToken);
  });

  it('refuses the old access token once the new one was used to refresh, even inside the grace', async () => {
    await start();
    const issued = await issue();
    const first = expectRefreshed(dialect, await dialect.send(issued), issued);
    const second = expectRefreshed(dialect, await dialect.send(first), first);
    expectRefused(dialect, await dialect.send(issued));
    expect(await sessionState(issued.sessionId)).toEqual({
      status: 'active',
      generation: 2,
      revokeReason: null,
    });
    expect(await svc().introspect(second.accessToken, 'admin')).toMatchObject({ active: true });
  });

  it('answers a retry inside the grace even when the access token expired in between', async () => {
    await start({ accessTtl: 5 });
    const issued = await issue();
    clock.advance(4);
    const first = await dialect.send(issued);
    expectRefreshed(dialect, first, issued);
    // The presented token is now past its exp; its retry still gets the answer already given.
    clock.advance(3);
    const retry = await dialect.send(issued);
    expect(retry.status).toBe(200);
    expect(retry.text).toBe(first.text);
    expect(await generation(issued.sessionId)).toBe(1);
    // Past the grace it is only an expired, retired token.
    clock.advance(10);
    expectRefused(dialect, await dialect.send(issued));
  });

  it('refuses an access token revoked by id (RFC 7009), without ending the session', async () => {
    await start();
    const issued = await issue();
    await svc().revokeToken(issued.accessToken, undefined);
    expectRefused(dialect, await dialect.send(issued));
    expect(await sessionState(issued.sessionId)).toMatchObject({ status: 'active', generation: 0 });
    expect((await oauthRefresh(issued.refreshToken)).status).toBe(200);
  });

  it('answers retired access tokens 429 once the session is over budget, never its current one', async () => {
    await start({ rateLimit: { ipFailures: 0, sessionFailures: 3 } });
    const issued = await issue();
    const next = expectRefreshed(dialect, await dialect.send(issued), issued);
    clock.advance(11);
    for (let i = 0; i < 3; i++) expectRefused(dialect, await dialect.send(issued));
    expectThrottled(dialect, await dialect.send(issued));
    // The holder of the current token is not locked out by whoever holds an old one.
    expectRefreshed(dialect, await dialect.send(next), next);
    expect(await generation(issued.sessionId)).toBe(2);
  });
});

describe('transak: HEAD', () => {
  it('is not served: a HEAD would refresh and throw the new token away', async () => {
    await start();
    const issued = await issue();
    const head = await fetch(`${base}/api/v2/auth/refresh`, {
      method: 'HEAD',
      headers: { authorization: issued.accessToken },
    });
    expect(head.status).toBe(405);
    expect(head.headers.get('allow')).toBe('GET, OPTIONS');
    expect(await generation(issued.sessionId)).toBe(0);
    expectRefreshed(TRANSAK, await TRANSAK.send(issued), issued);
  });
});

describe('sevenG: the access token beside the refresh token', () => {
  it('refuses (401) an access token of another session, and consumes nothing', async () => {
    await start();
    const a = await issue({ subject: 'alice' });
    const b = await issue({ subject: 'bob' });
    const reply = await SEVEN_G.send({ accessToken: b.accessToken, refreshToken: a.refreshToken });
    expectRefused(SEVEN_G, reply);
    expect(await sessionState(a.sessionId)).toEqual({
      status: 'active',
      generation: 0,
      revokeReason: null,
    });
    expect(await sessionState(b.sessionId)).toEqual({
      status: 'active',
      generation: 0,
      revokeReason: null,
    });
    // Also the other way round, and with an expired access token of the other session.
    expectRefused(
      SEVEN_G,
      await SEVEN_G.send({ accessToken: a.accessToken, refreshToken: b.refreshToken }),
    );
    clock.advance(901);
    expectRefused(
      SEVEN_G,
      await SEVEN_G.send({ accessToken: b.accessToken, refreshToken: a.refreshToken }),
    );
    // A's own pair still works: the refusal used nothing up.
    expectRefreshed(SEVEN_G, await SEVEN_G.send(a), a);
  });

  it('accepts an access token of an earlier generation of the same session (the refresh token decides)', async () => {
    await start();
    const issued = await issue();
    const first = expectRefreshed(SEVEN_G, await SEVEN_G.send(issued), issued);
    clock.advance(11);
    // The access token of generation 0 is retired, but genuine and of this session.
    const second = expectRefreshed(
      SEVEN_G,
      await SEVEN_G.send({ accessToken: issued.accessToken, refreshToken: first.refreshToken }),
      first,
    );
    expect(await verifyWithJose(svc(), second.accessToken, T0 + 11)).toMatchObject({ gen: 2 });
  });
});

describe.each(DIALECTS)('$name: rotation off', (dialect) => {
  it.each([
    ['BATON_ROTATE=false', { rotate: false }, undefined],
    ["a client's rotate: false", {}, 'static'],
  ] as [string, Partial<TokenServiceOptions>, string | undefined][])(
    'with %s, answers as documented and the refresh token keeps working',
    async (_how, options, clientId) => {
      await start(options);
      if (clientId !== undefined) await svc().createClient({ id: clientId, rotate: false });
      const issued = await issue({
        subject: 'alice',
        ...(clientId === undefined ? {} : { clientId }),
      });
      const reply = await dialect.send(issued);
      const first = expectRefreshed(dialect, reply, issued);
      if (dialect.name === 'aisquare') expect(Object.keys(reply.body)).toEqual(['access']);
      if (dialect.name === 'adid')
        expect(Object.keys(reply.body).sort()).toEqual(['accessToken', 'expiresIn']);
      if (dialect.name === 'sevenG') expect(reply.body.refreshToken).toBe(issued.refreshToken);
      // No new refresh token anywhere (sevenG answers back the presented one).
      if (dialect.name !== 'sevenG') expect(reply.text).not.toMatch(/rt_/);
      expect(first.refreshToken).toBe(issued.refreshToken);
      await expectAccessTokenRetired(issued.accessToken);
      // Inside the grace the same credential shares the answer: no second generation.
      clock.advance(9.999);
      const retry = await dialect.send(issued);
      expect(retry.status).toBe(200);
      expect(retry.text).toBe(reply.text);
      expect(await generation(issued.sessionId)).toBe(1);

      clock.advance(11);
      const second = expectRefreshed(dialect, await dialect.send(first), first);
      expect(second.refreshToken).toBe(issued.refreshToken);
      expect(await verifyWithJose(svc(), second.accessToken, T0 + 21)).toMatchObject({ gen: 2 });
      clock.advance(11);
      // The one refresh token of the session still refreshes on the OAuth face, too.
      const oauth = await oauthRefresh(issued.refreshToken);
      expect(oauth.status).toBe(200);
      expect(oauth.body.refresh_token).toBeUndefined();
      expect(await sessionState(issued.sessionId)).toEqual({
        status: 'active',
        generation: 3,
        revokeReason: null,
      });
    },
  );
});

describe('per-client dialect switch', () => {
  it('a client limited to adid: its sessions refresh through adid and are refused through every other dialect', async () => {
    await start();
    await svc().createClient({ id: 'only-adid', dialects: ['adid'] });
    const issued = await issue({ subject: 'alice', clientId: 'only-adid' });
    for (const dialect of DIALECTS.filter((d) => d.name !== 'adid')) {
      const reply = await dialect.send(issued);
      expectRefused(dialect, reply);
    }
    expect(await sessionState(issued.sessionId)).toEqual({
      status: 'active',
      generation: 0,
      revokeReason: null,
    });
    const next = expectRefreshed(ADID, await ADID.send(issued), issued);
    // The new tokens are refused by the other dialects just the same.
    for (const dialect of DIALECTS.filter((d) => d.name !== 'adid'))
      expectRefused(dialect, await dialect.send(next));
    expect(await generation(issued.sessionId)).toBe(1);
    // The OAuth face is not a dialect: a public client refreshes there as always.
    expect((await oauthRefresh(next.refreshToken)).status).toBe(200);
  });

  it('a refresh through a switched-off dialect counts as a failed refresh of the session', async () => {
    await start({ rateLimit: { ipFailures: 0, sessionFailures: 3 } });
    await svc().createClient({ id: 'only-adid', dialects: ['adid'] });
    const issued = await issue({ subject: 'alice', clientId: 'only-adid' });
    expectRefused(PAYABLI, await PAYABLI.send(issued));
    expectRefused(TRANSAK, await TRANSAK.send(issued));
    expectRefused(AISQUARE, await AISQUARE.send(issued));
    // Past its budget, a further refused attempt is answered 429; the allowed dialect still works.
    expectThrottled(SEVEN_G, await SEVEN_G.send(issued));
    expect(await generation(issued.sessionId)).toBe(0);
    expectRefreshed(ADID, await ADID.send(issued), issued);
  });

  it('a confidential client without a dialect list is refused through every dialect', async () => {
    await start();
    const { clientSecret } = await svc().createClient({ id: 'backend', confidential: true });
    const issued = await issue({ subject: 'alice', clientId: 'backend' });
    for (const dialect of DIALECTS)
      expectRefused(dialect, await dialect.send(issued), 'dialect_disabled');
    expect(await sessionState(issued.sessionId)).toEqual({
      status: 'active',
      generation: 0,
      revokeReason: null,
    });
    // With its credentials it refreshes on the OAuth face.
    const basic = Buffer.from(`backend:${clientSecret as string}`).toString('base64');
    const oauth = await oauthRefresh(issued.refreshToken, { authorization: `Basic ${basic}` });
    expect(oauth.status).toBe(200);
  });

  it('a confidential client is allowed through exactly the dialects listed for it', async () => {
    await start();
    await svc().createClient({
      id: 'backend',
      confidential: true,
      dialects: ['sevenG', 'payabli'],
    });
    const issued = await issue({ subject: 'alice', clientId: 'backend' });
    for (const dialect of [TRANSAK, AISQUARE, ADID])
      expectRefused(dialect, await dialect.send(issued), 'dialect_disabled');
    const first = expectRefreshed(SEVEN_G, await SEVEN_G.send(issued), issued);
    const second = expectRefreshed(PAYABLI, await PAYABLI.send(first), first);
    for (const dialect of [TRANSAK, AISQUARE, ADID])
      expectRefused(dialect, await dialect.send(second), 'dialect_disabled');
    expect(await sessionState(issued.sessionId)).toEqual({
      status: 'active',
      generation: 2,
      revokeReason: null,
    });
  });

  it('a public client with an empty list is refused through every dialect', async () => {
    await start();
    await svc().createClient({ id: 'oauth-only', dialects: [] });
    const issued = await issue({ subject: 'alice', clientId: 'oauth-only' });
    for (const dialect of DIALECTS)
      expectRefused(dialect, await dialect.send(issued), 'dialect_disabled');
    expect((await oauthRefresh(issued.refreshToken)).status).toBe(200);
  });

  it('the admin API sets the switch', async () => {
    await start();
    const created = await adminCall('POST', '/admin/clients', {
      id: 'mobile',
      dialects: ['transak'],
    });
    expect(created.status).toBe(201);
    const minted = await adminCall('POST', '/admin/sessions', {
      subject: 'alice',
      clientId: 'mobile',
    });
    expect(minted.status).toBe(201);
    const held = {
      accessToken: str(minted.body.accessToken),
      refreshToken: str(minted.body.refreshToken),
    };
    expectRefused(PAYABLI, await PAYABLI.send(held));
    expectRefreshed(TRANSAK, await TRANSAK.send(held), held);
  });
});

describe('one family across every face', () => {
  it('a session minted by the admin API refreshes alternately through /oauth/token and each dialect, as one chain', async () => {
    await start();
    const minted = await adminCall('POST', '/admin/sessions', { subject: 'carol', scope: 'read' });
    expect(minted.status).toBe(201);
    const sessionId = str(minted.body.sessionId);
    let held: Credentials = {
      accessToken: str(minted.body.accessToken),
      refreshToken: str(minted.body.refreshToken),
    };
    const accessTokens = [held.accessToken];
    const refreshTokens = [held.refreshToken];
    let expected = 0;

    const checkGeneration = async (): Promise<void> => {
      const view = await adminCall('GET', `/admin/sessions/${sessionId}`);
      expect(view.status).toBe(200);
      expect(view.body).toMatchObject({ id: sessionId, status: 'active', generation: expected });
    };
    const viaOAuth = async (): Promise<void> => {
      const reply = await oauthRefresh(held.refreshToken);
      expect({ status: reply.status, body: reply.body }).toMatchObject({ status: 200 });
      held = {
        accessToken: str(reply.body.access_token),
        refreshToken: str(reply.body.refresh_token),
      };
    };

    for (const dialect of DIALECTS) {
      for (const step of [
        viaOAuth,
        async () => {
          held = expectRefreshed(dialect, await dialect.send(held), held);
        },
      ]) {
        clock.advance(5);
        await step();
        expected += 1;
        accessTokens.push(held.accessToken);
        if (!refreshTokens.includes(held.refreshToken)) refreshTokens.push(held.refreshToken);
        await checkGeneration();
        expect(await verifyWithJose(svc(), held.accessToken, clock.now())).toMatchObject({
          sid: sessionId,
          sub: 'carol',
          gen: expected,
          scope: 'read',
        });
      }
    }
    expect(expected).toBe(10);
    // One session: the admin list of the subject shows exactly it.
    const listed = await adminCall('GET', '/admin/sessions?subject=carol');
    expect((listed.body.sessions as { id: string }[]).map((s) => s.id)).toEqual([sessionId]);
    // Every access token but the last is retired, whichever face issued it.
    for (const token of accessTokens.slice(0, -1)) await expectAccessTokenRetired(token);
    expect(await svc().introspect(held.accessToken, 'admin')).toMatchObject({ active: true });

    // An early refresh token of the chain, after the grace, is reuse: the session ends.
    clock.advance(11);
    expectRefused(
      ADID,
      await ADID.send({ ...held, refreshToken: refreshTokens[1] as string }),
      'reused',
    );
    const view = await adminCall('GET', `/admin/sessions/${sessionId}`);
    expect(view.body).toMatchObject({ status: 'revoked', revokeReason: 'reuse', generation: 10 });
    expect((await oauthRefresh(held.refreshToken)).status).toBe(400);
    expectRefused(PAYABLI, await PAYABLI.send(held));
  });
});

describe.each(DIALECTS)('$name: rate limits', (dialect) => {
  it('answers 429 with Retry-After after repeated bad credentials from one IP, but never to a valid token', async () => {
    await start({ rateLimit: { ipFailures: 3 } });
    const issued = await issue();
    const bad: Credentials = {
      accessToken: dialect.name === 'sevenG' ? issued.accessToken : 'not-a-token',
      refreshToken: 'rt_notatoken',
    };
    for (let i = 0; i < 3; i++) expectRefused(dialect, await dialect.send(bad));
    expectThrottled(dialect, await dialect.send(bad));
    // A valid refresh from that IP goes through: a limit only ever answers failures.
    expectRefreshed(dialect, await dialect.send(issued), issued);
    expect(await generation(issued.sessionId)).toBe(1);
    // The window ends: the bad credential is answered as itself again.
    clock.advance(60);
    expectRefused(dialect, await dialect.send(bad));
  });
});
