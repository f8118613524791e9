import { BatonError, type Store } from '../core/index.js';
import { createMemoryStore } from './memory/memory-store.js';
import { migratePostgresUrl } from './postgres/postgres-migrations.js';
import { createPostgresStore } from './postgres/postgres-store.js';
import { migrateSqliteFile } from './sqlite/sqlite-migrations.js';
import { createSqliteStore } from './sqlite/sqlite-store.js';

// Opening and migrating the store a `BATON_STORE` value names: the one place the CLI reaches the
// database drivers through.

/** Where state lives, as `BATON_STORE` says (parsed and validated by the CLI). */
export type StoreLocation =
  | { kind: 'memory' }
  | { kind: 'sqlite'; path: string; synchronous: 'normal' | 'full' }
  | { kind: 'postgres'; connectionString: string; schema?: string; poolSize: number };

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
  if (location.kind === 'sqlite') return migrateSqliteFile(location.path);
  try {
    return await migratePostgresUrl(location.connectionString, location.schema);
  } catch (error) {
    throw cannotOpenPostgres(location.connectionString, error);
  }
}
