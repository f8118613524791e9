import Database from 'better-sqlite3';
import { BatonError } from '../core/errors.js';
import type { Store } from '../core/store.js';
import pg from 'pg';
import { createMemoryStore } from '../stores/memory/memory-store.js';
import { migratePostgres } from '../stores/postgres/postgres-migrations.js';
import { createPostgresStore } from '../stores/postgres/postgres-store.js';
import { migrateSqlite } from '../stores/sqlite/sqlite-migrations.js';
import { createSqliteStore } from '../stores/sqlite/sqlite-store.js';
import { ConfigError } from './config.js';

/** A parsed `BATON_STORE` value. */
export type StoreLocation =
  | { kind: 'memory' }
  | { kind: 'sqlite'; path: string; synchronous: 'normal' | 'full' }
  | { kind: 'postgres'; connectionString: string; schema?: string; poolSize: number };

/** Baton's own query parameters of a PostgreSQL URL; the others go to the driver. */
const POSTGRES_OPTIONS = ['schema', 'pool'];

function parsePostgres(value: string): StoreLocation {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError('BATON_STORE: not a valid postgres:// URL');
  }
  const schema = url.searchParams.get('schema') ?? undefined;
  if (schema !== undefined && !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
    throw new ConfigError(
      'BATON_STORE: schema must be 1-63 letters, digits or _ and start with a letter or _',
    );
  }
  const pool = url.searchParams.get('pool') ?? '10';
  if (!/^\d+$/.test(pool) || Number(pool) < 1 || Number(pool) > 1000)
    throw new ConfigError('BATON_STORE: pool must be an integer from 1 to 1000');
  for (const name of POSTGRES_OPTIONS) url.searchParams.delete(name);
  return {
    kind: 'postgres',
    connectionString: url.toString(),
    ...(schema === undefined ? {} : { schema }),
    poolSize: Number(pool),
  };
}

/**
 * Parses `BATON_STORE`: `memory:`, `sqlite:<path>` (optionally `?synchronous=full`), or
 * `postgres://user@host:port/db` (optionally `?schema=name&pool=n`, plus any driver option).
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
  if (/^postgres(ql)?:\/\//.test(value)) return parsePostgres(value);
  throw new ConfigError(
    `BATON_STORE must be memory:, sqlite:<path> or postgres://… (got ${JSON.stringify(value.slice(0, 40))})`,
  );
}

/** A PostgreSQL URL without its password, for messages. */
function redactedUrl(connectionString: string): string {
  const url = new URL(connectionString);
  if (url.password !== '') url.password = '***';
  return url.toString();
}

/** The one-line error of a PostgreSQL store that cannot be opened or migrated. */
function cannotOpenPostgres(connectionString: string, error: unknown): BatonError {
  const code = (error as { code?: unknown }).code;
  const reason =
    error instanceof BatonError
      ? (error.detail ?? error.message)
      : typeof code === 'string'
        ? code
        : error instanceof Error
          ? error.message
          : String(error);
  return new BatonError(
    'ERR_STORE_UNAVAILABLE',
    `cannot open the PostgreSQL store ${redactedUrl(connectionString)} (${reason})`,
    { cause: error },
  );
}

/**
 * Opens the store (applying pending migrations); a long-running server checkpoints SQLite on a
 * background thread. `onConnectionError` hears of PostgreSQL connections lost while idle. A store that cannot be opened is reported with its location and the
 * database's reason, in one line.
 */
export async function openStore(
  location: StoreLocation,
  longRunning: boolean,
  onConnectionError?: (error: Error) => void,
): Promise<Store> {
  if (location.kind === 'memory') return createMemoryStore();
  if (location.kind === 'postgres') {
    try {
      return await createPostgresStore({
        connectionString: location.connectionString,
        schema: location.schema,
        poolSize: location.poolSize,
        onIdleError: onConnectionError,
      });
    } catch (error) {
      throw cannotOpenPostgres(location.connectionString, error);
    }
  }
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
export async function migrateStore(
  location: StoreLocation,
): Promise<{ applied: number[]; version: number }> {
  if (location.kind === 'memory') return { applied: [], version: 0 };
  if (location.kind === 'postgres') {
    const pool = new pg.Pool({
      connectionString: location.connectionString,
      max: 1,
      connectionTimeoutMillis: 5000,
      ...(location.schema === undefined ? {} : { options: `-c search_path=${location.schema}` }),
    });
    pool.on('error', () => {});
    try {
      return await migratePostgres(pool, location.schema);
    } catch (error) {
      throw cannotOpenPostgres(location.connectionString, error);
    } finally {
      await pool.end();
    }
  }
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
