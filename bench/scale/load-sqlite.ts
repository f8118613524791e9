import Database from 'better-sqlite3';
import { migrateSqlite } from '../../src/stores/sqlite/sqlite-migrations.js';
import { prepareStatements } from '../../src/stores/sqlite/sqlite-statements.js';
import {
  ACCESS_TTL,
  IDLE_TTL,
  type SessionTimes,
  type SyntheticSession,
} from './synthetic-sessions.js';

/** What a bulk load writes: sessions `from` to `from + count - 1` of `make`, with `times`. */
export interface BulkLoad {
  make: (index: number) => SyntheticSession;
  from: number;
  count: number;
  times: SessionTimes;
  /** Sessions per transaction (SQLite) or per statement (PostgreSQL). */
  batch: number;
  /**
   * Each session's sealed answer of its last refresh, as a session holds one from its first
   * refresh on: a stand-in of the real size (never opened, since no loaded token is a retry),
   * or `null` to load sessions as issued.
   */
  retryBox: Buffer | null;
  /** Called after each batch with the number written so far. */
  progress?: (written: number) => void;
}

/** Options of {@link loadSqlite}. */
export interface SqliteLoadOptions {
  /** Page cache of the loading connection in MiB: the indexes' pages stay in memory. */
  cacheMib: number;
}

/**
 * Writes sessions into the SQLite file at `path` (migrated first with the store's migrations),
 * each with its current refresh token, through the store's own INSERT statements in large
 * transactions. The indexes are there all along, so their pages fill as in service. The load
 * runs without a journal (a crash would only lose the benchmark's file); the file is left in
 * WAL mode, as the store keeps it.
 */
export function loadSqlite(path: string, load: BulkLoad, options: SqliteLoadOptions): void {
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    migrateSqlite(db);
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    db.pragma(`cache_size = ${-options.cacheMib * 1024}`);
    const sql = prepareStatements(db);
    const { times } = load;
    const insertBatch = db.transaction((from: number, to: number) => {
      for (let index = from; index < to; index++) {
        const session = load.make(index);
        sql.insertSession.run({
          id: session.id,
          subject: session.subject,
          clientId: 'default',
          scope: '',
          claims: '{}',
          createdAt: times.createdAt,
          expiresAt: times.expiresAt,
          idleTtl: IDLE_TTL,
          accessTtl: ACCESS_TTL,
          rotate: 1,
          lastActiveAt: times.lastActiveAt,
          generation: 0,
          rotatedAtMs: load.retryBox === null ? null : times.createdAt * 1000,
          accessHash: session.accessHash,
          retryBox: load.retryBox,
          revokedAt: null,
          revokeReason: null,
          endsAt: times.endsAt,
          tokenHash: session.tokenHash,
          tokenGeneration: 0,
          tokenCreatedAt: times.createdAt,
        });
      }
    });
    const end = load.from + load.count;
    for (let from = load.from; from < end; from += load.batch) {
      const to = Math.min(end, from + load.batch);
      insertBatch(from, to);
      load.progress?.(to - load.from);
    }
    db.pragma('journal_mode = WAL');
  } finally {
    db.close();
  }
}
