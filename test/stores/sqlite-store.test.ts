import { renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { loadSqliteMigrations, migrateSqlite } from '../../src/stores/sqlite/sqlite-migrations.js';
import { createTempDirs } from '../helpers/temp-dir.js';
import { describeStoreConformance } from './conformance.js';
import {
  expectLegacyTokensServed,
  LEGACY_SESSIONS,
  LEGACY_TOKENS,
  sweepLegacySessions,
} from './token-migration.js';

const dirs = createTempDirs();

describeStoreConformance('sqlite', {
  open: () => createSqliteStore({ path: join(dirs.make(), 'baton.db') }),
  cleanup: () => dirs.cleanup(),
});

describe('sqlite store on disk', () => {
  afterEach(() => dirs.cleanup());

  it('counts live sessions exactly across many stretches, yielding to the event loop between them', async () => {
    const path = join(dirs.make(), 'baton.db');
    const store = createSqliteStore({ path, backgroundCheckpoints: false });
    const now = 1_000_000;
    // 12,345 sessions written straight into the schema: every 7th revoked, every 11th past its
    // absolute end, every 13th idle; the rest live. Several stretches of the count, one partial.
    const db = new Database(path);
    db.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12345)
       INSERT INTO sessions (id, subject, client_id, scope, claims, created_at, expires_at, idle_ttl,
         access_ttl, rotate, last_active_at, generation, revoked_at, ends_at)
       SELECT 'ses_' || printf('%022d', i), 'user-' || i, 'default', '', '{}', 0,
         CASE WHEN i % 11 = 0 THEN @now ELSE @now + 100 END, 100, 60, 1,
         CASE WHEN i % 13 = 0 THEN @now - 100 ELSE @now END, 0,
         CASE WHEN i % 7 = 0 THEN 1 ELSE NULL END, @now + 100
       FROM n`,
    ).run({ now });
    db.close();
    let live = 0;
    for (let i = 1; i <= 12_345; i++) if (i % 7 !== 0 && i % 11 !== 0 && i % 13 !== 0) live++;

    // Counts the event loop's turns while the count runs.
    let turns = 0;
    let counting = true;
    const tick = (): void => {
      turns++;
      if (counting) setImmediate(tick);
    };
    setImmediate(tick);
    try {
      expect(await store.countLiveSessions(now)).toBe(live);
    } finally {
      counting = false;
    }
    // Other work ran between the stretches: the count did not hold the event loop throughout.
    expect(turns).toBeGreaterThanOrEqual(2);
    expect(await store.countLiveSessions(now + 1_000)).toBe(0);
    await store.close();
  });

  it('keeps its data across a reopen of the same file', async () => {
    const path = join(dirs.make(), 'baton.db');
    const first = createSqliteStore({ path });
    await first.initMeta('k', 'v');
    await first.close();
    const second = createSqliteStore({ path });
    expect(await second.getMeta('k')).toBe('v');
    await second.close();
  });

  it('runs in WAL mode with the checkpoint thread owning checkpoints', async () => {
    const path = join(dirs.make(), 'baton.db');
    const store = createSqliteStore({ path });
    const probe = new Database(path, { readonly: true });
    expect(probe.pragma('journal_mode', { simple: true })).toBe('wal');
    probe.close();
    await store.close();
  });

  it('applies migrations once, records them, and refuses a schema newer than itself', () => {
    const db = new Database(':memory:');
    const migrations = loadSqliteMigrations();
    expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1));
    expect(migrateSqlite(db)).toEqual(migrations.map((m) => m.version));
    expect(migrateSqlite(db)).toEqual([]);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, ?, 0)').run(
      'future',
    );
    expect(() => migrateSqlite(db)).toThrow(/newer than this Baton/);
    db.close();
  });

  it('serves the refresh tokens of a database from before version 6, and sweeps them', async () => {
    const path = join(dirs.make(), 'baton.db');
    const db = new Database(path);
    migrateSqlite(
      db,
      loadSqliteMigrations().filter((m) => m.version < 6),
    );
    const session = db.prepare(
      `INSERT INTO sessions (id, subject, client_id, scope, claims, created_at, expires_at, idle_ttl,
         access_ttl, rotate, last_active_at, generation, ends_at)
       VALUES (?, 'alice', 'default', '', '{}', 1000, 999999, 999999, 900, ?, 1005, ?, 999999)`,
    );
    for (const s of LEGACY_SESSIONS) session.run(s.id, s.rotate ? 1 : 0, s.generation);
    const token = db.prepare(
      'INSERT INTO refresh_tokens (session_id, hash, generation, created_at) VALUES (?, ?, ?, ?)',
    );
    for (const t of LEGACY_TOKENS)
      token.run(t.sessionId, Buffer.alloc(32, t.hash), t.generation, t.createdAt);
    db.close();

    const store = createSqliteStore({ path });
    try {
      await expectLegacyTokensServed(store);
      await sweepLegacySessions(store);
    } finally {
      await store.close();
    }
    const check = new Database(path, { readonly: true });
    expect(check.prepare('SELECT count(*) AS n FROM refresh_tokens').get()).toEqual({ n: 0 });
    check.close();
  });

  it('fails every operation once its database file is deleted, and is not ready', async () => {
    const dir = dirs.make();
    const store = createSqliteStore({ path: join(dir, 'baton.db') });
    await store.ping();
    await store.initMeta('k', 'v');
    rmSync(dir, { recursive: true, force: true });
    const unavailable = expect.objectContaining({
      code: 'ERR_STORE_UNAVAILABLE',
      detail: expect.stringMatching(/deleted or replaced/) as unknown,
    });
    await expect(store.ping()).rejects.toEqual(unavailable);
    // SQLite would go on writing to the unlinked file; the store refuses instead.
    await expect(store.setMeta('k', 'w')).rejects.toEqual(unavailable);
    await expect(store.getMeta('k')).rejects.toEqual(unavailable);
    await store.close();
  });

  it('is not ready when a new file replaced the one it opened', async () => {
    const dir = dirs.make();
    const path = join(dir, 'baton.db');
    const store = createSqliteStore({ path });
    renameSync(path, join(dir, 'moved.db'));
    new Database(path).close();
    await expect(store.ping()).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
    await store.close();
  });

  it('reports a database it cannot open as ERR_STORE_UNAVAILABLE', () => {
    expect(() => createSqliteStore({ path: '/nonexistent-dir/baton.db' })).toThrow(
      expect.objectContaining({ code: 'ERR_STORE_UNAVAILABLE' }),
    );
  });
});
