import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { decodeProtectedHeader } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/core/clock.js';
import { KEY_RETENTION_TTL } from '../../src/core/keyring.js';
import type { Store } from '../../src/core/store.js';
import type { TokenService, TokenServiceOptions } from '../../src/core/token-service.js';
import { createApp } from '../../src/http/app.js';
import { ADMIN_TOKEN, createTestService, ISSUER, T0, verifyWithJose } from '../helpers/service.js';

let app: FastifyInstance | undefined;
let service: TokenService;
let clock: ManualClock;
let store: Store | undefined;

async function start(options: Partial<TokenServiceOptions> = {}): Promise<void> {
  await app?.close();
  await store?.close();
  ({ service, clock, store } = await createTestService(options));
  app = await createApp({ service, logger: false });
}

beforeEach(async () => {
  await start();
});
afterEach(async () => {
  await app?.close();
  await store?.close();
  app = undefined;
  store = undefined;
});

type Method = 'GET' | 'POST' | 'DELETE';

/** Calls the admin API with the admin token, the given Authorization header, or none (`null`). */
function admin(
  method: Method,
  url: string,
  body?: unknown,
  authorization: string | null = `Bearer ${ADMIN_TOKEN}`,
): Promise<LightMyRequestResponse> {
  const options: InjectOptions = {
    method,
    url,
    headers: authorization === null ? {} : { authorization },
  };
  if (body !== undefined) options.payload = body as NonNullable<InjectOptions['payload']>;
  return (app as FastifyInstance).inject(options);
}

function json<T = Record<string, unknown>>(response: LightMyRequestResponse): T {
  return response.json<T>();
}

/** Asserts an admin-format error: `{error, error_description, code}` with its status. */
function expectAdminError(
  response: LightMyRequestResponse,
  status: number,
  error: string,
  code: string,
): void {
  expect({ status: response.statusCode, body: json(response) }).toEqual({
    status,
    body: { error, code, error_description: expect.any(String) as unknown },
  });
  expect(response.headers['cache-control']).toBe('no-store');
}

async function refreshOverHttp(refreshToken: string, authorization?: string) {
  return (app as FastifyInstance).inject({
    method: 'POST',
    url: '/oauth/token',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(authorization === undefined ? {} : { authorization }),
    },
    payload: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
    }).toString(),
  });
}

interface Minted {
  sessionId: string;
  accessToken: string;
  refreshToken: string;
  tokenType: string;
  expiresIn: number;
}

async function mint(body: Record<string, unknown>): Promise<Minted> {
  const response = await admin('POST', '/admin/sessions', body);
  expect(response.statusCode).toBe(201);
  return json<Minted>(response);
}

describe('admin authentication', () => {
  it('answers 401 with a Bearer challenge without the admin token or with a wrong one', async () => {
    for (const authorization of [
      null,
      'Bearer wrong-token-0123456789abcdef0123456789',
      `Bearer ${ADMIN_TOKEN}x`,
      `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}`,
      ADMIN_TOKEN,
    ]) {
      for (const [method, url] of [
        ['GET', '/admin/sessions'],
        ['POST', '/admin/keys/rotate'],
        ['GET', '/admin/clients'],
        ['DELETE', '/admin/subjects/alice/sessions'],
      ] as const) {
        const response = await admin(method, url, undefined, authorization);
        expectAdminError(response, 401, 'unauthorized', 'ERR_ADMIN_UNAUTHORIZED');
        expect(response.headers['www-authenticate']).toBe('Bearer realm="baton-admin"');
      }
    }
    expect(await service.listKeys()).toHaveLength(1);
  });

  it('refuses an unauthenticated mint before looking at the body', async () => {
    const response = await admin('POST', '/admin/sessions', { subject: 'alice' }, null);
    expectAdminError(response, 401, 'unauthorized', 'ERR_ADMIN_UNAUTHORIZED');
    expect(await service.listSessions({ subject: 'alice', limit: 10 })).toEqual([]);
  });

  it('rate-limits an IP that guesses admin tokens', async () => {
    await start({ rateLimit: { ipFailures: 2, sessionFailures: 0, windowTtl: 60 } });
    clock.set(T0 - (T0 % 60));
    for (let i = 0; i < 2; i++) {
      expectAdminError(
        await admin('GET', '/admin/clients', undefined, 'Bearer guess-0123456789abcdef0123456789'),
        401,
        'unauthorized',
        'ERR_ADMIN_UNAUTHORIZED',
      );
    }
    const limited = await admin('GET', '/admin/clients');
    expectAdminError(limited, 429, 'temporarily_unavailable', 'ERR_RATE_LIMITED');
    expect(limited.headers['retry-after']).toBe('60');
  });
});

describe('POST /admin/sessions', () => {
  it('starts a session: 201 with tokens that jose verifies and the OAuth face refreshes', async () => {
    const response = await admin('POST', '/admin/sessions', {
      subject: 'alice',
      scope: 'read write',
      claims: { tenant: 't1', roles: ['a'] },
      accessTtl: 60,
    });
    expect(response.statusCode).toBe(201);
    expect(response.headers['cache-control']).toBe('no-store');
    const body = json<Minted & Record<string, unknown>>(response);
    expect(body).toMatchObject({
      sessionId: expect.stringMatching(/^ses_/) as unknown,
      refreshToken: expect.stringMatching(/^rt_[A-Za-z0-9_-]{92}$/) as unknown,
      tokenType: 'Bearer',
      expiresIn: 60,
    });
    const claims = await verifyWithJose(service, body.accessToken, T0);
    expect(claims).toMatchObject({
      iss: ISSUER,
      sub: 'alice',
      sid: body.sessionId,
      scope: 'read write',
      tenant: 't1',
      roles: ['a'],
      exp: T0 + 60,
    });
    expect((await refreshOverHttp(body.refreshToken)).statusCode).toBe(200);
  });

  it('starts a session for a named client with that client binding', async () => {
    await service.createClient({ id: 'mobile', accessTtl: 120 });
    const minted = await mint({ subject: 'alice', clientId: 'mobile' });
    expect(minted.expiresIn).toBe(120);
    expect((await verifyWithJose(service, minted.accessToken, T0)).client_id).toBe('mobile');
    expect((await service.getSession(minted.sessionId))?.clientId).toBe('mobile');
  });

  it.each<[string, unknown]>([
    ['a missing subject', { scope: 'read' }],
    ['an empty subject', { subject: '' }],
    ['a subject that is not a string', { subject: 42 }],
    ['a subject over 255 characters', { subject: 'x'.repeat(256) }],
    ['an unknown field', { subject: 'alice', role: 'admin' }],
    ['claims that are not an object', { subject: 'alice', claims: ['a'] }],
    ['the reserved claim "sub"', { subject: 'alice', claims: { sub: 'mallory' } }],
    ['the reserved claim "exp"', { subject: 'alice', claims: { exp: 1 } }],
    ['the reserved claim "client_id"', { subject: 'alice', claims: { client_id: 'x' } }],
    ['claims over 4096 bytes', { subject: 'alice', claims: { blob: 'x'.repeat(5000) } }],
    ['accessTtl 0', { subject: 'alice', accessTtl: 0 }],
    ['accessTtl over one day', { subject: 'alice', accessTtl: 86_401 }],
    ['accessTtl as a string', { subject: 'alice', accessTtl: '60' }],
    ['a fractional accessTtl', { subject: 'alice', accessTtl: 1.5 }],
    ['refreshTtl over 400 days', { subject: 'alice', refreshTtl: 400 * 86_400 + 1 }],
    ['a negative idleTtl', { subject: 'alice', idleTtl: -1 }],
    ['a malformed scope', { subject: 'alice', scope: 'read  write' }],
    ['a scope that is not a string', { subject: 'alice', scope: ['read'] }],
    ['an unknown client', { subject: 'alice', clientId: 'nope' }],
    ['a body that is not an object', ['alice']],
  ])('refuses %s with 400 invalid_request', async (_name, body) => {
    const response = await admin('POST', '/admin/sessions', body);
    expectAdminError(response, 400, 'invalid_request', 'ERR_INVALID_REQUEST');
    expect(await service.listSessions({ limit: 10 })).toEqual([]);
  });

  it('refuses malformed JSON with 400 and a missing body with 400', async () => {
    const malformed = await app!.inject({
      method: 'POST',
      url: '/admin/sessions',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      payload: '{"subject":',
    });
    expectAdminError(malformed, 400, 'invalid_request', 'ERR_INVALID_REQUEST');
    expectAdminError(
      await admin('POST', '/admin/sessions'),
      400,
      'invalid_request',
      'ERR_INVALID_REQUEST',
    );
  });
});

describe('sessions', () => {
  it('lists the sessions of a subject page by page with nextCursor', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) ids.add((await mint({ subject: 'alice' })).sessionId);
    await mint({ subject: 'bob' });
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const query = new URLSearchParams({ subject: 'alice', limit: '2' });
      if (after !== null) query.set('after', after);
      const response = await admin('GET', `/admin/sessions?${query.toString()}`);
      expect(response.statusCode).toBe(200);
      const page = json<{ sessions: { id: string; subject: string }[]; nextCursor: string | null }>(
        response,
      );
      expect(page.sessions.length).toBeLessThanOrEqual(2);
      for (const session of page.sessions) expect(session.subject).toBe('alice');
      seen.push(...page.sessions.map((session) => session.id));
      if (page.nextCursor !== null) expect(page.nextCursor).toBe(page.sessions.at(-1)?.id);
      after = page.nextCursor;
      pages++;
    } while (after !== null && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].sort());
  });

  it('lists sessions without token material', async () => {
    const minted = await mint({ subject: 'alice' });
    const response = await admin('GET', '/admin/sessions?subject=alice');
    expect(json(response)).toMatchObject({
      sessions: [{ id: minted.sessionId, status: 'active', generation: 0 }],
      nextCursor: null,
    });
    expect(response.body).not.toContain(minted.refreshToken);
    expect(response.body).not.toContain(minted.accessToken);
    expect(response.body).not.toMatch(/retryBox|hash/i);
  });

  it.each([
    ['a non-numeric limit', '/admin/sessions?limit=ten'],
    ['a negative limit', '/admin/sessions?limit=-1'],
    ['an unknown query parameter', '/admin/sessions?owner=alice'],
    ['an empty subject', '/admin/sessions?subject='],
  ])('refuses %s with 400', async (_name, url) => {
    expectAdminError(await admin('GET', url), 400, 'invalid_request', 'ERR_INVALID_REQUEST');
  });

  it('shows one session, and 404 for an unknown id', async () => {
    const minted = await mint({ subject: 'alice', scope: 'read', claims: { tenant: 't1' } });
    const response = await admin('GET', `/admin/sessions/${minted.sessionId}`);
    expect(response.statusCode).toBe(200);
    expect(json(response)).toMatchObject({
      id: minted.sessionId,
      subject: 'alice',
      clientId: 'default',
      scope: 'read',
      claims: { tenant: 't1' },
      status: 'active',
      createdAt: T0,
      expiresAt: T0 + 2_592_000,
      idleExpiresAt: T0 + 604_800,
      generation: 0,
      revokedAt: null,
      revokeReason: null,
    });
    expectAdminError(
      await admin('GET', '/admin/sessions/ses_unknown'),
      404,
      'not_found',
      'ERR_NOT_FOUND',
    );
  });

  it('revokes one session (logout): its tokens stop working; again is a no-op; unknown is 404', async () => {
    const minted = await mint({ subject: 'alice' });
    const other = await mint({ subject: 'alice' });
    clock.advance(5);
    const response = await admin('DELETE', `/admin/sessions/${minted.sessionId}`);
    expect(response.statusCode).toBe(200);
    expect(json(response)).toMatchObject({
      revoked: true,
      session: {
        id: minted.sessionId,
        status: 'revoked',
        revokeReason: 'admin',
        revokedAt: T0 + 5,
      },
    });
    expect(json(await admin('DELETE', `/admin/sessions/${minted.sessionId}`))).toMatchObject({
      revoked: false,
    });
    const refused = await refreshOverHttp(minted.refreshToken);
    expect(json(refused)).toMatchObject({ error: 'invalid_grant', reason: 'revoked' });
    expect((await service.introspect(minted.accessToken, 'admin')).active).toBe(false);
    expect((await refreshOverHttp(other.refreshToken)).statusCode).toBe(200);
    expectAdminError(
      await admin('DELETE', '/admin/sessions/ses_unknown'),
      404,
      'not_found',
      'ERR_NOT_FOUND',
    );
  });

  it('signs a subject out everywhere and nobody else', async () => {
    const a = await mint({ subject: 'alice' });
    const b = await mint({ subject: 'alice' });
    const c = await mint({ subject: 'bob' });
    const response = await admin('DELETE', '/admin/subjects/alice/sessions');
    expect(response.statusCode).toBe(200);
    expect(json(response)).toEqual({ revoked: 2 });
    for (const minted of [a, b]) {
      expect(json(await refreshOverHttp(minted.refreshToken))).toMatchObject({
        reason: 'revoked',
      });
    }
    expect((await refreshOverHttp(c.refreshToken)).statusCode).toBe(200);
    expect(json(await admin('DELETE', '/admin/subjects/alice/sessions'))).toEqual({ revoked: 0 });
  });

  it('signs out a subject whose name needs URL encoding', async () => {
    const minted = await mint({ subject: 'alice@example.com/ü' });
    const response = await admin(
      'DELETE',
      `/admin/subjects/${encodeURIComponent('alice@example.com/ü')}/sessions`,
    );
    expect(json(response)).toEqual({ revoked: 1 });
    expect((await service.getSession(minted.sessionId))?.status).toBe('revoked');
  });
});

describe('keys', () => {
  interface KeyView {
    kid: string;
    alg: string;
    status: string;
    createdAt: number;
    retiredAt: number | null;
    publishedUntil: number | null;
  }

  it('lists the signing keys without private material', async () => {
    const response = await admin('GET', '/admin/keys');
    expect(response.statusCode).toBe(200);
    const { keys } = json<{ keys: KeyView[] }>(response);
    expect(keys).toEqual([
      {
        kid: expect.any(String) as unknown,
        alg: 'EdDSA',
        status: 'active',
        createdAt: T0,
        retiredAt: null,
        publishedUntil: null,
      },
    ]);
    expect(response.body).not.toMatch(/"d"|privateKey|"k"/);
  });

  it('rotates: the new kid signs, the old one is retired but published and still trusted', async () => {
    const before = await mint({ subject: 'alice' });
    const oldKid = decodeProtectedHeader(before.accessToken).kid as string;
    clock.advance(30);
    const rotated = await admin('POST', '/admin/keys/rotate');
    expect(rotated.statusCode).toBe(201);
    const { key } = json<{ key: KeyView }>(rotated);
    expect(key).toMatchObject({ alg: 'EdDSA', status: 'active', createdAt: T0 + 30 });
    expect(key.kid).not.toBe(oldKid);

    const { keys } = json<{ keys: KeyView[] }>(await admin('GET', '/admin/keys'));
    expect(keys.find((k) => k.kid === key.kid)).toMatchObject({ status: 'active' });
    expect(keys.find((k) => k.kid === oldKid)).toMatchObject({
      status: 'retired',
      retiredAt: T0 + 30,
      publishedUntil: T0 + 30 + KEY_RETENTION_TTL,
    });

    const jwks = json<{ keys: { kid: string }[] }>(
      await app!.inject({ method: 'GET', url: '/.well-known/jwks.json' }),
    );
    expect(jwks.keys.map((k) => k.kid).sort()).toEqual([key.kid, oldKid].sort());

    const introspected = await app!.inject({
      method: 'POST',
      url: '/oauth/introspect',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { token: before.accessToken },
    });
    expect(json(introspected)).toMatchObject({ active: true, sub: 'alice' });

    const after = await mint({ subject: 'alice' });
    expect(decodeProtectedHeader(after.accessToken).kid).toBe(key.kid);
    const refreshed = json<{ access_token: string }>(await refreshOverHttp(before.refreshToken));
    expect(decodeProtectedHeader(refreshed.access_token).kid).toBe(key.kid);

    const events = json<{ events: { type: string; detail: string }[] }>(
      await admin('GET', '/admin/events?type=key.rotated'),
    );
    expect(events.events.map((e) => e.detail)).toEqual([key.kid]);
  });

  it('drops a retired key from the JWKS once every token it signed has expired', async () => {
    const before = await mint({ subject: 'alice', accessTtl: 86_400 });
    const { key } = json<{ key: KeyView }>(await admin('POST', '/admin/keys/rotate'));
    const kids = async () =>
      json<{ keys: { kid: string }[] }>(
        await app!.inject({ method: 'GET', url: '/.well-known/jwks.json' }),
      ).keys.map((k) => k.kid);
    clock.advance(KEY_RETENTION_TTL - 1);
    expect(await kids()).toHaveLength(2);
    clock.advance(1);
    expect(await kids()).toEqual([key.kid]);
    expect((await service.introspect(before.accessToken, 'admin')).active).toBe(false);
  });
});

describe('GET /admin/events', () => {
  interface EventView {
    id: number;
    type: string;
    at: number;
    sessionId: string | null;
    subject: string | null;
    detail: string | null;
  }
  type EventPage = { events: EventView[]; nextCursor: number | null };

  /** T0: a logout; T0+100: a refresh, then reuse at T0+200; T0+300: a key rotation. */
  async function history(): Promise<{ loggedOut: Minted; reused: Minted }> {
    const loggedOut = await mint({ subject: 'alice' });
    await admin('DELETE', `/admin/sessions/${loggedOut.sessionId}`);
    clock.advance(100);
    const reused = await mint({ subject: 'bob' });
    await refreshOverHttp(reused.refreshToken);
    clock.advance(100);
    expect(json(await refreshOverHttp(reused.refreshToken))).toMatchObject({ reason: 'reused' });
    clock.advance(100);
    await admin('POST', '/admin/keys/rotate');
    return { loggedOut, reused };
  }

  it('lists events oldest first, filtered by type', async () => {
    const { loggedOut, reused } = await history();
    const all = json<EventPage>(await admin('GET', '/admin/events'));
    expect(all.events.map((e) => e.type)).toEqual([
      'session.revoked',
      'refresh_token.reused',
      'key.rotated',
    ]);
    expect(all.events.map((e) => e.at)).toEqual([T0, T0 + 200, T0 + 300]);
    expect(all.nextCursor).toBeNull();

    const reuse = json<EventPage>(await admin('GET', '/admin/events?type=refresh_token.reused'));
    expect(reuse.events).toEqual([
      expect.objectContaining({ sessionId: reused.sessionId, subject: 'bob', at: T0 + 200 }),
    ]);
    const revoked = json<EventPage>(await admin('GET', '/admin/events?type=session.revoked'));
    expect(revoked.events).toEqual([
      expect.objectContaining({ sessionId: loggedOut.sessionId, detail: 'admin' }),
    ]);
  });

  it('filters by since, in epoch seconds or ISO 8601', async () => {
    await history();
    const bySeconds = json<EventPage>(await admin('GET', `/admin/events?since=${T0 + 200}`));
    expect(bySeconds.events.map((e) => e.type)).toEqual(['refresh_token.reused', 'key.rotated']);
    const iso = new Date((T0 + 201) * 1000).toISOString();
    const byDate = json<EventPage>(
      await admin('GET', `/admin/events?since=${encodeURIComponent(iso)}`),
    );
    expect(byDate.events.map((e) => e.type)).toEqual(['key.rotated']);
  });

  it('pages with limit, nextCursor and after', async () => {
    await history();
    const first = json<EventPage>(await admin('GET', '/admin/events?limit=2'));
    expect(first.events).toHaveLength(2);
    expect(first.nextCursor).toBe(first.events[1]?.id);
    const second = json<EventPage>(await admin('GET', `/admin/events?after=${first.nextCursor}`));
    expect(second.events.map((e) => e.type)).toEqual(['key.rotated']);
    expect(second.nextCursor).toBeNull();
  });

  it.each([
    ['an unknown type', '/admin/events?type=everything'],
    ['a malformed since', '/admin/events?since=yesterday'],
    ['a non-numeric after', '/admin/events?after=abc'],
    ['an unknown parameter', '/admin/events?session=x'],
  ])('refuses %s with 400', async (_name, url) => {
    expectAdminError(await admin('GET', url), 400, 'invalid_request', 'ERR_INVALID_REQUEST');
  });
});

describe('clients', () => {
  interface ClientPage {
    clients: { id: string; confidential: boolean }[];
  }

  it('lists the default client as public, and never a secret', async () => {
    const { clientSecret } = json<{ clientSecret: string }>(
      await admin('POST', '/admin/clients', { id: 'api', confidential: true }),
    );
    const response = await admin('GET', '/admin/clients');
    expect(response.statusCode).toBe(200);
    const { clients } = json<ClientPage>(response);
    expect(clients.map((c) => [c.id, c.confidential]).sort()).toEqual([
      ['api', true],
      ['default', false],
    ]);
    expect(response.body).not.toContain(clientSecret);
    expect(response.body).not.toMatch(/secret/i);
  });

  it('gives a confidential client its secret once, and that secret authenticates it', async () => {
    const response = await admin('POST', '/admin/clients', {
      id: 'api',
      confidential: true,
      accessTtl: 60,
      audience: 'https://api.example',
    });
    expect(response.statusCode).toBe(201);
    const body = json<{ client: Record<string, unknown>; clientSecret: string }>(response);
    expect(body.client).toMatchObject({
      id: 'api',
      confidential: true,
      accessTtl: 60,
      audience: 'https://api.example',
      createdAt: T0,
    });
    expect(body.clientSecret).toMatch(/^cs_/);
    const minted = await mint({ subject: 'alice', clientId: 'api' });
    expect((await verifyWithJose(service, minted.accessToken, T0)).aud).toBe('https://api.example');
    const basic = `Basic ${Buffer.from(`api:${body.clientSecret}`).toString('base64')}`;
    expect((await refreshOverHttp(minted.refreshToken, basic)).statusCode).toBe(200);
  });

  it('registers a public client without a secret', async () => {
    const response = await admin('POST', '/admin/clients', { id: 'spa' });
    expect(response.statusCode).toBe(201);
    const body = json(response);
    expect(body).not.toHaveProperty('clientSecret');
    expect(body.client).toMatchObject({ id: 'spa', confidential: false });
  });

  it('answers 409 for an existing id unless replace is true, which issues a new secret', async () => {
    const first = json<{ clientSecret: string }>(
      await admin('POST', '/admin/clients', { id: 'api', confidential: true }),
    );
    expectAdminError(
      await admin('POST', '/admin/clients', { id: 'api', confidential: true }),
      409,
      'conflict',
      'ERR_CONFLICT',
    );
    const replaced = await admin('POST', '/admin/clients', {
      id: 'api',
      confidential: true,
      replace: true,
    });
    expect(replaced.statusCode).toBe(201);
    const second = json<{ clientSecret: string }>(replaced);
    expect(second.clientSecret).not.toBe(first.clientSecret);
    await expect(
      service.authenticateClient({ clientId: 'api', clientSecret: first.clientSecret }),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_CLIENT' });
    await expect(
      service.authenticateClient({ clientId: 'api', clientSecret: second.clientSecret }),
    ).resolves.toEqual({ id: 'api', authenticated: true });
  });

  it.each<[string, unknown]>([
    ['a missing id', { confidential: true }],
    ['an id with a space', { id: 'my api' }],
    ['an id starting with a dot', { id: '.api' }],
    ['an id over 64 characters', { id: 'a'.repeat(65) }],
    ['an unknown field', { id: 'api', secret: 'mine' }],
    ['confidential as a string', { id: 'api', confidential: 'yes' }],
    ['reuseGrace over 300 s', { id: 'api', reuseGrace: 301 }],
    ['accessTtl 0', { id: 'api', accessTtl: 0 }],
    ['an empty audience', { id: 'api', audience: '' }],
  ])('refuses %s with 400', async (_name, body) => {
    expectAdminError(
      await admin('POST', '/admin/clients', body),
      400,
      'invalid_request',
      'ERR_INVALID_REQUEST',
    );
    expect((await service.listClients()).map((c) => c.id)).toEqual(['default']);
  });

  it('records a session.revoked event for each session that removing a client ends', async () => {
    // The audit trail and the webhook must name every session that removing a client ends.
    await admin('POST', '/admin/clients', { id: 'gone' });
    const a = await mint({ subject: 'alice', clientId: 'gone' });
    const b = await mint({ subject: 'bob', clientId: 'gone' });
    expect(json(await admin('DELETE', '/admin/clients/gone'))).toEqual({ revokedSessions: 2 });
    const { events } = json<{ events: { sessionId: string; detail: string }[] }>(
      await admin('GET', '/admin/events?type=session.revoked'),
    );
    expect(events.map((e) => `${e.sessionId} ${e.detail}`).sort()).toEqual(
      [`${a.sessionId} client_deleted`, `${b.sessionId} client_deleted`].sort(),
    );
  });

  it('removes a client and revokes its sessions; unknown is 404; default is 409', async () => {
    await admin('POST', '/admin/clients', { id: 'gone' });
    const minted = await mint({ subject: 'alice', clientId: 'gone' });
    const response = await admin('DELETE', '/admin/clients/gone');
    expect(response.statusCode).toBe(200);
    expect(json(response)).toEqual({ revokedSessions: 1 });
    expect(json(await refreshOverHttp(minted.refreshToken))).toMatchObject({
      error: 'invalid_grant',
      reason: 'revoked',
    });
    expect((await service.listClients()).map((c) => c.id)).toEqual(['default']);
    expectAdminError(
      await admin('DELETE', '/admin/clients/gone'),
      404,
      'not_found',
      'ERR_NOT_FOUND',
    );
    expectAdminError(
      await admin('DELETE', '/admin/clients/default'),
      409,
      'conflict',
      'ERR_CONFLICT',
    );
    expect((await service.listClients()).map((c) => c.id)).toEqual(['default']);
  });
});

it('answers unknown admin routes with 404 in the admin format', async () => {
  expectAdminError(await admin('GET', '/admin/nothing'), 404, 'not_found', 'ERR_NOT_FOUND');
});

describe('identifiers are well-formed Unicode', () => {
  const rawJson = (url: string, text: string) =>
    (app as FastifyInstance).inject({
      method: 'POST',
      url,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      payload: text,
    });

  it.each([
    ['a subject with a lone surrogate', '{"subject":"a\\ud800b"}'],
    ['a lone low surrogate', '{"subject":"\\udc00"}'],
    ['a claim name with one', '{"subject":"alice","claims":{"r\\ud83d":"x"}}'],
    ['a claim value with one', '{"subject":"alice","claims":{"nested":["ok","\\ud800"]}}'],
    ['a scope with one', '{"subject":"alice","scope":"read\\udbff"}'],
  ])('refuses %s with 400 and starts no session', async (_name, body) => {
    expectAdminError(
      await rawJson('/admin/sessions', body),
      400,
      'invalid_request',
      'ERR_INVALID_REQUEST',
    );
    expect(await service.listSessions({ limit: 10 })).toEqual([]);
  });

  it('refuses a client audience with a lone surrogate', async () => {
    expectAdminError(
      await rawJson('/admin/clients', '{"id":"web","audience":"api\\ud800"}'),
      400,
      'invalid_request',
      'ERR_INVALID_REQUEST',
    );
  });

  it('keeps a subject of any script and emoji the same in tokens, lists and sign-out', async () => {
    const subject = 'Zoë-世界-😀';
    const minted = await rawJson('/admin/sessions', JSON.stringify({ subject }));
    expect(minted.statusCode).toBe(201);
    const { accessToken } = json<{ accessToken: string }>(minted);
    expect((await verifyWithJose(service, accessToken, T0)).sub).toBe(subject);
    const listed = await admin('GET', `/admin/sessions?subject=${encodeURIComponent(subject)}`);
    expect(
      json<{ sessions: { subject: string }[] }>(listed).sessions.map((s) => s.subject),
    ).toEqual([subject]);
    const signedOut = await admin(
      'DELETE',
      `/admin/subjects/${encodeURIComponent(subject)}/sessions`,
    );
    expect(json(signedOut)).toEqual({ revoked: 1 });
  });

  it('refuses a lone surrogate in the core too, whatever face passes it', async () => {
    await expect(service.issueSession({ subject: 'a\ud800b' })).rejects.toMatchObject({
      code: 'ERR_INVALID_REQUEST',
    });
  });
});
