import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isBatonError } from '../../src/core/errors.js';
import type {
  ClientRecord,
  RefreshTokenRecord,
  SessionRecord,
  SigningKeyRecord,
} from '../../src/core/records.js';
import type { NewSecurityEvent } from '../../src/core/security-events.js';
import type { Store } from '../../src/core/store.js';

/** Opens a fresh, empty store; `cleanup` removes what it made. */
export interface StoreFactory {
  open(): Promise<Store> | Store;
  cleanup?(): Promise<void> | void;
}

const T0 = 1_800_000_000;
let counter = 0;

function session(overrides: Partial<SessionRecord> = {}): SessionRecord {
  counter += 1;
  return {
    id: `ses_${String(counter).padStart(6, '0')}`,
    subject: 'alice',
    clientId: 'default',
    scope: 'read write',
    claims: { role: 'admin', nested: { n: 1 } },
    createdAt: T0,
    expiresAt: T0 + 1000,
    idleTtl: 100,
    accessTtl: 60,
    rotate: true,
    lastActiveAt: T0,
    generation: 0,
    rotatedAtMs: null,
    accessHash: null,
    revokedAt: null,
    revokeReason: null,
    ...overrides,
  };
}

function hashOf(n: number | string): string {
  return Buffer.alloc(32, String(n)).toString('base64url');
}

function token(
  s: SessionRecord,
  generation = 0,
  hash = hashOf(`${s.id}:${generation}`),
): RefreshTokenRecord {
  return { hash, sessionId: s.id, generation, createdAt: s.createdAt };
}

function client(id: string, overrides: Partial<ClientRecord> = {}): ClientRecord {
  return {
    id,
    secretHash: null,
    accessTtl: null,
    refreshTtl: null,
    idleTtl: null,
    reuseGrace: null,
    rotate: null,
    audience: null,
    dialects: null,
    allowedOrigins: null,
    createdAt: T0,
    ...overrides,
  };
}

function key(kid: string, createdAt: number): SigningKeyRecord {
  return {
    kid,
    alg: 'EdDSA',
    publicJwk: '{"kty":"OKP"}',
    privateKey: '{"d":"x"}',
    createdAt,
    retiredAt: null,
  };
}

function event(
  type: NewSecurityEvent['type'],
  at: number,
  sessionId: string | null = null,
): NewSecurityEvent {
  return {
    type,
    at,
    sessionId,
    subject: 'alice',
    clientId: 'default',
    ip: '127.0.0.1',
    detail: null,
  };
}

/**
 * The store contract, run against every backend. A store passes when every behaviour the core
 * relies on holds: atomic rotation with exactly one winner, revocation, sweeping, and faithful
 * round-trips of every field.
 */
export function describeStoreConformance(name: string, factory: StoreFactory): void {
  describe(`${name} store conformance`, () => {
    let store: Store;

    beforeEach(async () => {
      store = await factory.open();
    });
    afterEach(async () => {
      await store.close();
      await factory.cleanup?.();
    });

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    describe('meta', () => {
      it('keeps the first value of initMeta and replaces with setMeta', async () => {
        expect(await store.getMeta('k')).toBeUndefined();
        expect(await store.initMeta('k', 'first')).toBe('first');
        expect(await store.initMeta('k', 'second')).toBe('first');
        await store.setMeta('k', 'third');
        expect(await store.getMeta('k')).toBe('third');
      });
    });

    describe('clients', () => {
      it('inserts, refuses duplicates, replaces on request, lists by id and deletes', async () => {
        expect(
          await store.insertClient(client('b', { secretHash: 'h', rotate: false, accessTtl: 5 })),
        ).toBe(true);
        expect(await store.insertClient(client('a', { rotate: true, audience: 'api' }))).toBe(true);
        expect(await store.insertClient(client('b'))).toBe(false);
        expect(await store.getClient('b')).toEqual(
          client('b', { secretHash: 'h', rotate: false, accessTtl: 5 }),
        );
        await store.replaceClient(client('b', { idleTtl: 9 }));
        expect(await store.getClient('b')).toEqual(client('b', { idleTtl: 9 }));
        expect((await store.listClients()).map((c) => c.id)).toEqual(['a', 'b']);
        expect((await store.getClient('a'))?.rotate).toBe(true);
        expect(await store.deleteClient('a')).toBe(true);
        expect(await store.deleteClient('a')).toBe(false);
        expect(await store.getClient('a')).toBeUndefined();
      });

      it("keeps a client's dialect list, an empty one, and the default apart", async () => {
        await store.insertClient(client('listed', { dialects: ['payabli', 'adid'] }));
        await store.insertClient(client('none', { dialects: [] }));
        await store.insertClient(client('default'));
        expect((await store.getClient('listed'))?.dialects).toEqual(['payabli', 'adid']);
        expect((await store.getClient('none'))?.dialects).toEqual([]);
        expect((await store.getClient('default'))?.dialects).toBeNull();
      });
    });

    describe('sessions and refresh tokens', () => {
      it('has no retry box before the first refresh, nor for unknown sessions', async () => {
        const s = session();
        await store.createSession(s, token(s));
        expect(await store.getRetryBox(s.id, 0)).toBeUndefined();
        expect(await store.getRetryBox('ses_missing', 1)).toBeUndefined();
      });

      it('round-trips a session and finds it by its refresh token hash', async () => {
        const s = session();
        await store.createSession(s, token(s));
        const found = await store.findRefreshToken(s.id, token(s).hash);
        expect(found?.session).toEqual(s);
        expect(found?.token).toEqual(token(s));
        expect(await store.getSession(s.id)).toEqual(s);
        expect(await store.findRefreshToken(s.id, hashOf('nope'))).toBeUndefined();
        // The hash of another session's token does not match under this session.
        const other = session();
        await store.createSession(other, token(other));
        expect(await store.findRefreshToken(other.id, token(s).hash)).toBeUndefined();
        expect(await store.getSession('ses_missing')).toBeUndefined();
      });

      it('rotates: moves the generation, stores the retry box and inserts the successor', async () => {
        const s = session();
        await store.createSession(s, token(s));
        const box = Uint8Array.from([1, 2, 3, 250]);
        const applied = await store.rotate({
          sessionId: s.id,
          fromGeneration: 0,
          toGeneration: 1,
          at: T0 + 5,
          atMs: (T0 + 5) * 1000 + 123,
          accessHash: hashOf('access'),
          retryBox: box,
          tokens: { kind: 'rotate', next: token(s, 1) },
        });
        expect(applied).toBe(true);
        const after = await store.getSession(s.id);
        expect(after).toMatchObject({
          generation: 1,
          lastActiveAt: T0 + 5,
          rotatedAtMs: (T0 + 5) * 1000 + 123,
          accessHash: hashOf('access'),
          expiresAt: s.expiresAt,
        });
        expect(Buffer.from((await store.getRetryBox(s.id, 1)) ?? [])).toEqual(Buffer.from(box));
        // The box belongs to generation 1 only.
        expect(await store.getRetryBox(s.id, 0)).toBeUndefined();
        expect(await store.getRetryBox(s.id, 2)).toBeUndefined();
        const successor = await store.findRefreshToken(s.id, token(s, 1).hash);
        expect(successor?.token.generation).toBe(1);
        expect(successor?.session.generation).toBe(1);
        // The used token still resolves to its session: that is how reuse is detected.
        expect((await store.findRefreshToken(s.id, token(s).hash))?.token.generation).toBe(0);
      });

      it('rotates without a successor when the session does not rotate tokens', async () => {
        const s = session({ rotate: false });
        await store.createSession(s, token(s));
        for (let generation = 0; generation < 3; generation++) {
          const op = {
            sessionId: s.id,
            fromGeneration: generation,
            toGeneration: generation + 1,
            at: T0 + 1,
            atMs: (T0 + 1) * 1000,
            accessHash: hashOf('access'),
            retryBox: Uint8Array.of(9),
            tokens: { kind: 'keep' } as const,
          };
          expect(await store.rotate(op)).toBe(true);
        }
        // The one token is never pruned: it stays the session's credential.
        const found = await store.findRefreshToken(s.id, token(s).hash);
        expect(found?.session.generation).toBe(3);
        expect(found?.token.generation).toBe(0);
      });

      it('keeps only the current token and the one just used, pruning older ones', async () => {
        const s = session();
        await store.createSession(s, token(s));
        for (let generation = 0; generation < 4; generation++) {
          const op = {
            sessionId: s.id,
            fromGeneration: generation,
            toGeneration: generation + 1,
            at: T0 + 1,
            atMs: (T0 + 1) * 1000,
            accessHash: hashOf('access'),
            retryBox: Uint8Array.of(generation),
            tokens: { kind: 'rotate', next: token(s, generation + 1) } as const,
          };
          expect(await store.rotate(op)).toBe(true);
        }
        const present = await Promise.all(
          [0, 1, 2, 3, 4].map(
            async (g) => (await store.findRefreshToken(s.id, token(s, g).hash)) !== undefined,
          ),
        );
        expect(present).toEqual([false, false, false, true, true]);
        // A lost rotation prunes nothing.
        expect(
          await store.rotate({
            sessionId: s.id,
            fromGeneration: 2,
            toGeneration: 3,
            at: T0 + 1,
            atMs: (T0 + 1) * 1000,
            accessHash: hashOf('access'),
            retryBox: Uint8Array.of(1),
            tokens: { kind: 'rotate', next: token(s, 99) },
          }),
        ).toBe(false);
        expect(await store.findRefreshToken(s.id, token(s, 3).hash)).toBeDefined();
      });

      it('carries the current refresh token to the new generation when asked', async () => {
        const s = session();
        await store.createSession(s, token(s));
        const carried = {
          sessionId: s.id,
          fromGeneration: 0,
          toGeneration: 1,
          at: T0 + 1,
          atMs: (T0 + 1) * 1000,
          accessHash: hashOf('access'),
          retryBox: Uint8Array.of(7),
          tokens: { kind: 'carry' } as const,
        };
        expect(await store.rotate(carried)).toBe(true);
        const found = await store.findRefreshToken(s.id, token(s).hash);
        expect(found?.token.generation).toBe(1);
        expect(found?.session.generation).toBe(1);
        // A stale carry changes nothing.
        expect(await store.rotate(carried)).toBe(false);
        expect((await store.findRefreshToken(s.id, token(s).hash))?.token.generation).toBe(1);
        // A later rotation with a successor leaves the carried token behind, used.
        expect(
          await store.rotate({
            ...carried,
            fromGeneration: 1,
            toGeneration: 2,
            tokens: { kind: 'rotate', next: token(s, 2) },
          }),
        ).toBe(true);
        expect((await store.findRefreshToken(s.id, token(s).hash))?.token.generation).toBe(1);
        expect((await store.findRefreshToken(s.id, token(s, 2).hash))?.token.generation).toBe(2);
        // A carry prunes too: the carried token moves on, the one used before it goes.
        expect(await store.rotate({ ...carried, fromGeneration: 2, toGeneration: 3 })).toBe(true);
        expect(await store.findRefreshToken(s.id, token(s).hash)).toBeUndefined();
        expect((await store.findRefreshToken(s.id, token(s, 2).hash))?.token.generation).toBe(3);
      });

      it('refuses a rotation from a stale generation and changes nothing', async () => {
        const s = session();
        await store.createSession(s, token(s));
        const stale = {
          sessionId: s.id,
          fromGeneration: 3,
          toGeneration: 4,
          at: T0 + 1,
          atMs: (T0 + 1) * 1000,
          accessHash: hashOf('access'),
          retryBox: Uint8Array.of(1),
          tokens: { kind: 'rotate', next: token(s, 4) } as const,
        };
        expect(await store.rotate(stale)).toBe(false);
        expect(await store.getSession(s.id)).toEqual(s);
        expect(await store.findRefreshToken(s.id, token(s, 4).hash)).toBeUndefined();
      });

      it.each([
        ['revoked', { revokedAt: T0 + 1, revokeReason: 'admin' }, T0 + 2],
        ['past its absolute expiry', {}, T0 + 1000],
        ['idle', {}, T0 + 100],
      ])('refuses to rotate a session that is %s', async (_label, overrides, at) => {
        const s = session(overrides);
        await store.createSession(s, token(s));
        const op = {
          sessionId: s.id,
          fromGeneration: 0,
          toGeneration: 1,
          at,
          atMs: at * 1000,
          accessHash: hashOf('access'),
          retryBox: Uint8Array.of(1),
          tokens: { kind: 'rotate', next: token(s, 1) } as const,
        };
        expect(await store.rotate(op)).toBe(false);
        expect((await store.getSession(s.id))?.generation).toBe(0);
        expect(await store.findRefreshToken(s.id, token(s, 1).hash)).toBeUndefined();
      });

      it('lets exactly one of many concurrent rotations of one generation win', async () => {
        const s = session();
        await store.createSession(s, token(s));
        const results = await Promise.all(
          Array.from({ length: 25 }, (_, i) =>
            store.rotate({
              sessionId: s.id,
              fromGeneration: 0,
              toGeneration: 1,
              at: T0 + 1,
              atMs: (T0 + 1) * 1000,
              accessHash: hashOf('access'),
              retryBox: Uint8Array.of(i),
              tokens: { kind: 'rotate', next: token(s, 1, hashOf(`racer-${s.id}-${i}`)) },
            }),
          ),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        const winner = results.indexOf(true);
        expect(Buffer.from((await store.getRetryBox(s.id, 1)) ?? [])).toEqual(
          Buffer.from([winner]),
        );
        const successors = await Promise.all(
          results.map((_, i) => store.findRefreshToken(s.id, hashOf(`racer-${s.id}-${i}`))),
        );
        expect(successors.filter((found) => found !== undefined)).toHaveLength(1);
      });

      it('revokes a session once, appending its event in the same step', async () => {
        const s = session();
        await store.createSession(s, token(s));
        expect(
          await store.revokeSession(
            s.id,
            T0 + 3,
            'reuse',
            event('refresh_token.reused', T0 + 3, s.id),
          ),
        ).toBe(true);
        expect(
          await store.revokeSession(s.id, T0 + 4, 'admin', event('session.revoked', T0 + 4, s.id)),
        ).toBe(false);
        expect(await store.getSession(s.id)).toMatchObject({
          revokedAt: T0 + 3,
          revokeReason: 'reuse',
        });
        const events = await store.listEvents({ limit: 10 });
        expect(events.map((e) => e.type)).toEqual(['refresh_token.reused']);
        expect(await store.revokeSession('ses_missing', T0, 'admin')).toBe(false);
      });

      it('revokes every live session of a subject or of a client', async () => {
        const a1 = session({ subject: 'ann' });
        const a2 = session({ subject: 'ann', clientId: 'web' });
        const a3 = session({ subject: 'ann', revokedAt: T0, revokeReason: 'admin' });
        const b1 = session({ subject: 'bob', clientId: 'web' });
        for (const s of [a1, a2, a3, b1]) await store.createSession(s, token(s));
        const who = (s: SessionRecord) => ({ id: s.id, subject: s.subject, clientId: s.clientId });
        const template = (at: number, detail: string) => ({
          type: 'session.revoked' as const,
          at,
          ip: '192.0.2.7',
          detail,
        });
        const ann = [a1, a2].map(who).sort((x, y) => (x.id < y.id ? -1 : 1));
        expect(
          await store.revokeSessions(
            { subject: 'ann' },
            T0 + 1,
            'subject',
            template(T0 + 1, 'subject'),
          ),
        ).toEqual(ann);
        expect(
          await store.revokeSessions(
            { clientId: 'web' },
            T0 + 2,
            'client_deleted',
            template(T0 + 2, 'client_deleted'),
          ),
        ).toEqual([who(b1)]);
        expect((await store.getSession(a3.id))?.revokedAt).toBe(T0);
        expect((await store.getSession(b1.id))?.revokeReason).toBe('client_deleted');
        // One event per revoked session, written with the revocation, the template filled in.
        const events = await store.listEvents({ type: 'session.revoked', limit: 10 });
        expect(
          events.map(({ sessionId, subject, clientId, at, ip, detail }) => ({
            sessionId,
            subject,
            clientId,
            at,
            ip,
            detail,
          })),
        ).toEqual([
          ...ann.map((s) => ({
            sessionId: s.id,
            subject: s.subject,
            clientId: s.clientId,
            at: T0 + 1,
            ip: '192.0.2.7',
            detail: 'subject',
          })),
          {
            sessionId: b1.id,
            subject: 'bob',
            clientId: 'web',
            at: T0 + 2,
            ip: '192.0.2.7',
            detail: 'client_deleted',
          },
        ]);
      });

      it('lists sessions by subject and client, in id order, with a cursor', async () => {
        const made = [
          session({ subject: 'carol' }),
          session({ subject: 'carol', clientId: 'web' }),
          session({ subject: 'carol' }),
          session({ subject: 'dave' }),
        ];
        for (const s of made) await store.createSession(s, token(s));
        const carol = await store.listSessions({ subject: 'carol', limit: 10 });
        expect(carol.map((s) => s.id)).toEqual([made[0]?.id, made[1]?.id, made[2]?.id]);
        const page = await store.listSessions({
          subject: 'carol',
          after: made[0]?.id as string,
          limit: 1,
        });
        expect(page.map((s) => s.id)).toEqual([made[1]?.id]);
        expect((await store.listSessions({ clientId: 'web', limit: 10 })).map((s) => s.id)).toEqual(
          [made[1]?.id],
        );
        expect(
          (await store.listSessions({ subject: 'carol', clientId: 'default', limit: 10 })).length,
        ).toBe(2);
        expect((await store.listSessions({ limit: 3 })).length).toBe(3);
      });
    });

    describe('access-token revocation', () => {
      it('remembers a revoked jti until the sweep after its expiry', async () => {
        const revoked = event('access_token.revoked', T0, 'ses_x');
        expect(
          await store.revokeAccessToken('jti-1', T0 + 10, { ...revoked, detail: 'jti-1' }),
        ).toBe(true);
        // A second revocation of the same token changes nothing and records nothing.
        expect(
          await store.revokeAccessToken('jti-1', T0 + 10, { ...revoked, detail: 'jti-1' }),
        ).toBe(false);
        expect(await store.listEvents({ type: 'access_token.revoked', limit: 10 })).toHaveLength(1);
        expect(await store.isAccessTokenRevoked('jti-1')).toBe(true);
        expect(await store.isAccessTokenRevoked('jti-2')).toBe(false);
        const cutoffs = {
          sessionsEndedBefore: 0,
          eventsBefore: 0,
          keysRetiredBefore: 0,
          limit: 100,
        };
        expect(
          (await store.sweep({ ...cutoffs, accessTokensExpiredBefore: T0 + 10 }))
            .revokedAccessTokens,
        ).toBe(0);
        expect(
          (await store.sweep({ ...cutoffs, accessTokensExpiredBefore: T0 + 11 }))
            .revokedAccessTokens,
        ).toBe(1);
        expect(await store.isAccessTokenRevoked('jti-1')).toBe(false);
      });
    });

    describe('revocation list', () => {
      it('lists revoked sessions and access tokens after a cursor, since a time, per client', async () => {
        const a = session({ clientId: 'web' });
        const b = session({ clientId: 'api' });
        const c = session({ clientId: 'web' });
        for (const s of [a, b, c]) await store.createSession(s, token(s));
        await store.appendEvent(event('refresh.failed', T0 + 1, a.id));
        await store.revokeSession(a.id, T0 + 2, 'admin', {
          ...event('session.revoked', T0 + 2, a.id),
          clientId: 'web',
        });
        await store.revokeSession(b.id, T0 + 3, 'reuse', {
          ...event('refresh_token.reused', T0 + 3, b.id),
          clientId: 'api',
        });
        await store.revokeAccessToken('jti-c', T0 + 900, {
          ...event('access_token.revoked', T0 + 4, c.id),
          clientId: 'web',
          detail: 'jti-c',
        });
        await store.revokeSessions({ subject: 'alice' }, T0 + 5, 'subject', {
          type: 'session.revoked',
          at: T0 + 5,
          ip: null,
          detail: 'subject',
        });

        const all = await store.listRevocations({ afterId: 0, since: T0, limit: 100 });
        expect(all.map((r) => (r.kind === 'session' ? r.sessionId : r.jti))).toEqual([
          a.id,
          b.id,
          'jti-c',
          c.id,
        ]);
        expect(all[2]).toMatchObject({
          kind: 'jti',
          jti: 'jti-c',
          expiresAt: T0 + 900,
          at: T0 + 4,
        });
        const ids = all.map((r) => r.id);
        expect(
          (await store.listRevocations({ afterId: ids[1] as number, since: T0, limit: 100 })).map(
            (r) => r.id,
          ),
        ).toEqual(ids.slice(2));
        expect(await store.listRevocations({ afterId: 0, since: T0 + 4, limit: 100 })).toHaveLength(
          2,
        );
        expect(await store.listRevocations({ afterId: 0, since: T0, limit: 1 })).toHaveLength(1);
        const web = await store.listRevocations({
          afterId: 0,
          since: T0,
          clientIds: ['web'],
          limit: 100,
        });
        expect(web.map((r) => r.id)).toEqual([ids[0], ids[2], ids[3]]);
        expect(
          await store.listRevocations({ afterId: 0, since: T0, clientIds: [], limit: 100 }),
        ).toEqual([]);
        // Once its token expired and its row was swept, an access-token revocation is dropped.
        await store.sweep({
          sessionsEndedBefore: 0,
          accessTokensExpiredBefore: T0 + 901,
          eventsBefore: 0,
          keysRetiredBefore: 0,
          limit: 100,
        });
        expect(
          (await store.listRevocations({ afterId: 0, since: T0, limit: 100 })).map((r) => r.kind),
        ).toEqual(['session', 'session', 'session']);
      });
    });

    describe('signing keys', () => {
      it('adds the first key only once, and rotation retires the active key', async () => {
        expect(await store.addFirstKey(key('k1', T0))).toBe(true);
        expect(await store.addFirstKey(key('k-late', T0 + 1))).toBe(false);
        await store.rotateKey(key('k2', T0 + 50));
        const keys = await store.listKeys();
        expect(keys.map((k) => [k.kid, k.retiredAt])).toEqual([
          ['k2', null],
          ['k1', T0 + 50],
        ]);
        expect(keys[0]).toEqual(key('k2', T0 + 50));
      });
    });

    describe('events', () => {
      it('appends with increasing ids and filters by type, time and id', async () => {
        await store.appendEvent(event('refresh.failed', T0));
        await store.appendEvent(event('refresh_token.reused', T0 + 5, 'ses_x'));
        await store.appendEvent(event('refresh.failed', T0 + 10));
        const all = await store.listEvents({ limit: 10 });
        expect(all.map((e) => e.at)).toEqual([T0, T0 + 5, T0 + 10]);
        expect(all[1]).toEqual({
          ...event('refresh_token.reused', T0 + 5, 'ses_x'),
          id: all[1]?.id,
        });
        const ids = all.map((e) => e.id);
        expect([...ids].sort((a, b) => a - b)).toEqual(ids);
        expect(new Set(ids).size).toBe(3);
        expect((await store.listEvents({ type: 'refresh.failed', limit: 10 })).length).toBe(2);
        expect((await store.listEvents({ since: T0 + 5, limit: 10 })).length).toBe(2);
        expect(
          (await store.listEvents({ afterId: ids[1] as number, limit: 10 })).map((e) => e.at),
        ).toEqual([T0 + 10]);
        expect((await store.listEvents({ limit: 1 })).length).toBe(1);
      });
    });

    describe('sweep', () => {
      it('removes ended sessions with their tokens, old events and long-retired keys, and nothing else', async () => {
        const live = session({ expiresAt: T0 + 5000, idleTtl: 5000 });
        const expired = session({ expiresAt: T0 + 10 });
        const idle = session({ idleTtl: 20 });
        const revoked = session({ revokedAt: T0 + 30, revokeReason: 'admin' });
        for (const s of [live, expired, idle, revoked]) await store.createSession(s, token(s));
        await store.appendEvent(event('refresh.failed', T0));
        await store.appendEvent(event('refresh.failed', T0 + 100));
        await store.addFirstKey(key('old', T0));
        await store.rotateKey(key('new', T0 + 10));

        const result = await store.sweep({
          sessionsEndedBefore: T0 + 50,
          accessTokensExpiredBefore: T0,
          eventsBefore: T0 + 50,
          keysRetiredBefore: T0 + 50,
          limit: 100,
        });
        expect(result).toEqual({ sessions: 3, revokedAccessTokens: 0, events: 1, keys: 1 });
        expect(await store.getSession(live.id)).toBeDefined();
        for (const gone of [expired, idle, revoked]) {
          expect(await store.getSession(gone.id)).toBeUndefined();
          expect(await store.findRefreshToken(gone.id, token(gone).hash)).toBeUndefined();
        }
        expect(await store.findRefreshToken(live.id, token(live).hash)).toBeDefined();
        expect((await store.listKeys()).map((k) => k.kid)).toEqual(['new']);
        expect((await store.listEvents({ limit: 10 })).map((e) => e.at)).toEqual([T0 + 100]);
      });

      it('counts a refresh as activity: a rotated session is not swept as idle', async () => {
        const s = session({ idleTtl: 20 });
        await store.createSession(s, token(s));
        await store.rotate({
          sessionId: s.id,
          fromGeneration: 0,
          toGeneration: 1,
          at: T0 + 15,
          retryBox: Uint8Array.of(1),
          atMs: (T0 + 1) * 1000,
          accessHash: hashOf('access'),
          tokens: { kind: 'rotate', next: token(s, 1) },
        });
        const cutoffs = {
          accessTokensExpiredBefore: 0,
          eventsBefore: 0,
          keysRetiredBefore: 0,
          limit: 100,
        };
        expect((await store.sweep({ ...cutoffs, sessionsEndedBefore: T0 + 30 })).sessions).toBe(0);
        expect((await store.sweep({ ...cutoffs, sessionsEndedBefore: T0 + 36 })).sessions).toBe(1);
      });

      it('stops at the batch limit', async () => {
        for (let i = 0; i < 5; i++) {
          const s = session({ expiresAt: T0 + 1 });
          await store.createSession(s, token(s));
        }
        const cutoffs = {
          sessionsEndedBefore: T0 + 10,
          accessTokensExpiredBefore: 0,
          eventsBefore: 0,
          keysRetiredBefore: 0,
        };
        expect((await store.sweep({ ...cutoffs, limit: 2 })).sessions).toBe(2);
        expect((await store.sweep({ ...cutoffs, limit: 10 })).sessions).toBe(3);
      });
    });

    it('rejects operations after close with ERR_STORE_UNAVAILABLE', async () => {
      const other = await factory.open();
      await other.close();
      const error = await other.getSession('x').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isBatonError(error, 'ERR_STORE_UNAVAILABLE')).toBe(true);
    });
  });
}
