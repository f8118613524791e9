import { renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { loadSqliteMigrations, migrateSqlite } from '../../src/stores/sqlite/sqlite-migrations.js';
import { createTempDirs } from '../helpers/temp-dir.js';
import { describeStoreConformance } from './conformance.js';

const dirs = createTempDirs();

describeStoreConformance('sqlite', {
  open: () => createSqliteStore({ path: join(dirs.make(), 'baton.db') }),
  cleanup: () => dirs.cleanup(),
});

describe('sqlite store on disk', () => {
  afterEach(() => dirs.cleanup());

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
