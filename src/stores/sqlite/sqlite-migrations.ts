import { readdirSync, readFileSync } from 'node:fs';
import type { Database } from 'better-sqlite3';

/** A numbered schema change. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);

/** The migrations shipped with this store, in order (`NNN_name.sql`). */
export function loadSqliteMigrations(): Migration[] {
  return readdirSync(MIGRATIONS_DIR)
    .filter((file) => /^\d{3}_[a-z0-9_]+\.sql$/.test(file))
    .sort()
    .map((file) => ({
      version: Number(file.slice(0, 3)),
      name: file.slice(4, -4),
      sql: readFileSync(new URL(file, MIGRATIONS_DIR), 'utf8'),
    }));
}

/**
 * Applies pending migrations, forward only. The whole run is one IMMEDIATE transaction, so
 * processes starting together take turns (SQLite's write lock is the migration lock) and a crash
 * leaves the schema at the previous version. Returns the versions applied.
 */
export function migrateSqlite(
  db: Database,
  migrations: Migration[] = loadSqliteMigrations(),
): number[] {
  const run = db.transaction(() => {
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT`);
    const applied = new Set(
      (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map(
        (row) => row.version,
      ),
    );
    const newest = Math.max(0, ...applied);
    const known = Math.max(0, ...migrations.map((migration) => migration.version));
    if (newest > known) {
      throw new Error(
        `the database schema (version ${newest}) is newer than this Baton (version ${known})`,
      );
    }
    const pending = migrations.filter((migration) => !applied.has(migration.version));
    const record = db.prepare(
      'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
    );
    for (const migration of pending) {
      db.exec(migration.sql);
      record.run(migration.version, migration.name, Math.floor(Date.now() / 1000));
    }
    return pending.map((migration) => migration.version);
  });
  return run.immediate();
}
