import Database from 'better-sqlite3';
import { loadMigrationFiles, pendingMigrations, type Migration } from '../migration-files.js';

const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);

/** The migrations shipped with this store, in order (`NNN_name.sql`). */
export function loadSqliteMigrations(): Migration[] {
  return loadMigrationFiles(MIGRATIONS_DIR);
}

/**
 * Applies pending migrations, forward only. The whole run is one IMMEDIATE transaction, so
 * processes starting together take turns (SQLite's write lock is the migration lock) and a crash
 * leaves the schema at the previous version. Returns the versions applied.
 */
export function migrateSqlite(
  db: Database.Database,
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
    const pending = pendingMigrations(migrations, applied);
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

/** `baton migrate` on a SQLite file: applies pending migrations; returns them and the version. */
export function migrateSqliteFile(path: string): { applied: number[]; version: number } {
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    const applied = migrateSqlite(db);
    const row = db.prepare('SELECT MAX(version) AS version FROM schema_migrations').get() as {
      version: number;
    };
    return { applied, version: row.version };
  } finally {
    db.close();
  }
}
