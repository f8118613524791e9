import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/core/clock.js';
import { isBatonError, type ErrorCode } from '../../src/core/errors.js';
import { deriveSecrets, keyedHash } from '../../src/core/secrets.js';
import type { Store } from '../../src/core/store.js';
import type { TokenService, TokenServiceOptions } from '../../src/core/token-service.js';
import { createMemoryStore } from '../../src/stores/memory/memory-store.js';
import { createSqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { createTestService, T0, verifyWithJose } from '../helpers/service.js';
import { createTempDirs } from '../helpers/temp-dir.js';

const dirs = createTempDirs();

/** The keyed hash the store keeps of a refresh token, under the secret generated into it. */
async function keyedHashOf(store: Store, token: string): Promise<string> {
  const secret = (await store.getMeta('generated_secret')) as string;
  return keyedHash(deriveSecrets(secret, false).pepper, token);
}

async function rejection(
  promise: Promise<unknown>,
): Promise<{ code: ErrorCode; retryAfter?: number | undefined }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isBatonError(error)) throw new Error(`expected a BatonError, got ${String(error)}`);
  return { code: error.code, retryAfter: error.retryAfter };
}

const stores: [string, () => Store][] = [
  ['memory', () => createMemoryStore()],
  ['sqlite', () => createSqliteStore({ path: join(dirs.make(), 'baton.db') })],
];

describe.each(stores)('refresh rules on the %s store', (_name, openStore) => {
  let service: TokenService;
  let clock: ManualClock;
  let store: Store;

  async function start(options: Partial<TokenServiceOptions> = {}): Promise<void> {
    await store?.close();
    ({ service, clock, store } = await createTestService({ store: openStore(), ...options }));
  }

  beforeEach(async () => {
    await start();
  });
  afterEach(async () => {
    await store.close();
    dirs.cleanup();
  });

  it('issues a session whose access token is an RFC 9068 JWT that jose verifies', async () => {
    const issued = await service.issueSession({
      subject: 'alice',
      scope: 'read write',
      claims: { tenant: 't1' },
    });
    expect(issued.refreshToken).toMatch(/^rt_[A-Za-z0-9_-]{92}$/);
    const claims = await verifyWithJose(service, issued.accessToken, T0);
    expect(claims).toMatchObject({
      iss: 'http://baton.test',
      sub: 'alice',
      aud: 'http://baton.test',
      client_id: 'default',
      scope: 'read write',
      sid: issued.sessionId,
      gen: 0,
      tenant: 't1',
      iat: T0,
      exp: T0 + 900,
    });
    expect(typeof claims.jti).toBe('string');
    expect(issued).toMatchObject({
      tokenType: 'Bearer',
      expiresIn: 900,
      sessionExpiresAt: T0 + 2_592_000,
    });
  });

  it('rotates: a refresh returns a new refresh token and an access token of the next generation', async () => {
    const issued = await service.issueSession({ subject: 'alice' });
    clock.advance(60);
    const { tokens, replayed } = await service.refresh({ refreshToken: issued.refreshToken });
    expect(replayed).toBe(false);
    expect(tokens.refreshToken).toMatch(/^rt_/);
    expect(tokens.refreshToken).not.toBe(issued.refreshToken);
    expect(tokens.accessToken).not.toBe(issued.accessToken);
    expect(tokens.generation).toBe(1);
    expect((await verifyWithJose(service, tokens.accessToken, T0 + 60)).gen).toBe(1);
    expect((await service.getSession(issued.sessionId))?.generation).toBe(1);
    const next = await service.refresh({ refreshToken: tokens.refreshToken as string });
    expect(next.tokens.generation).toBe(2);
  });

  it('answers a retry inside the grace with the byte-identical response and mints nothing', async () => {
    const issued = await service.issueSession({ subject: 'alice' });
    const first = await service.refresh({ refreshToken: issued.refreshToken });
    clock.advance(9.999); // the default grace is 10 s: it ends 10 s after the refresh
    const retry = await service.refresh({ refreshToken: issued.refreshToken });
    expect(retry.replayed).toBe(true);
    expect(JSON.stringify(retry.tokens)).toBe(JSON.stringify(first.tokens));
    expect((await service.getSession(issued.sessionId))?.generation).toBe(1);
    // The successor from the first answer is the one live token.
    const next = await service.refresh({ refreshToken: first.tokens.refreshToken as string });
    expect(next.tokens.generation).toBe(2);
  });

  it('ends the grace N seconds after the refresh, to the millisecond', async () => {
    const issued = await service.issueSession({ subject: 'alice' });
    clock.advance(0.4); // mid-second: a whole-second clock would round the end away
    await service.refresh({ refreshToken: issued.refreshToken });
    clock.advance(10);
    expect((await rejection(service.refresh({ refreshToken: issued.refreshToken }))).code).toBe(
      'ERR_REFRESH_TOKEN_REUSED',
    );
  });

  it('with a grace of 0, treats any second presentation as reuse at once (strict rotation)', async () => {
    await start({ reuseGrace: 0 });
    const issued = await service.issueSession({ subject: 'alice' });
    const first = await service.refresh({ refreshToken: issued.refreshToken });
    // Not a millisecond later: there is no replay at all.
    expect((await rejection(service.refresh({ refreshToken: issued.refreshToken }))).code).toBe(
      'ERR_REFRESH_TOKEN_REUSED',
    );
    expect((await service.getSession(issued.sessionId))?.revokeReason).toBe('reuse');
    expect(
      (await rejection(service.refresh({ refreshToken: first.tokens.refreshToken as string })))
        .code,
    ).toBe('ERR_SESSION_REVOKED');
  });

  it('detects reuse after the grace: the family is revoked and the event recorded', async () => {
    const issued = await service.issueSession({ subject: 'alice' });
    const first = await service.refresh({ refreshToken: issued.refreshToken, ip: '203.0.113.7' });
    clock.advance(11);
    expect(
      (await rejection(service.refresh({ refreshToken: issued.refreshToken, ip: '203.0.113.7' })))
        .code,
    ).toBe('ERR_REFRESH_TOKEN_REUSED');
    const session = await service.getSession(issued.sessionId);
    expect(session).toMatchObject({ status: 'revoked', revokeReason: 'reuse', revokedAt: T0 + 11 });
    expect(
      (await rejection(service.refresh({ refreshToken: first.tokens.refreshToken as string })))
        .code,
    ).toBe('ERR_SESSION_REVOKED');
    const events = await service.listEvents({ type: 'refresh_token.reused', limit: 10 });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      sessionId: issued.sessionId,
      subject: 'alice',
      clientId: 'default',
      ip: '203.0.113.7',
      at: T0 + 11,
    });
    expect((await service.introspect(first.tokens.accessToken, 'admin')).active).toBe(false);
  });

  it('detects reuse inside the grace once the successor has been used', async () => {
    const issued = await service.issueSession({ subject: 'alice' });
    const first = await service.refresh({ refreshToken: issued.refreshToken });
    await service.refresh({ refreshToken: first.tokens.refreshToken as string });
    expect((await rejection(service.refresh({ refreshToken: issued.refreshToken }))).code).toBe(
      'ERR_REFRESH_TOKEN_REUSED',
    );
    expect((await service.getSession(issued.sessionId))?.status).toBe('revoked');
  });

  it('keeps two token rows per session, yet still detects reuse of a pruned token', async () => {
    const issued = await service.issueSession({ subject: 'alice' });
    let current = issued.refreshToken;
    for (let i = 0; i < 5; i++) {
      clock.advance(20);
      current = (await service.refresh({ refreshToken: current })).tokens.refreshToken as string;
    }
    // The first token's row is gone; its tag still tells Baton it is genuine and old.
    const first = await keyedHashOf(store, issued.refreshToken);
    expect(await store.findRefreshToken(issued.sessionId, first)).toBeUndefined();
    expect(
      await store.findRefreshToken(issued.sessionId, await keyedHashOf(store, current)),
    ).toBeDefined();
    expect((await rejection(service.refresh({ refreshToken: issued.refreshToken }))).code).toBe(
      'ERR_REFRESH_TOKEN_REUSED',
    );
    const [event] = await service.listEvents({ type: 'refresh_token.reused', limit: 10 });
    expect(event?.detail).toBe('generation 0 presented at generation 5');
    expect((await rejection(service.refresh({ refreshToken: current }))).code).toBe(
      'ERR_SESSION_REVOKED',
    );
  });

  it('refuses a token whose tag does not verify as unknown, without ending its session', async () => {
    const issued = await service.issueSession({ subject: 'alice' });
    // The same session and shape, another body: only the server secret makes a valid tag.
    const body = Buffer.from(issued.refreshToken.slice(25), 'base64url');
    body[10] = (body[10] ?? 0) ^ 1;
    const forged = issued.refreshToken.slice(0, 25) + body.toString('base64url');
    expect(forged).toHaveLength(issued.refreshToken.length);
    expect((await rejection(service.refresh({ refreshToken: forged }))).code).toBe(
      'ERR_REFRESH_TOKEN_UNKNOWN',
    );
    expect((await service.getSession(issued.sessionId))?.status).toBe('active');
    expect((await service.refresh({ refreshToken: issued.refreshToken })).replayed).toBe(false);
  });

  it('lets exactly one of 50 concurrent refreshes of one token rotate; all get the same answer', async () => {
    const issued = await service.issueSession({ subject: 'alice' });
    const results = await Promise.all(
      Array.from({ length: 50 }, () => service.refresh({ refreshToken: issued.refreshToken })),
    );
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    expect(new Set(results.map((r) => JSON.stringify(r.tokens))).size).toBe(1);
    expect((await service.getSession(issued.sessionId))?.generation).toBe(1);
  });

  it('ends a session after idleTtl without a refresh, and refreshing keeps it alive', async () => {
    const issued = await service.issueSession({ subject: 'alice', idleTtl: 100 });
    clock.advance(99);
    const { tokens } = await service.refresh({ refreshToken: issued.refreshToken });
    expect(tokens.refreshExpiresAt).toBe(T0 + 99 + 100);
    clock.advance(100);
    expect(
      (await rejection(service.refresh({ refreshToken: tokens.refreshToken as string }))).code,
    ).toBe('ERR_SESSION_IDLE');
  });

  it('ends a session at its absolute expiry, which refreshing never extends', async () => {
    const issued = await service.issueSession({
      subject: 'alice',
      refreshTtl: 1000,
      idleTtl: 400,
      accessTtl: 300,
    });
    let token = issued.refreshToken;
    for (let i = 0; i < 3; i++) {
      clock.advance(300);
      const { tokens } = await service.refresh({ refreshToken: token });
      expect(tokens.sessionExpiresAt).toBe(T0 + 1000);
      expect(tokens.refreshExpiresAt).toBeLessThanOrEqual(T0 + 1000);
      token = tokens.refreshToken as string;
    }
    // At T0 + 900 the access token is capped by the session's end, not by accessTtl.
    expect(clock.now()).toBe(T0 + 900);
    const session = await service.getSession(issued.sessionId);
    expect(session?.expiresAt).toBe(T0 + 1000);
    clock.advance(100);
    expect((await rejection(service.refresh({ refreshToken: token }))).code).toBe(
      'ERR_SESSION_EXPIRED',
    );
  });

  it('caps the access token at the end of the session', async () => {
    const issued = await service.issueSession({
      subject: 'alice',
      refreshTtl: 1000,
      accessTtl: 900,
    });
    clock.advance(500);
    const { tokens } = await service.refresh({ refreshToken: issued.refreshToken });
    expect(tokens.accessExpiresAt).toBe(T0 + 1000);
    expect(tokens.expiresIn).toBe(500);
  });

  it('retires access tokens of earlier generations after a refresh', async () => {
    const issued = await service.issueSession({ subject: 'alice' });
    expect((await service.introspect(issued.accessToken, 'admin')).active).toBe(true);
    const { tokens } = await service.refresh({ refreshToken: issued.refreshToken });
    expect((await service.introspect(issued.accessToken, 'admin')).active).toBe(false);
    expect(await service.introspect(tokens.accessToken, 'admin')).toMatchObject({
      active: true,
      sub: 'alice',
      token_type: 'Bearer',
    });
    expect((await rejection(service.checkAccessToken(issued.accessToken))).code).toBe(
      'ERR_ACCESS_TOKEN_INVALID',
    );
  });

  it('revokes a session (logout): its tokens stop working', async () => {
    const issued = await service.issueSession({ subject: 'alice' });
    expect(await service.revokeSession(issued.sessionId, 'admin')).toBe(true);
    expect(await service.revokeSession(issued.sessionId, 'admin')).toBe(false);
    expect((await rejection(service.refresh({ refreshToken: issued.refreshToken }))).code).toBe(
      'ERR_SESSION_REVOKED',
    );
    expect((await service.introspect(issued.accessToken, 'admin')).active).toBe(false);
    expect(
      (await service.listEvents({ type: 'session.revoked', limit: 5 })).map((e) => e.detail),
    ).toEqual(['admin']);
    expect((await rejection(service.revokeSession('ses_unknown', 'admin'))).code).toBe(
      'ERR_NOT_FOUND',
    );
  });

  it('revokes every session of a subject and no other', async () => {
    const a = await service.issueSession({ subject: 'alice' });
    const b = await service.issueSession({ subject: 'alice' });
    const c = await service.issueSession({ subject: 'bob' });
    expect(await service.revokeSubject('alice')).toBe(2);
    for (const issued of [a, b]) {
      expect((await rejection(service.refresh({ refreshToken: issued.refreshToken }))).code).toBe(
        'ERR_SESSION_REVOKED',
      );
    }
    expect((await service.refresh({ refreshToken: c.refreshToken })).replayed).toBe(false);
  });

  it('revokes through a refresh token (RFC 7009), which ends its session', async () => {
    const issued = await service.issueSession({ subject: 'alice' });
    await service.revokeToken(issued.refreshToken, { id: 'default', authenticated: false });
    expect((await service.getSession(issued.sessionId))?.revokeReason).toBe('logout');
    expect((await service.introspect(issued.accessToken, 'admin')).active).toBe(false);
  });

  it('revokes a single access token by jti while the session lives on', async () => {
    const issued = await service.issueSession({ subject: 'alice' });
    await service.revokeToken(issued.accessToken, undefined);
    expect((await service.introspect(issued.accessToken, 'admin')).active).toBe(false);
    const { tokens } = await service.refresh({ refreshToken: issued.refreshToken });
    expect((await service.introspect(tokens.accessToken, 'admin')).active).toBe(true);
  });

  it('ignores unknown and malformed tokens on revocation', async () => {
    await expect(service.revokeToken('rt_' + 'A'.repeat(65), undefined)).resolves.toBeUndefined();
    await expect(service.revokeToken('garbage', undefined)).resolves.toBeUndefined();
  });

  it('refuses unknown and malformed refresh tokens as unknown', async () => {
    for (const refreshToken of [
      '',
      'rt_short',
      'rt_' + 'A'.repeat(65),
      'x'.repeat(5000),
      'rt_' + '\u0000'.repeat(65),
    ]) {
      expect((await rejection(service.refresh({ refreshToken }))).code).toBe(
        'ERR_REFRESH_TOKEN_UNKNOWN',
      );
    }
  });

  it('narrows the scope of one refresh without changing the session', async () => {
    const issued = await service.issueSession({ subject: 'alice', scope: 'read write admin' });
    const narrowed = await service.refresh({ refreshToken: issued.refreshToken, scope: 'read' });
    expect(narrowed.tokens.scope).toBe('read');
    expect((await verifyWithJose(service, narrowed.tokens.accessToken, T0)).scope).toBe('read');
    const full = await service.refresh({ refreshToken: narrowed.tokens.refreshToken as string });
    expect(full.tokens.scope).toBe('read write admin');
    expect(
      (
        await rejection(
          service.refresh({
            refreshToken: full.tokens.refreshToken as string,
            scope: 'read delete',
          }),
        )
      ).code,
    ).toBe('ERR_INVALID_SCOPE');
  });

  describe('client binding', () => {
    it('requires a confidential client to authenticate and refuses other clients', async () => {
      const { clientSecret } = await service.createClient({ id: 'api', confidential: true });
      const other = await service.createClient({ id: 'other', confidential: true });
      const issued = await service.issueSession({ subject: 'alice', clientId: 'api' });
      expect((await rejection(service.refresh({ refreshToken: issued.refreshToken }))).code).toBe(
        'ERR_INVALID_CLIENT',
      );
      expect(
        (
          await rejection(
            service.refresh({
              refreshToken: issued.refreshToken,
              client: { id: 'api', authenticated: false },
            }),
          )
        ).code,
      ).toBe('ERR_INVALID_CLIENT');
      const otherIdentity = await service.authenticateClient({
        clientId: 'other',
        clientSecret: other.clientSecret as string,
      });
      expect(
        (
          await rejection(
            service.refresh({ refreshToken: issued.refreshToken, client: otherIdentity }),
          )
        ).code,
      ).toBe('ERR_CLIENT_MISMATCH');
      const identity = await service.authenticateClient({
        clientId: 'api',
        clientSecret: clientSecret as string,
      });
      expect(identity).toEqual({ id: 'api', authenticated: true });
      expect(
        (await service.refresh({ refreshToken: issued.refreshToken, client: identity })).tokens
          .clientId,
      ).toBe('api');
    });

    it('refuses wrong secrets, unknown clients and secrets sent by public clients', async () => {
      await service.createClient({ id: 'api', confidential: true });
      expect(
        (await rejection(service.authenticateClient({ clientId: 'api', clientSecret: 'cs_wrong' })))
          .code,
      ).toBe('ERR_INVALID_CLIENT');
      expect((await rejection(service.authenticateClient({ clientId: 'api' }))).code).toBe(
        'ERR_INVALID_CLIENT',
      );
      expect((await rejection(service.authenticateClient({ clientId: 'nope' }))).code).toBe(
        'ERR_INVALID_CLIENT',
      );
      expect(
        (await rejection(service.authenticateClient({ clientId: 'default', clientSecret: 'x' })))
          .code,
      ).toBe('ERR_INVALID_CLIENT');
      expect(await service.authenticateClient({ clientId: 'default' })).toEqual({
        id: 'default',
        authenticated: false,
      });
    });

    it('applies per-client lifetimes and audience to new sessions', async () => {
      await service.createClient({
        id: 'mobile',
        accessTtl: 60,
        refreshTtl: 5000,
        idleTtl: 600,
        audience: 'https://api.example',
      });
      const issued = await service.issueSession({ subject: 'alice', clientId: 'mobile' });
      expect(issued).toMatchObject({
        expiresIn: 60,
        sessionExpiresAt: T0 + 5000,
        refreshExpiresAt: T0 + 600,
      });
      expect((await verifyWithJose(service, issued.accessToken, T0)).aud).toBe(
        'https://api.example',
      );
      const override = await service.issueSession({
        subject: 'alice',
        clientId: 'mobile',
        accessTtl: 30,
      });
      expect(override.expiresIn).toBe(30);
    });

    it('removing a client revokes its sessions; the default client stays', async () => {
      await service.createClient({ id: 'gone' });
      const issued = await service.issueSession({ subject: 'alice', clientId: 'gone' });
      expect(await service.deleteClient('gone')).toEqual({ revokedSessions: 1 });
      expect((await rejection(service.refresh({ refreshToken: issued.refreshToken }))).code).toBe(
        'ERR_SESSION_REVOKED',
      );
      expect((await rejection(service.deleteClient('default'))).code).toBe('ERR_CONFLICT');
      expect((await rejection(service.deleteClient('gone'))).code).toBe('ERR_NOT_FOUND');
    });
  });

  describe('without rotation', () => {
    beforeEach(async () => {
      await start({ rotate: false });
    });

    it('keeps the refresh token valid, omits a new one, and still retires earlier access tokens', async () => {
      const issued = await service.issueSession({ subject: 'alice' });
      const first = await service.refresh({ refreshToken: issued.refreshToken });
      expect(first.tokens.refreshToken).toBeNull();
      clock.advance(11);
      const second = await service.refresh({ refreshToken: issued.refreshToken });
      expect(second.replayed).toBe(false);
      expect(second.tokens.generation).toBe(2);
      expect((await service.introspect(first.tokens.accessToken, 'admin')).active).toBe(false);
      expect((await service.introspect(issued.refreshToken, 'admin')).active).toBe(true);
    });

    it('answers refreshes inside the grace with one shared response', async () => {
      const issued = await service.issueSession({ subject: 'alice' });
      const results = await Promise.all(
        Array.from({ length: 10 }, () => service.refresh({ refreshToken: issued.refreshToken })),
      );
      expect(new Set(results.map((r) => r.tokens.accessToken)).size).toBe(1);
      expect((await service.getSession(issued.sessionId))?.generation).toBe(1);
    });
  });

  describe('rate limits', () => {
    it('answers an IP over its budget 429 until the window ends, yet never refuses a valid token', async () => {
      await start({ rateLimit: { ipFailures: 3, sessionFailures: 0, windowTtl: 60 } });
      const issued = await service.issueSession({ subject: 'alice' });
      clock.set(T0 - (T0 % 60)); // start of a window
      for (let i = 0; i < 3; i++) {
        expect(
          (await rejection(service.refresh({ refreshToken: 'rt_bad', ip: '198.51.100.1' }))).code,
        ).toBe('ERR_REFRESH_TOKEN_UNKNOWN');
      }
      clock.advance(15);
      const limited = await rejection(
        service.refresh({ refreshToken: 'rt_bad', ip: '198.51.100.1' }),
      );
      expect(limited).toEqual({ code: 'ERR_RATE_LIMITED', retryAfter: 45 });
      // The session's current token is never refused by a limit, from that IP or any other.
      expect(
        (await service.refresh({ refreshToken: issued.refreshToken, ip: '198.51.100.1' })).replayed,
      ).toBe(false);
      clock.advance(45);
      expect(
        (await rejection(service.refresh({ refreshToken: 'rt_bad', ip: '198.51.100.1' }))).code,
      ).toBe('ERR_REFRESH_TOKEN_UNKNOWN');
    });

    it('does not let forged tokens naming a session lock that session out', async () => {
      await start({ rateLimit: { ipFailures: 0, sessionFailures: 2, windowTtl: 60 } });
      const issued = await service.issueSession({ subject: 'alice' });
      // Same session part, wrong secret: anyone who saw an access token knows the sid.
      const forged = issued.refreshToken.slice(0, 25) + 'A'.repeat(43);
      expect(forged).not.toBe(issued.refreshToken);
      for (let i = 0; i < 5; i++) {
        expect((await rejection(service.refresh({ refreshToken: forged }))).code).toBe(
          'ERR_REFRESH_TOKEN_UNKNOWN',
        );
      }
      expect((await service.refresh({ refreshToken: issued.refreshToken })).replayed).toBe(false);
      expect(await service.listEvents({ type: 'refresh.failed', limit: 10 })).toEqual([]);
    });

    it('answers the failures of a session over its budget 429, recording no more of them', async () => {
      await start({ rateLimit: { ipFailures: 0, sessionFailures: 2, windowTtl: 60 } });
      const issued = await service.issueSession({ subject: 'alice', scope: 'read' });
      const widen = () => service.refresh({ refreshToken: issued.refreshToken, scope: 'write' });
      for (let i = 0; i < 2; i++) expect((await rejection(widen())).code).toBe('ERR_INVALID_SCOPE');
      expect((await rejection(widen())).code).toBe('ERR_RATE_LIMITED');
      const failures = await service.listEvents({ type: 'refresh.failed', limit: 10 });
      expect(failures.map((e) => e.detail)).toEqual(['invalid_scope', 'invalid_scope']);
      // A valid refresh of the session still goes through.
      expect((await service.refresh({ refreshToken: issued.refreshToken })).replayed).toBe(false);
    });

    it('never lets a stale credential of a session lock out the holder of its current token', async () => {
      await start({ rateLimit: { ipFailures: 3, sessionFailures: 2, windowTtl: 60 } });
      const issued = await service.issueSession({ subject: 'alice' });
      const first = await service.refresh({ refreshToken: issued.refreshToken, ip: '192.0.2.1' });
      // Someone holding the session's earlier access token hammers an access-token refresh.
      for (let i = 0; i < 20; i++) {
        await rejection(
          service.refreshByAccessToken({
            accessToken: issued.accessToken,
            dialect: 'payabli',
            ip: '192.0.2.66',
          }),
        );
      }
      expect(
        (
          await rejection(
            service.refreshByAccessToken({
              accessToken: issued.accessToken,
              dialect: 'payabli',
              ip: '192.0.2.66',
            }),
          )
        ).code,
      ).toBe('ERR_RATE_LIMITED');
      // The owner, on another IP or on the attacker's, refreshes with the current token.
      const next = await service.refresh({
        refreshToken: first.tokens.refreshToken as string,
        ip: '192.0.2.1',
      });
      expect(next.tokens.generation).toBe(2);
      const again = await service.refresh({
        refreshToken: next.tokens.refreshToken as string,
        ip: '192.0.2.66',
      });
      expect(again.tokens.generation).toBe(3);
      // The failures recorded against the session stop at its budget.
      expect(await service.listEvents({ type: 'refresh.failed', limit: 100 })).toHaveLength(2);
    });
  });
});
