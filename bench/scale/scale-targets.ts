import Database from 'better-sqlite3';
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdtempSync,
  openSync,
  rmSync,
  statfsSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import pg from 'pg';
import type { Store } from '../../src/core/store.js';
import { createPostgresStore } from '../../src/stores/postgres/postgres-store.js';
import { createSqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { openBenchDatabase } from '../postgres.js';
import { loadPostgres, openMigratedSchema } from './load-postgres.js';
import { loadSqlite, type BulkLoad } from './load-sqlite.js';

/** The database of one store and size: loaded, served, measured at rest and swept. */
export interface ScaleTarget {
  /** `BATON_STORE` for the server child. */
  storeUrl: string;
  /** Bulk-loads sessions (the schema is migrated before the first load). */
  load(load: BulkLoad): Promise<void>;
  /**
   * After the load: its writes flushed to disk (fsync of the SQLite file, PostgreSQL's CHECKPOINT),
   * so that the measured refreshes do not share the disk with the load's write-back, and
   * PostgreSQL's ANALYZE (what autovacuum would soon do).
   */
  settle(): Promise<void>;
  /** Bytes the store's data takes on disk, with the parts it is made of. */
  bytesAtRest(): Promise<{ bytes: number; parts: Record<string, number> }>;
  /** How many sessions hold a retry box (the sealed answer of their last refresh), and its mean size. */
  retryBoxes(): Promise<{ count: number; meanBytes: number }>;
  /** The store itself (migrations applied already), for the sweep. */
  openStore(): Promise<Store>;
  close(): Promise<void>;
}

/** Directories of SQLite targets not removed yet ({@link removeScaleDirs} removes them). */
const dirs = new Set<string>();

/** Removes every SQLite target's directory left behind (synchronous, for an `exit` handler). */
export function removeScaleDirs(): void {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

/**
 * Free bytes of the file system that holds `path` (statfs), asking its nearest readable parent
 * when the path itself cannot be read (PostgreSQL's data directory belongs to its own user).
 */
export function freeBytes(path: string): number | undefined {
  for (let at = resolve(path); ; at = dirname(at)) {
    try {
      const stats = statfsSync(at);
      return stats.bavail * stats.bsize;
    } catch {
      if (dirname(at) === at) return undefined;
    }
  }
}

const sizeOf = (path: string): number => (existsSync(path) ? statSync(path).size : 0);

/** A fresh SQLite file in a new directory under `parent`. */
export function sqliteTarget(parent: string | undefined, cacheMib: number): ScaleTarget {
  const dir = mkdtempSync(join(parent ?? tmpdir(), 'baton-scale-'));
  dirs.add(dir);
  const path = join(dir, 'scale.db');
  return {
    storeUrl: `sqlite:${path}`,
    async load(load) {
      loadSqlite(path, load, { cacheMib });
    },
    async settle() {
      const fd = openSync(path, 'r+');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    },
    async bytesAtRest() {
      const db = new Database(path);
      try {
        db.pragma('wal_checkpoint(TRUNCATE)');
      } finally {
        db.close();
      }
      const parts = { file: sizeOf(path), wal: sizeOf(`${path}-wal`) };
      return { bytes: parts.file + parts.wal, parts };
    },
    async retryBoxes() {
      const db = new Database(path, { readonly: true });
      try {
        const row = db
          .prepare(
            'SELECT count(retry_box) AS count, coalesce(avg(length(retry_box)), 0) AS meanBytes FROM sessions',
          )
          .get() as { count: number; meanBytes: number };
        return row;
      } finally {
        db.close();
      }
    },
    async openStore() {
      return createSqliteStore({ path, backgroundCheckpoints: false, migrate: false });
    },
    async close() {
      rmSync(dir, { recursive: true, force: true });
      dirs.delete(dir);
    },
  };
}

/** The sizes of the schema's tables with their indexes and TOAST (pg_total_relation_size). */
const TABLE_SIZES = `SELECT c.relname AS name, pg_total_relation_size(c.oid)::float8 AS bytes
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = $1 AND c.relkind = 'r'`;

/** A fresh schema of the PostgreSQL database at `url` (dropped by `close`, or at exit). */
export async function postgresTarget(url: string, pool: number): Promise<ScaleTarget> {
  const database = await openBenchDatabase(url, pool);
  const loader = await openMigratedSchema(url, database.schema);
  return {
    storeUrl: database.storeUrl,
    async load(load) {
      const client = await loader.connect();
      try {
        await loadPostgres(client, load);
      } finally {
        client.release();
      }
    },
    async settle() {
      await loader.query('ANALYZE');
      // CHECKPOINT needs a superuser (or pg_checkpoint); without it the flush is left to PostgreSQL.
      await loader.query('CHECKPOINT').catch(() => {});
    },
    async bytesAtRest() {
      const { rows } = await loader.query<{ name: string; bytes: number }>(TABLE_SIZES, [
        database.schema,
      ]);
      const parts = Object.fromEntries(rows.map((row) => [row.name, row.bytes]));
      return { bytes: rows.reduce((sum, row) => sum + row.bytes, 0), parts };
    },
    async retryBoxes() {
      const { rows } = await loader.query<{ count: number; mean_bytes: number }>(
        'SELECT count(retry_box)::float8 AS count, coalesce(avg(pg_column_size(retry_box)), 0)::float8 AS mean_bytes FROM sessions',
      );
      return { count: rows[0]?.count ?? 0, meanBytes: rows[0]?.mean_bytes ?? 0 };
    },
    async openStore() {
      return createPostgresStore({
        connectionString: url,
        schema: database.schema,
        poolSize: 2,
        migrate: false,
        // A sweep batch of a large table may take longer than a request is allowed to.
        statementTimeoutMs: 60_000,
      });
    },
    async close() {
      await loader.end();
      await database.drop();
    },
  };
}

/** Where the PostgreSQL server keeps its data (`data_directory`, readable by superusers). */
export async function postgresDataDirectory(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  try {
    await client.connect();
    const { rows } = await client.query<{ setting: string }>(
      "SELECT current_setting('data_directory') AS setting",
    );
    return rows[0]?.setting;
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => {});
  }
}
