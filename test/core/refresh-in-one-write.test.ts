import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/core/clock.js';
import { createSessionShapes } from '../../src/core/session-shapes.js';
import type { Store } from '../../src/core/store.js';
import type { TokenService, TokenServiceOptions } from '../../src/core/token-service.js';
import { createSqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { createTestService, rejectionCode } from '../helpers/service.js';
import { createTempDirs } from '../helpers/temp-dir.js';

// A refresh of a session this instance started or refreshed mints first and settles in the
// rotation's one compare-and-set write, without reading the token first. These tests hold that
// path to the refresh rules: whatever the write cannot vouch for is decided by a read of the
// store, as before, with the same answers.

const dirs = createTempDirs();

/** The store, counting the calls made to each of its operations (the store itself is real). */
function counted(store: Store): { store: Store; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const proxy = new Proxy(store, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver);
      if (typeof value !== 'function' || typeof name !== 'string') return value;
      return (...args: unknown[]) => {
        calls.set(name, (calls.get(name) ?? 0) + 1);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: proxy, calls };
}

describe('a refresh in one store write', () => {
  let path: string;
  let store: Store;
  let calls: Map<string, number>;
  let service: TokenService;
  let clock: ManualClock;
  const opened: Store[] = [];

  async function start(options: Partial<TokenServiceOptions> = {}): Promise<TokenService> {
    const base = createSqliteStore({ path });
    opened.push(base);
    ({ store, calls } = counted(base));
    ({ service, clock } = await createTestService({ store, ...options }));
    return service;
  }

  beforeEach(async () => {
    path = join(dirs.make(), 'baton.db');
    await start();
  });
  afterEach(async () => {
    for (const each of opened.splice(0)) await each.close();
    dirs.cleanup();
  });

  it('rotates a session started here without reading its token, then each next one too', async () => {
    const issued = await service.issueSession({ subject: 'alice', scope: 'read' });
    calls.clear();
    let token = issued.refreshToken;
    for (let i = 1; i <= 3; i++) {
      const next = await service.refresh({ refreshToken: token });
      expect(next.tokens.generation).toBe(i);
      expect(next.tokens.scope).toBe('read');
      token = next.tokens.refreshToken as string;
    }
    expect(calls.get('findRefreshToken')).toBeUndefined();
    expect(calls.get('getSession')).toBeUndefined();
    expect(calls.get('rotate')).toBe(3);
  });

  it('answers a retry inside the grace with the same bytes, read from the store', async () => {
    const issued = await service.issueSession({ subject: 'alice' });
    const first = await service.refresh({ refreshToken: issued.refreshToken });
    const retry = await service.refresh({ refreshToken: issued.refreshToken });
    expect(retry.replayed).toBe(true);
    expect(retry.tokens).toEqual(first.tokens);
    expect(calls.get('rotate')).toBe(2); // the write that changed nothing, then none
  });

  it('gives one winner among concurrent refreshes of one token, the others its answer', async () => {
    const issued = await service.issueSession({ subject: 'alice' });
    const results = await Promise.all(
      Array.from({ length: 8 }, () => service.refresh({ refreshToken: issued.refreshToken })),
    );
    expect(results.filter((result) => !result.replayed)).toHaveLength(1);
    const tokens = new Set(results.map((result) => result.tokens.refreshToken));
    expect(tokens.size).toBe(1);
    expect(results.every((result) => result.tokens.generation === 1)).toBe(true);
  });

  it('detects reuse after the grace, and the holder of the newer token is then refused', async () => {
    const issued = await service.issueSession({ subject: 'alice' });
    const next = await service.refresh({ refreshToken: issued.refreshToken });
    clock.advance(11);
    expect(await rejectionCode(service.refresh({ refreshToken: issued.refreshToken }))).toBe(
      'ERR_REFRESH_TOKEN_REUSED',
    );
    calls.clear();
    expect(
      await rejectionCode(service.refresh({ refreshToken: next.tokens.refreshToken as string })),
    ).toBe('ERR_SESSION_REVOKED');
    // The session's shape was dropped with its first failure: no token was minted for it again.
    expect(calls.get('rotate')).toBeUndefined();
  });

  it('refuses the current token of a revoked, idle or expired session as before', async () => {
    const revoked = await service.issueSession({ subject: 'alice' });
    await service.revokeSession(revoked.sessionId, 'admin');
    expect(await rejectionCode(service.refresh({ refreshToken: revoked.refreshToken }))).toBe(
      'ERR_SESSION_REVOKED',
    );

    await start({ idleTtl: 60, refreshTtl: 3600 });
    const idle = await service.issueSession({ subject: 'bob' });
    clock.advance(60);
    expect(await rejectionCode(service.refresh({ refreshToken: idle.refreshToken }))).toBe(
      'ERR_SESSION_IDLE',
    );

    await start({ idleTtl: 600, refreshTtl: 600 });
    const expired = await service.issueSession({ subject: 'carol' });
    clock.advance(599);
    const last = await service.refresh({ refreshToken: expired.refreshToken });
    clock.advance(1);
    expect(
      await rejectionCode(service.refresh({ refreshToken: last.tokens.refreshToken as string })),
    ).toBe('ERR_SESSION_EXPIRED');
  });

  it('reads the store for a session started by another instance, then takes one write', async () => {
    const issued = await service.issueSession({ subject: 'alice' });
    const other = await start();
    const first = await other.refresh({ refreshToken: issued.refreshToken });
    expect(calls.get('findRefreshToken')).toBe(1);
    calls.clear();
    await other.refresh({ refreshToken: first.tokens.refreshToken as string });
    expect(calls.get('findRefreshToken')).toBeUndefined();
    expect(calls.get('rotate')).toBe(1);
  });

  it('reads the store first for a narrower scope, and refuses a wider one', async () => {
    const issued = await service.issueSession({ subject: 'alice', scope: 'read write' });
    const narrow = await service.refresh({ refreshToken: issued.refreshToken, scope: 'read' });
    expect(narrow.tokens.scope).toBe('read');
    expect(calls.get('findRefreshToken')).toBe(1);
    expect(
      await rejectionCode(
        service.refresh({ refreshToken: narrow.tokens.refreshToken as string, scope: 'admin' }),
      ),
    ).toBe('ERR_INVALID_SCOPE');
  });
});

describe('session shapes', () => {
  it('keep the most recently used, at most their bound', () => {
    const shapes = createSessionShapes(2);
    const shape = (id: string) => ({
      id,
      subject: 's',
      clientId: 'default',
      scope: '',
      claims: {},
      createdAt: 0,
      expiresAt: 1,
      idleTtl: 1,
      accessTtl: 1,
      rotate: true,
    });
    shapes.remember(shape('a'));
    shapes.remember(shape('b'));
    expect(shapes.get('a')?.id).toBe('a'); // a is now the most recent
    shapes.remember(shape('c'));
    expect(shapes.get('b')).toBeUndefined();
    expect(shapes.get('a')?.id).toBe('a');
    expect(shapes.size).toBe(2);
    shapes.forget('a');
    expect(shapes.get('a')).toBeUndefined();
  });

  it('copy only the fixed parts of a session record', () => {
    const shapes = createSessionShapes();
    const record = {
      id: 'x',
      subject: 's',
      clientId: 'default',
      scope: 'read',
      claims: { tenant: 't' },
      createdAt: 0,
      expiresAt: 10,
      idleTtl: 5,
      accessTtl: 1,
      rotate: true,
      generation: 7,
      lastActiveAt: 3,
      revokedAt: null,
    };
    shapes.remember(record);
    expect(shapes.get('x')).not.toHaveProperty('generation');
    expect(shapes.get('x')).not.toHaveProperty('lastActiveAt');
  });
});
