import pg from 'pg';
import { migratePostgres } from '../../src/stores/postgres/postgres-migrations.js';
import { ACCESS_TTL, IDLE_TTL } from './synthetic-sessions.js';
import type { BulkLoad } from './load-sqlite.js';

// One statement per batch (as the store's createSession does for one): the varying columns travel
// as arrays that unnest() turns into rows; the columns every synthetic session shares are
// constants of the statement.
const INSERT_BATCH = `INSERT INTO sessions (id, subject, client_id, scope, claims, created_at, expires_at,
    idle_ttl, access_ttl, rotate, last_active_at, generation, rotated_at_ms, retry_box, revoked_at,
    revoke_reason, ends_at, access_hash, token_hash, token_generation, token_created_at)
  SELECT u.id, u.subject, 'default', '', '{}', $5, $6, ${IDLE_TTL}, ${ACCESS_TTL}, true, $7, 0,
    $9::bigint, $10::bytea, NULL, NULL, $8, u.access_hash, u.hash, 0, $5
  FROM unnest($1::text[], $2::text[], $3::bytea[], $4::bytea[]) AS u(id, subject, access_hash, hash)`;

/**
 * Writes sessions into the (migrated) schema `client` works in, each with its current refresh
 * token, `load.batch` sessions per INSERT … SELECT FROM unnest(…) (one transaction each). The
 * next batch is computed while PostgreSQL writes the previous one.
 */
export async function loadPostgres(client: pg.ClientBase, load: BulkLoad): Promise<void> {
  const { times } = load;
  const end = load.from + load.count;
  let previous: Promise<unknown> | undefined;
  for (let from = load.from; from < end; from += load.batch) {
    const to = Math.min(end, from + load.batch);
    const ids: string[] = [];
    const subjects: string[] = [];
    const accessHashes: Buffer[] = [];
    const hashes: Buffer[] = [];
    for (let index = from; index < to; index++) {
      const session = load.make(index);
      ids.push(session.id);
      subjects.push(session.subject);
      accessHashes.push(session.accessHash);
      hashes.push(session.tokenHash);
    }
    await previous;
    // Sent at once: PostgreSQL writes this batch while the next one is computed.
    previous = client
      .query(INSERT_BATCH, [
        ids,
        subjects,
        accessHashes,
        hashes,
        times.createdAt,
        times.expiresAt,
        times.lastActiveAt,
        times.endsAt,
        load.retryBox === null ? null : times.createdAt * 1000,
        load.retryBox,
      ])
      .then(() => load.progress?.(to - load.from));
    // A failed batch is reported by the next await; keep it from counting as unhandled meanwhile.
    previous.catch(() => {});
  }
  await previous;
}

/**
 * A pool of one connection working in `schema` of the database at `url`, the schema created and
 * migrated with the store's own migrations.
 */
export async function openMigratedSchema(url: string, schema: string): Promise<pg.Pool> {
  const pool = new pg.Pool({ connectionString: url, max: 1, options: `-c search_path=${schema}` });
  pool.on('error', () => {});
  try {
    await migratePostgres(pool, schema);
  } catch (error) {
    await pool.end();
    throw error;
  }
  return pool;
}
