import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { ROOT } from './server-process.js';

/** The names of the schemas the benchmark makes, and the only ones it ever drops. */
const SCHEMA_NAME = /^baton_bench_[0-9a-f]{12}$/;

/** Schemas handed to a server child and not dropped yet, by database URL. */
const undropped = new Map<string, { url: string; schema: string }>();

/** `url` without its password, for messages and saved results. */
export function redactedUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password !== '') parsed.password = '***';
  return parsed.toString();
}

/** Cumulative statistics of the PostgreSQL server, as far as they tell about one schema's load. */
interface Counters {
  /** Of the whole database (other clients of it count too). */
  xactCommit: number;
  xactRollback: number;
  /** Of the whole server (pg_stat_wal). */
  walRecords: number;
  walFpi: number;
  walBytes: number;
  walWrite: number;
  walSync: number;
  /** Of the schema's tables. */
  tables: Record<string, TableCounters>;
}

interface TableCounters {
  inserted: number;
  updated: number;
  hotUpdated: number;
  indexScans: number;
  seqScans: number;
}

/** What pg_stat_activity showed of the database's client backends while the load ran. */
export interface ActivitySummary {
  samples: number;
  /** The most client backends seen at once (the children's pools, fully opened). */
  maxBackends: number;
  /** Backend observations by state (`active`, `idle`, `idle in transaction`…), as shares. */
  states: Record<string, number>;
  /** What active backends were waiting on (`CPU` when not waiting), as shares of them. */
  activeWaits: Record<string, number>;
  /** Why sampling stopped early, if it did. */
  failure?: string;
}

/** A fresh schema of the PostgreSQL server for one scenario, and a connection to watch it. */
export interface BenchDatabase {
  schema: string;
  /** `BATON_STORE` for the server children: the schema (the server creates it) and the pool. */
  storeUrl: string;
  /** The counters now; {@link BenchDatabase.perRefresh} compares two of them. */
  counters(): Promise<Counters>;
  /** What happened between two counter readings, per refresh where that makes sense. */
  perRefresh(before: Counters, after: Counters, refreshes: number): object;
  /** Samples pg_stat_activity every `intervalMs` until the returned function is called. */
  watchActivity(intervalMs: number): () => Promise<ActivitySummary>;
  /** Drops the schema (and everything in it) and closes the connection. */
  drop(): Promise<void>;
}

const COUNTERS_SQL = `SELECT d.xact_commit::float8 AS xact_commit, d.xact_rollback::float8 AS xact_rollback,
    w.wal_records::float8 AS wal_records, w.wal_fpi::float8 AS wal_fpi,
    w.wal_bytes::float8 AS wal_bytes, w.wal_write::float8 AS wal_write, w.wal_sync::float8 AS wal_sync
  FROM pg_stat_database d, pg_stat_wal w WHERE d.datname = current_database()`;

const TABLES_SQL = `SELECT relname, n_tup_ins::float8 AS ins, n_tup_upd::float8 AS upd,
    n_tup_hot_upd::float8 AS hot, COALESCE(idx_scan, 0)::float8 AS idx, seq_scan::float8 AS seq
  FROM pg_stat_user_tables WHERE schemaname = $1`;

const ACTIVITY_SQL = `SELECT state, wait_event_type, wait_event FROM pg_stat_activity
  WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()`;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function shares(counts: Map<string, number>): Record<string, number> {
  const total = [...counts.values()].reduce((sum, n) => sum + n, 0);
  return Object.fromEntries(
    [...counts]
      .sort((a, b) => b[1] - a[1])
      .map(([key, n]) => [key, total === 0 ? 0 : Math.round((1000 * n) / total) / 1000]),
  );
}

/**
 * Connects to the PostgreSQL server at `url` and picks a fresh schema name
 * (`baton_bench_<random hex>`). The first server child creates and migrates the schema;
 * {@link BenchDatabase.drop} removes it, and {@link dropSchemasSync} does when the run ends
 * any other way.
 */
export async function openBenchDatabase(url: string, pool: number): Promise<BenchDatabase> {
  const client = new pg.Client({ connectionString: url, application_name: 'baton-bench' });
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    throw new Error(
      `cannot connect to PostgreSQL at ${redactedUrl(url)} (${String(error)}); set BENCH_PG_URL or --pg-url`,
      { cause: error },
    );
  }
  client.on('error', () => {});
  const schema = `baton_bench_${randomBytes(6).toString('hex')}`;
  undropped.set(schema, { url, schema });
  const store = new URL(url);
  store.searchParams.set('schema', schema);
  store.searchParams.set('pool', String(pool));

  const counters = async (): Promise<Counters> => {
    const [row] = (await client.query<Record<string, number>>(COUNTERS_SQL)).rows;
    const tables = await client.query<{
      relname: string;
      ins: number;
      upd: number;
      hot: number;
      idx: number;
      seq: number;
    }>(TABLES_SQL, [schema]);
    return {
      xactCommit: row?.xact_commit ?? 0,
      xactRollback: row?.xact_rollback ?? 0,
      walRecords: row?.wal_records ?? 0,
      walFpi: row?.wal_fpi ?? 0,
      walBytes: row?.wal_bytes ?? 0,
      walWrite: row?.wal_write ?? 0,
      walSync: row?.wal_sync ?? 0,
      tables: Object.fromEntries(
        tables.rows.map((table) => [
          table.relname,
          {
            inserted: table.ins,
            updated: table.upd,
            hotUpdated: table.hot,
            indexScans: table.idx,
            seqScans: table.seq,
          },
        ]),
      ),
    };
  };

  return {
    schema,
    storeUrl: store.toString(),
    counters,
    perRefresh(before, after, refreshes) {
      const per = (a: number, b: number): number =>
        refreshes === 0 ? 0 : Math.round((1000 * (b - a)) / refreshes) / 1000;
      const table = (name: string): object | null => {
        const a = before.tables[name];
        const b = after.tables[name];
        if (b === undefined) return null;
        const zero: TableCounters = {
          inserted: 0,
          updated: 0,
          hotUpdated: 0,
          indexScans: 0,
          seqScans: 0,
        };
        const from = a ?? zero;
        return {
          inserted: per(from.inserted, b.inserted),
          updated: per(from.updated, b.updated),
          hotUpdated: per(from.hotUpdated, b.hotUpdated),
          indexScans: per(from.indexScans, b.indexScans),
          seqScans: per(from.seqScans, b.seqScans),
        };
      };
      return {
        note:
          `per refresh of the warm-up and the measured run (${refreshes} in all; sessions minted ` +
          'and other clients of the database count too: transactions are of the whole database, ' +
          'WAL of the whole server)',
        refreshes,
        transactions: per(
          before.xactCommit + before.xactRollback,
          after.xactCommit + after.xactRollback,
        ),
        rollbacks: per(before.xactRollback, after.xactRollback),
        walRecords: per(before.walRecords, after.walRecords),
        walFullPageImages: per(before.walFpi, after.walFpi),
        walBytes: per(before.walBytes, after.walBytes),
        walWrites: per(before.walWrite, after.walWrite),
        walSyncs: per(before.walSync, after.walSync),
        sessions: table('sessions'),
      };
    },
    watchActivity(intervalMs) {
      let stopped = false;
      const states = new Map<string, number>();
      const waits = new Map<string, number>();
      let samples = 0;
      let maxBackends = 0;
      let failure: string | undefined;
      const loop = (async () => {
        while (!stopped) {
          const { rows } = await client.query<{
            state: string | null;
            wait_event_type: string | null;
            wait_event: string | null;
          }>(ACTIVITY_SQL);
          samples++;
          maxBackends = Math.max(maxBackends, rows.length);
          for (const row of rows) {
            const state = row.state ?? 'unknown';
            states.set(state, (states.get(state) ?? 0) + 1);
            if (state !== 'active') continue;
            const wait =
              row.wait_event_type === null ? 'CPU' : `${row.wait_event_type}:${row.wait_event}`;
            waits.set(wait, (waits.get(wait) ?? 0) + 1);
          }
          await sleep(intervalMs);
        }
      })().catch((error: unknown) => {
        failure = String(error);
      });
      return async () => {
        stopped = true;
        await loop;
        return {
          samples,
          maxBackends,
          states: shares(states),
          activeWaits: shares(waits),
          ...(failure === undefined ? {} : { failure }),
        };
      };
    },
    async drop() {
      try {
        // Waits for the children's connections to let go (they have been stopped), not forever.
        await client.query("SET lock_timeout = '20s'");
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        undropped.delete(schema);
      } finally {
        await client.end().catch(() => {});
      }
    },
  };
}

/**
 * Drops every schema {@link openBenchDatabase} picked and nobody dropped, synchronously (from an
 * `exit` handler, after the server children were killed) through a short-lived Node child.
 */
export function dropSchemasSync(): void {
  for (const { url, schema } of undropped.values()) {
    if (!SCHEMA_NAME.test(schema)) continue;
    const script = `const pg = require('pg');
      const client = new pg.Client({ connectionString: process.env.BENCH_DROP_URL });
      client.connect()
        .then(() => client.query("SET lock_timeout = '20s'"))
        .then(() => client.query('DROP SCHEMA IF EXISTS ' + process.env.BENCH_DROP_SCHEMA + ' CASCADE'))
        .then(() => client.end(), (error) => { console.error(String(error)); process.exit(1); });`;
    const result = spawnSync(process.execPath, ['-e', script], {
      cwd: ROOT,
      env: { ...process.env, BENCH_DROP_URL: url, BENCH_DROP_SCHEMA: schema },
      encoding: 'utf8',
      timeout: 30_000,
    });
    if (result.status === 0) {
      undropped.delete(schema);
    } else {
      process.stderr.write(
        `bench: could not drop schema ${schema} of ${redactedUrl(url)}: ${(result.stderr || String(result.error)).trim()}\n`,
      );
    }
  }
}
