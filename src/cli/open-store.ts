import Database from 'better-sqlite3';
import { BatonError } from '../core/errors.js';
import type { Store } from '../core/store.js';
import { createMemoryStore } from '../stores/memory/memory-store.js';
import { migrateSqlite } from '../stores/sqlite/sqlite-migrations.js';
import { createSqliteStore } from '../stores/sqlite/sqlite-store.js';
import { ConfigError } from './config.js';

/** A parsed `BATON_STORE` value. */
export type StoreLocation =
  { kind: 'memory' } | { kind: 'sqlite'; path: string; synchronous: 'normal' | 'full' };

/**
 * Parses `BATON_STORE`: `memory:`, `sqlite:<path>` (optionally `?synchronous=full`). PostgreSQL
 * URLs are recognised and refused until the PostgreSQL store lands.
 */
export function parseStoreLocation(value: string): StoreLocation {
  if (value === 'memory:' || value === 'memory') return { kind: 'memory' };
  if (value.startsWith('sqlite:')) {
    const [rawPath = '', query = ''] = value.slice('sqlite:'.length).split('?', 2);
    const path = rawPath.startsWith('//') ? rawPath.slice(2) : rawPath;
    if (path === '')
      throw new ConfigError('BATON_STORE: sqlite: needs a file path, e.g. sqlite:./baton.db');
    const params = new URLSearchParams(query);
    for (const key of params.keys()) {
      if (key !== 'synchronous')
        throw new ConfigError(`BATON_STORE: unknown sqlite option ${JSON.stringify(key)}`);
    }
    const synchronous = params.get('synchronous') ?? 'normal';
    if (synchronous !== 'normal' && synchronous !== 'full') {
      throw new ConfigError('BATON_STORE: synchronous must be normal or full');
    }
    return { kind: 'sqlite', path, synchronous };
  }
  if (/^postgres(ql)?:\/\//.test(value)) {
    throw new ConfigError(
      'BATON_STORE: the PostgreSQL store is not available in this version; use sqlite: or memory:',
    );
  }
  throw new ConfigError(
    `BATON_STORE must be memory:, sqlite:<path> or postgres://… (got ${JSON.stringify(value.slice(0, 40))})`,
  );
}

/**
 * Opens the store; a long-running server checkpoints SQLite on a background thread. A store that
 * cannot be opened is reported with its location and the database's reason, in one line.
 */
export function openStore(location: StoreLocation, longRunning: boolean): Store {
  if (location.kind === 'memory') return createMemoryStore();
  try {
    return createSqliteStore({
      path: location.path,
      synchronous: location.synchronous,
      backgroundCheckpoints: longRunning,
    });
  } catch (error) {
    const reason = error instanceof BatonError ? (error.detail ?? error.message) : String(error);
    throw new BatonError(
      'ERR_STORE_UNAVAILABLE',
      `cannot open the SQLite store ${location.path} (${reason})`,
      {
        cause: error,
      },
    );
  }
}

/** Applies pending migrations; returns the versions applied and the current version. */
export function migrateStore(location: StoreLocation): { applied: number[]; version: number } {
  if (location.kind === 'memory') return { applied: [], version: 0 };
  const db = new Database(location.path);
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
