import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/clock.js';
import { MAX_ACCESS_TTL, SIGNING_ALGS, type SigningAlg } from '../../src/core/config.js';
import { isBatonError, type ErrorCode } from '../../src/core/errors.js';
import { KEY_RETENTION_TTL } from '../../src/core/keyring.js';
import type { Store } from '../../src/core/store.js';
import { createTokenService, type TokenService } from '../../src/core/token-service.js';
import { createMemoryStore } from '../../src/stores/memory/memory-store.js';
import { createTestService, ISSUER, T0 } from '../helpers/service.js';

const SECRET = 'a-master-secret-of-at-least-32-characters';
const OTHER_SECRET = 'another-master-secret-of-32-characters!!';
const ASYMMETRIC = SIGNING_ALGS.filter((alg) => alg !== 'HS256');
/** JWK members that belong to a private or secret key. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const KTY: Record<Exclude<SigningAlg, 'HS256'>, string> = {
  EdDSA: 'OKP',
  ES256: 'EC',
  RS256: 'RSA',
};

async function failure(promise: Promise<unknown>): Promise<{ code: ErrorCode; message: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isBatonError(error)) throw new Error(`expected a BatonError, got ${String(error)}`);
  return { code: error.code, message: error.message };
}

async function activeKid(service: TokenService): Promise<string> {
  const active = (await service.listKeys()).find((key) => key.status === 'active');
  if (active === undefined) throw new Error('no active key');
  return active.kid;
}

/** Verifies with jose against the service's JWKS, pinned to `alg`, as a resource server would. */
async function verifyAgainstJwks(service: TokenService, token: string, alg: string, at: number) {
  const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(service.jwks()), {
    issuer: ISSUER,
    typ: 'at+jwt',
    algorithms: [alg],
    currentDate: new Date(at * 1000),
  });
  return { payload, protectedHeader };
}

describe.each(SIGNING_ALGS)('signing with %s', (alg) => {
  it('issues access tokens whose header has typ at+jwt, the algorithm and the active kid', async () => {
    const { service } = await createTestService({ alg });
    const issued = await service.issueSession({ subject: 'alice' });
    expect(decodeProtectedHeader(issued.accessToken)).toEqual({
      alg,
      typ: 'at+jwt',
      kid: await activeKid(service),
    });
    expect((await service.listKeys()).map((key) => key.alg)).toEqual([alg]);
    const { claims } = await service.checkAccessToken(issued.accessToken);
    expect(claims).toMatchObject({ iss: ISSUER, sub: 'alice', sid: issued.sessionId, gen: 0 });
  });

  if (alg === 'HS256') {
    it('keeps the HS256 key out of the JWKS; tokens verify through checkAccessToken only', async () => {
      const { service } = await createTestService({ alg });
      const issued = await service.issueSession({ subject: 'alice' });
      expect(service.jwks()).toEqual({ keys: [] });
      await expect(service.checkAccessToken(issued.accessToken)).resolves.toMatchObject({
        claims: { sub: 'alice' },
      });
      await expect(verifyAgainstJwks(service, issued.accessToken, alg, T0)).rejects.toThrow();
    });
  } else {
    it('issues access tokens that jose verifies against the JWKS, pinned to the algorithm', async () => {
      const { service } = await createTestService({ alg });
      const issued = await service.issueSession({ subject: 'alice', scope: 'read' });
      const { payload, protectedHeader } = await verifyAgainstJwks(
        service,
        issued.accessToken,
        alg,
        T0,
      );
      expect(protectedHeader.kid).toBe(await activeKid(service));
      expect(payload).toMatchObject({ sub: 'alice', scope: 'read', iss: ISSUER, gen: 0 });
      // Pinned to another algorithm, the same token does not verify.
      const other = ASYMMETRIC.find((candidate) => candidate !== alg) ?? 'EdDSA';
      await expect(verifyAgainstJwks(service, issued.accessToken, other, T0)).rejects.toThrow();
    });

    it('publishes only public members in the JWKS', async () => {
      const { service } = await createTestService({ alg });
      const { keys } = service.jwks();
      expect(keys).toHaveLength(1);
      const [key] = keys;
      expect(key).toMatchObject({
        kid: await activeKid(service),
        alg,
        use: 'sig',
        kty: KTY[alg as Exclude<SigningAlg, 'HS256'>],
      });
      for (const member of PRIVATE_MEMBERS) expect(key).not.toHaveProperty(member);
    });
  }

  it('stores the private key as plain JWK JSON when no secret is configured', async () => {
    const { service, store } = await createTestService({ alg });
    const [record] = await store.listKeys();
    expect(record?.kid).toBe(await activeKid(service));
    expect(record?.privateKey.startsWith('sealed:')).toBe(false);
    const jwk = JSON.parse(record?.privateKey ?? '') as Record<string, unknown>;
    expect(jwk).toHaveProperty(alg === 'HS256' ? 'k' : 'd');
  });

  it('stores the private key sealed when a secret is configured, and opens it on restart', async () => {
    const store = createMemoryStore();
    const first = await createTestService({ alg, store, secret: SECRET });
    const issued = await first.service.issueSession({ subject: 'alice' });
    const [record] = await store.listKeys();
    expect(record?.privateKey.startsWith('sealed:')).toBe(true);
    expect(() => JSON.parse(record?.privateKey ?? '') as unknown).toThrow();
    expect(record?.privateKey).not.toMatch(/"(d|k)"\s*:/);

    const second = await createTestService({ alg, store, secret: SECRET });
    expect(await activeKid(second.service)).toBe(record?.kid);
    await expect(second.service.checkAccessToken(issued.accessToken)).resolves.toBeDefined();
    const reissued = await second.service.issueSession({ subject: 'bob' });
    expect(decodeProtectedHeader(reissued.accessToken).kid).toBe(record?.kid);
  });

  it('keeps tokens of a rotated-out key verifiable until KEY_RETENTION_TTL, then drops the key', async () => {
    const { service, clock } = await createTestService({ alg });
    const oldKid = await activeKid(service);
    const old = await service.issueSession({ subject: 'alice', accessTtl: MAX_ACCESS_TTL });

    clock.advance(60);
    const rotated = await service.rotateKeys();
    const retiredAt = T0 + 60;
    expect(rotated).toMatchObject({ alg, status: 'active', createdAt: retiredAt });
    expect(rotated.kid).not.toBe(oldKid);
    expect(await service.listKeys()).toContainEqual(
      expect.objectContaining({
        kid: oldKid,
        status: 'retired',
        retiredAt,
        publishedUntil: retiredAt + KEY_RETENTION_TTL,
      }),
    );
    const events = await service.listEvents({ type: 'key.rotated', limit: 10 });
    expect(events).toEqual([expect.objectContaining({ detail: rotated.kid, at: retiredAt })]);

    const fresh = await service.issueSession({ subject: 'bob' });
    expect(decodeProtectedHeader(fresh.accessToken).kid).toBe(rotated.kid);

    // The old token lives its full lifetime, and the old key outlives it.
    const lastSecond = T0 + MAX_ACCESS_TTL - 1;
    clock.set(lastSecond);
    await expect(service.checkAccessToken(old.accessToken)).resolves.toBeDefined();
    if (alg !== 'HS256') {
      expect(service.jwks().keys.map((key) => key.kid)).toEqual([rotated.kid, oldKid]);
      await expect(
        verifyAgainstJwks(service, old.accessToken, alg, lastSecond),
      ).resolves.toBeDefined();
    }

    clock.set(retiredAt + KEY_RETENTION_TTL - 1);
    if (alg !== 'HS256') expect(service.jwks().keys.map((key) => key.kid)).toContain(oldKid);
    clock.set(retiredAt + KEY_RETENTION_TTL);
    expect(service.jwks().keys.map((key) => key.kid)).not.toContain(oldKid);
    if (alg !== 'HS256') expect(service.jwks().keys.map((key) => key.kid)).toEqual([rotated.kid]);
  });
});

describe('switching the configured algorithm on restart', () => {
  const switches: [SigningAlg, SigningAlg][] = [
    ['EdDSA', 'ES256'],
    ['ES256', 'RS256'],
    ['RS256', 'HS256'],
    ['HS256', 'EdDSA'],
  ];
  it.each(switches)(
    '%s → %s: rotates to a key of the new algorithm, records key.rotated, keeps old tokens valid',
    async (from, to) => {
      const store: Store = createMemoryStore();
      const clock = createManualClock(T0);
      const first = await createTestService({ alg: from, store, clock });
      const fromKid = await activeKid(first.service);
      const old = await first.service.issueSession({ subject: 'alice' });
      expect(await first.service.listEvents({ type: 'key.rotated', limit: 10 })).toEqual([]);

      clock.advance(30);
      const second = await createTestService({ alg: to, store, clock });
      const keys = await second.service.listKeys();
      const active = keys.find((key) => key.status === 'active');
      expect(active?.alg).toBe(to);
      expect(keys).toContainEqual(
        expect.objectContaining({ kid: fromKid, alg: from, status: 'retired', retiredAt: T0 + 30 }),
      );
      expect(await second.service.listEvents({ type: 'key.rotated', limit: 10 })).toEqual([
        expect.objectContaining({ type: 'key.rotated', detail: active?.kid, at: T0 + 30 }),
      ]);

      const fresh = await second.service.issueSession({ subject: 'bob' });
      expect(decodeProtectedHeader(fresh.accessToken)).toMatchObject({ alg: to, kid: active?.kid });
      await expect(second.service.checkAccessToken(old.accessToken)).resolves.toBeDefined();
      await expect(second.service.checkAccessToken(fresh.accessToken)).resolves.toBeDefined();

      // Starting again with the same algorithm changes nothing.
      const third = await createTestService({ alg: to, store, clock });
      expect(await activeKid(third.service)).toBe(active?.kid);
      expect(await third.service.listEvents({ type: 'key.rotated', limit: 10 })).toHaveLength(1);
    },
  );
});

describe('the master secret', () => {
  it('refuses a secret shorter than 32 characters', async () => {
    const result = await failure(createTestService({ secret: 'x'.repeat(31) }));
    expect(result.code).toBe('ERR_INVALID_CONFIG');
    expect(result.message).toMatch(/32/);
    await expect(createTestService({ secret: 'x'.repeat(32) })).resolves.toBeDefined();
  });

  it('refuses to start over a store initialised with another secret', async () => {
    const store = createMemoryStore();
    await createTestService({ store, secret: SECRET });
    const result = await failure(createTestService({ store, secret: OTHER_SECRET }));
    expect(result).toEqual({
      code: 'ERR_INVALID_CONFIG',
      message: expect.stringMatching(/does not match/) as unknown as string,
    });
  });

  it('refuses to start without a secret over a store initialised with one', async () => {
    const store = createMemoryStore();
    await createTestService({ store, secret: SECRET });
    const result = await failure(createTestService({ store }));
    expect(result.code).toBe('ERR_INVALID_CONFIG');
  });

  it('refuses to start with a secret over a store initialised without one', async () => {
    const store = createMemoryStore();
    await createTestService({ store });
    const result = await failure(createTestService({ store, secret: SECRET }));
    expect(result.code).toBe('ERR_INVALID_CONFIG');
  });
});

describe('the admin token', () => {
  const start = (store: Store, adminToken?: string) =>
    createTokenService({
      issuer: ISSUER,
      store,
      clock: createManualClock(T0),
      ...(adminToken === undefined ? {} : { adminToken }),
    });

  it('refuses a configured admin token shorter than 32 characters', async () => {
    const result = await failure(start(createMemoryStore(), 'x'.repeat(31)));
    expect(result.code).toBe('ERR_INVALID_CONFIG');
    expect(result.message).toMatch(/BATON_ADMIN_TOKEN.*32/);
    const service = await start(createMemoryStore(), 'x'.repeat(32));
    await expect(service.authenticateAdmin('x'.repeat(32))).resolves.toBeUndefined();
    expect(service.generatedAdminToken).toBeUndefined();
  });

  it('generates a bat_ token once, stores only its hash, and keeps accepting it after a restart', async () => {
    const store = createMemoryStore();
    const first = await start(store);
    const token = first.generatedAdminToken;
    expect(token).toMatch(/^bat_[A-Za-z0-9_-]{43}$/);
    if (token === undefined) return;
    await expect(first.authenticateAdmin(token)).resolves.toBeUndefined();
    await expect(first.authenticateAdmin(`${token}x`)).rejects.toMatchObject({
      code: 'ERR_ADMIN_UNAUTHORIZED',
    });

    const stored = await store.getMeta('admin_token_hash');
    expect(stored).toBeDefined();
    expect(stored).not.toBe(token);
    expect(stored).not.toContain(token.slice(4));

    const second = await start(store);
    expect(second.generatedAdminToken).toBeUndefined();
    await expect(second.authenticateAdmin(token)).resolves.toBeUndefined();
    expect(await store.getMeta('admin_token_hash')).toBe(stored);
  });

  it('generates a different token for a different store', async () => {
    const a = await start(createMemoryStore());
    const b = await start(createMemoryStore());
    expect(a.generatedAdminToken).not.toBe(b.generatedAdminToken);
    await expect(b.authenticateAdmin(a.generatedAdminToken ?? '')).rejects.toMatchObject({
      code: 'ERR_ADMIN_UNAUTHORIZED',
    });
  });
});
