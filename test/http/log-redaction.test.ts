import { join } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { pino, type LoggerOptions } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/core/clock.js';
import type { Store } from '../../src/core/store.js';
import type { TokenService } from '../../src/core/token-service.js';
import { BODY_LIMIT, createApp } from '../../src/http/app.js';
import { loggerOptions } from '../../src/http/logger.js';
import { createSqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { ADMIN_TOKEN, createTestService } from '../helpers/service.js';
import { createTempDirs } from '../helpers/temp-dir.js';

/**
 * Baton never logs a token in plain text (docs/operations.md, "Logs"). The app logs through a real
 * pino logger at `trace`, configured as the server configures it, into memory; requests carry
 * tokens and secrets in every place a client may put them, many of them failing; then the captured
 * output must hold none of them, while holding the log lines of those failures (so that this test
 * can fail).
 */

interface Captured {
  text: string;
  lines: Record<string, unknown>[];
}

function captureLogs(): { stream: Writable; captured: Captured } {
  const captured: Captured = { text: '', lines: [] };
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const text = chunk.toString('utf8');
      captured.text += text;
      for (const line of text.split('\n')) {
        if (line !== '') captured.lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { stream, captured };
}

/** Every form a secret could take in a log line: whole, its random body, its JWT segments. */
function formsOf(value: string): string[] {
  const forms = [value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)];
  const prefixed = /^(?:rt_|cs_|bat_)(.+)$/.exec(value);
  if (prefixed?.[1] !== undefined) forms.push(prefixed[1]);
  const segments = value.split('.');
  if (segments.length === 3) forms.push(segments[1] ?? '', segments[2] ?? '');
  forms.push(Buffer.from(value).toString('base64'));
  return forms.filter((form) => form.length >= 16);
}

const canary = (name: string): string => `${name}-canary-${'x'.repeat(24)}-${Math.random()}`;
const WELL_FORMED_CANARY = `rt_${'C'.repeat(20)}canary${'C'.repeat(17)}`;

describe('logs at trace level carry no token or secret', () => {
  let service: TokenService;
  let store: Store;
  let clock: ManualClock;
  let app: FastifyInstance;
  const { stream, captured } = captureLogs();
  const secrets: string[] = [ADMIN_TOKEN, WELL_FORMED_CANARY];
  const keep = (value: string): string => {
    secrets.push(value);
    return value;
  };
  const statuses: number[] = [];

  async function send(options: InjectOptions): Promise<{ status: number; body: string }> {
    const response = await app.inject(options);
    statuses.push(response.statusCode);
    return { status: response.statusCode, body: response.body };
  }

  beforeAll(async () => {
    ({ service, clock, store } = await createTestService({
      rateLimit: { ipFailures: 5, sessionFailures: 3 },
    }));
    const logger = pino({ ...(loggerOptions('trace') as LoggerOptions), level: 'trace' }, stream);
    app = await createApp({ service, logger });

    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const created = JSON.parse(
      (
        await send({
          method: 'POST',
          url: '/admin/clients',
          headers: admin,
          payload: { id: 'backend', confidential: true },
        })
      ).body,
    ) as { clientSecret: string };
    const clientSecret = keep(created.clientSecret);
    const basic = `Basic ${Buffer.from(`backend:${clientSecret}`).toString('base64')}`;
    const wrongBasic = `Basic ${Buffer.from(`backend:${keep(canary('wrong-secret'))}`).toString('base64')}`;

    const minted = JSON.parse(
      (
        await send({
          method: 'POST',
          url: '/admin/sessions',
          headers: admin,
          payload: {
            subject: 'alice',
            clientId: 'backend',
            claims: { password: keep(canary('pw')) },
          },
        })
      ).body,
    ) as { accessToken: string; refreshToken: string };
    const first = keep(minted.refreshToken);
    keep(minted.accessToken);

    // A refresh with HTTP Basic, its retry inside the grace, and a wrong secret.
    const refresh = (token: string, authorization: string) =>
      send({
        method: 'POST',
        url: '/oauth/token',
        headers: { authorization, requesttoken: minted.accessToken },
        payload: { grant_type: 'refresh_token', refresh_token: token },
      });
    const rotated = JSON.parse((await refresh(first, basic)).body) as {
      access_token: string;
      refresh_token: string;
    };
    keep(rotated.access_token);
    const second = keep(rotated.refresh_token);
    await refresh(first, basic);
    await refresh(second, wrongBasic);
    // Reuse after the grace: the session is revoked.
    clock.advance(60);
    await refresh(first, basic);
    await refresh(second, basic);

    // Tokens in every other place, mostly in failing requests.
    const fresh = JSON.parse(
      (
        await send({
          method: 'POST',
          url: '/admin/sessions',
          headers: admin,
          payload: { subject: 'bob' },
        })
      ).body,
    ) as { accessToken: string; refreshToken: string };
    keep(fresh.accessToken);
    keep(fresh.refreshToken);
    const inBody = {
      refresh_token: keep(canary('refresh_token')),
      token: keep(canary('token')),
      client_secret: keep(canary('client_secret')),
      refreshToken: keep(canary('refreshToken')),
      refresh: keep(canary('refresh')),
      access: keep(canary('access')),
      access_token: keep(canary('access_token')),
      accessToken: keep(canary('accessToken')),
    };
    const query = `refresh_token=${keep(canary('q-refresh'))}&access_token=${keep(canary('q-access'))}&token=${fresh.refreshToken}`;
    const requests: InjectOptions[] = [
      { method: 'POST', url: '/oauth/token', payload: { grant_type: 'refresh_token', ...inBody } },
      { method: 'POST', url: '/oauth/token', payload: { ...inBody, grant_type: 'password' } },
      {
        method: 'POST',
        url: '/oauth/token',
        payload: { grant_type: 'refresh_token', refresh_token: WELL_FORMED_CANARY },
      },
      {
        method: 'POST',
        url: '/oauth/token',
        payload: { grant_type: 'refresh_token', refresh_token: fresh.accessToken },
      },
      {
        method: 'POST',
        url: `/oauth/token?${query}`,
        payload: { grant_type: 'refresh_token', refresh_token: 'x' },
      },
      {
        method: 'POST',
        url: '/oauth/token',
        headers: { 'content-type': 'application/json' },
        payload: `{"grant_type":"refresh_token","refresh_token":"${fresh.refreshToken}"`,
      },
      {
        method: 'POST',
        url: '/oauth/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: `refresh_token=${fresh.refreshToken}&refresh_token=${fresh.refreshToken}`,
      },
      {
        method: 'POST',
        url: '/oauth/token',
        headers: { 'content-type': 'text/plain' },
        payload: `refresh_token=${fresh.refreshToken}`,
      },
      {
        method: 'POST',
        url: '/oauth/token',
        payload: {
          grant_type: 'refresh_token',
          refresh_token: fresh.refreshToken,
          pad: 'p'.repeat(BODY_LIMIT),
        },
      },
      {
        method: 'POST',
        url: '/oauth/token',
        payload: { grant_type: 'refresh_token', refresh_token: fresh.refreshToken, scope: 'admin' },
      },
      {
        method: 'POST',
        url: '/oauth/introspect',
        headers: { authorization: `Bearer ${keep(canary('bearer'))}` },
        payload: { token: fresh.accessToken },
      },
      {
        method: 'POST',
        url: '/oauth/introspect',
        headers: { authorization: wrongBasic },
        payload: { token: fresh.accessToken },
      },
      {
        method: 'POST',
        url: '/oauth/introspect',
        headers: admin,
        payload: { token: fresh.accessToken },
      },
      {
        method: 'POST',
        url: '/oauth/revoke',
        payload: { token: WELL_FORMED_CANARY, client_secret: inBody.client_secret },
      },
      {
        method: 'POST',
        url: '/oauth/revoke',
        headers: { authorization: `Basic ${keep(canary('basic-garbage'))}` },
        payload: { token: fresh.refreshToken },
      },
      {
        method: 'GET',
        url: `/admin/sessions?subject=${fresh.refreshToken}`,
        headers: { authorization: `Bearer ${keep(canary('admin-guess'))}` },
      },
      { method: 'GET', url: `/admin/sessions?${query}`, headers: admin },
      { method: 'GET', url: `/admin/sessions/${fresh.refreshToken}`, headers: admin },
      { method: 'GET', url: `/healthz?${query}` },
      { method: 'GET', url: `/no/such/route/${fresh.accessToken}?${query}` },
      {
        method: 'POST',
        url: '/api/User/authrefresh',
        headers: { requesttoken: fresh.accessToken },
      },
      { method: 'GET', url: '/api/v2/auth/refresh', headers: { authorization: fresh.accessToken } },
      {
        method: 'POST',
        url: '/api/v1/token/refresh/',
        payload: { refresh: inBody.refresh, access: inBody.access },
      },
    ];
    // Each from its own address, so that the rate limit below does not cut them short.
    for (const [i, request] of requests.entries()) {
      await send({ remoteAddress: `10.9.0.${i + 1}`, ...request });
    }
    // Enough failures from one address to be rate limited.
    for (let i = 0; i < 8; i++) {
      await send({
        method: 'POST',
        url: '/oauth/token',
        remoteAddress: '10.9.9.9',
        payload: { grant_type: 'refresh_token', refresh_token: WELL_FORMED_CANARY },
      });
    }
    // A store outage: a 5xx, logged as an error, while tokens are presented.
    await store.close();
    await send({
      method: 'POST',
      url: '/oauth/token',
      headers: { authorization: basic },
      payload: { grant_type: 'refresh_token', refresh_token: fresh.refreshToken },
    });
    await send({
      method: 'POST',
      url: '/admin/sessions',
      headers: admin,
      payload: { subject: 'carol' },
    });
    await send({
      method: 'POST',
      url: '/oauth/introspect',
      headers: admin,
      payload: { token: fresh.accessToken },
    });
  });

  afterAll(async () => {
    await app.close();
  });

  it('exercised successes, client errors, rate limits and server errors', () => {
    expect(statuses).toEqual(expect.arrayContaining([200, 201, 400, 401, 404, 413, 415, 429, 503]));
  });

  it('logged the failures, so that the output can be searched', () => {
    expect(captured.lines.length).toBeGreaterThan(10);
    const codes = captured.lines.map((line) => line.code);
    for (const code of [
      'ERR_REFRESH_TOKEN_REUSED',
      'ERR_INVALID_CLIENT',
      'ERR_INVALID_REQUEST',
      'ERR_BODY_TOO_LARGE',
      'ERR_RATE_LIMITED',
      'ERR_STORE_UNAVAILABLE',
    ]) {
      expect(codes, code).toContain(code);
    }
    expect(captured.lines.some((line) => line.level === 50)).toBe(true);
  });

  it('holds none of the tokens and secrets it was given, in any form', () => {
    expect(secrets.length).toBeGreaterThan(20);
    const leaks = secrets.flatMap((secret) =>
      formsOf(secret)
        .filter((form) => captured.text.includes(form))
        .map((form) => `${secret.slice(0, 12)}… as ${form.slice(0, 12)}…`),
    );
    expect(leaks).toEqual([]);
  });
});

describe('the logger configuration of the server', () => {
  it('redacts token fields and strips query strings from anything a handler might log', () => {
    const { stream, captured } = captureLogs();
    const logger = pino({ ...(loggerOptions('trace') as LoggerOptions), level: 'trace' }, stream);
    const secret = canary('configured');
    logger.info(
      {
        req: {
          method: 'POST',
          url: `/oauth/token?refresh_token=${secret}`,
          ip: '10.0.0.1',
          headers: { authorization: `Bearer ${secret}`, requesttoken: secret, cookie: secret },
        },
        body: {
          refresh_token: secret,
          refreshToken: secret,
          refresh: secret,
          access: secret,
          access_token: secret,
          accessToken: secret,
          token: secret,
          client_secret: secret,
          clientSecret: secret,
          password: secret,
        },
      },
      'a handler logging what it should not',
    );
    expect(captured.lines).toHaveLength(1);
    const [line] = captured.lines;
    expect(line?.req).toEqual({ method: 'POST', url: '/oauth/token', ip: '10.0.0.1' });
    expect(Object.values(line?.body as Record<string, unknown>)).toEqual(
      Array.from({ length: 10 }, () => '[redacted]'),
    );
    expect(captured.text).not.toContain(secret);
  });
});

describe('an internal error logged with its stack', () => {
  const dirs = createTempDirs();
  afterAll(() => dirs.cleanup());

  it('carries no token either', async () => {
    const path = join(dirs.make(), 'baton.db');
    const store = createSqliteStore({ path });
    const { service } = await createTestService({ store });
    const { stream, captured } = captureLogs();
    const app = await createApp({
      service,
      logger: pino({ ...(loggerOptions('trace') as LoggerOptions), level: 'trace' }, stream),
    });
    try {
      const issued = await service.issueSession({ subject: 'alice' });
      // Sabotage the schema behind the service's back: the next lookup fails with an error no
      // store mapping knows, which is a bug-class 500 rather than a client's fault.
      const saboteur = new Database(path);
      saboteur.exec('ALTER TABLE sessions DROP COLUMN used_token_hash');
      saboteur.close();
      const response = await app.inject({
        method: 'POST',
        url: '/oauth/token',
        headers: { authorization: `Bearer ${issued.accessToken}` },
        payload: { grant_type: 'refresh_token', refresh_token: issued.refreshToken },
      });
      expect(response.statusCode).toBe(500);
      expect(response.json()).toEqual({
        error: 'server_error',
        error_description: 'internal error',
        reason: 'internal',
      });
      const errors = captured.lines.filter((line) => line.level === 50);
      expect(errors).toHaveLength(1);
      expect(JSON.stringify(errors[0]?.err)).toMatch(/no such column/);
      for (const secret of [issued.refreshToken, issued.accessToken]) {
        for (const form of formsOf(secret)) expect(captured.text).not.toContain(form);
      }
    } finally {
      await app.close();
      await store.close();
    }
  });
});

describe('an outage of the store', () => {
  it('is logged once per interval with a count, not once per request', async () => {
    const { service, store } = await createTestService();
    const { stream, captured } = captureLogs();
    const app = await createApp({
      service,
      logger: pino({ ...(loggerOptions('trace') as LoggerOptions), level: 'trace' }, stream),
    });
    try {
      const issued = await service.issueSession({ subject: 'alice' });
      await store.close();
      const statuses: number[] = [];
      for (let i = 0; i < 50; i++) {
        const response = await app.inject({
          method: 'POST',
          url: '/oauth/token',
          payload: { grant_type: 'refresh_token', refresh_token: issued.refreshToken },
        });
        statuses.push(response.statusCode);
      }
      expect(new Set(statuses)).toEqual(new Set([503]));
      const outage = captured.lines.filter((line) => line.code === 'ERR_STORE_UNAVAILABLE');
      expect(outage).toHaveLength(1);
      expect(outage[0]).toMatchObject({ level: 50, since: 0 });
    } finally {
      await app.close();
      await service.close();
    }
  });
});
