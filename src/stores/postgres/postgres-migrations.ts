import pg, { type Pool } from 'pg';
import { loadMigrationFiles, pendingMigrations, type Migration } from '../migration-files.js';

const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);

// Any constant will do: it names the one lock every Baton instance takes to migrate.
const MIGRATION_LOCK = 7_303_845_161;

/** `name` as a quoted SQL identifier. */
export const quoteIdentifier = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** The migrations shipped with this store, in order (`NNN_name.sql`). */
export function loadPostgresMigrations(): Migration[] {
  return loadMigrationFiles(MIGRATIONS_DIR);
}

/**
 * Applies pending migrations (creating `schema` first if given), forward only, in one transaction
 * under an advisory lock: instances starting together take turns, the later ones find nothing
 * left to do, and a failure leaves the schema at its previous version. Returns the versions
 * applied and the version now.
 */
export async function migratePostgres(
  pool: Pool,
  schema?: string,
  migrations: Migration[] = loadPostgresMigrations(),
): Promise<{ applied: number[]; version: number }> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    // Under the lock: concurrent CREATE SCHEMA IF NOT EXISTS can still collide.
    if (schema !== undefined)
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)`);
    const { rows } = await client.query<{ version: number }>(
      'SELECT version FROM schema_migrations',
    );
    const applied = new Set(rows.map((row) => row.version));
    const pending = pendingMigrations(migrations, applied);
    for (const migration of pending) {
      await client.query(migration.sql);
      await client.query(
        'INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)',
        [migration.version, migration.name, Math.floor(Date.now() / 1000)],
      );
    }
    await client.query('COMMIT');
    return {
      applied: pending.map((migration) => migration.version),
      version: Math.max(0, ...applied, ...pending.map((migration) => migration.version)),
    };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/** `baton migrate` on PostgreSQL: one connection, the migrations, and it is closed again. */
export async function migratePostgresUrl(
  connectionString: string,
  schema?: string,
): Promise<{ applied: number[]; version: number }> {
  const pool = new pg.Pool({
    connectionString,
    max: 1,
    connectionTimeoutMillis: 5000,
    ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
  });
  pool.on('error', () => {});
  try {
    return await migratePostgres(pool, schema);
  } finally {
    await pool.end();
  }
}
