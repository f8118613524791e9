import Database from 'better-sqlite3';
import type {
  ClientRecord,
  EventQuery,
  NewSecurityEvent,
  RefreshTokenRecord,
  RevocationQuery,
  SessionEventTemplate,
  SessionFilter,
  SessionQuery,
  SessionRecord,
  SigningKeyRecord,
  Store,
  SweepCutoffs,
} from '../../core/index.js';
import { startCheckpointer, type Checkpointer } from './sqlite-checkpointer.js';
import { unavailable } from './sqlite-errors.js';
import { watchDatabaseFile, type FileWatch } from './sqlite-file-watch.js';
import {
  hashBytes,
  toRevocations,
  toClient,
  toEvent,
  toKey,
  toFoundToken,
  toSession,
} from '../sql-rows.js';
import { migrateSqlite } from './sqlite-migrations.js';
import { prepareStatements, type CountChunkRow } from './sqlite-statements.js';
import { createSqliteWrites } from './sqlite-writes.js';

/** What the readiness probe writes besides its timestamp: 64 KiB. */
const READINESS_PADDING = '.'.repeat(64 * 1024);

/** Options of {@link createSqliteStore}. */
export interface SqliteStoreOptions {
  /** Database file, or `:memory:`. */
  path: string;
  /**
   * `normal` (default) survives any process crash, `kill -9` included; the last commits before
   * a power loss may roll back. `full` also survives power loss, at an fsync per commit.
   */
  synchronous?: 'normal' | 'full';
  /** Checkpoint on a background thread (default true; off for short-lived CLI commands). */
  backgroundCheckpoints?: boolean;
  /** Apply pending migrations when opening (default true). */
  migrate?: boolean;
}

/** Sessions read per stretch of the live count: a few milliseconds of the event loop each. */
const COUNT_CHUNK = 5_000;

/**
 * The embedded store: one SQLite file in WAL mode, opened with better-sqlite3. Each operation is
 * one synchronous statement or transaction, so it is atomic within the process; across processes
 * SQLite's write lock serialises rotations (IMMEDIATE transactions, 5 s busy timeout).
 */
export function createSqliteStore(options: SqliteStoreOptions): Store {
  const synchronous = options.synchronous ?? 'normal';
  let db: Database.Database;
  let file: FileWatch;
  try {
    db = new Database(options.path);
    file = watchDatabaseFile(options.path);
    db.pragma('busy_timeout = 5000');
    if (options.path !== ':memory:') db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${synchronous}`);
    db.pragma('journal_size_limit = 67108864');
    if (options.migrate !== false) migrateSqlite(db);
  } catch (error) {
    return unavailable(error);
  }

  let checkpointer: Checkpointer | undefined;
  if (options.backgroundCheckpoints !== false && options.path !== ':memory:') {
    db.pragma('wal_autocheckpoint = 0');
    // Under steady writes only a checkpoint on the writing connection lets the WAL start over
    // from the top. When the thread has just copied a long WAL, the few pages written meanwhile
    // are all that is left, so finishing here costs well under a millisecond.
    checkpointer = startCheckpointer(options.path, synchronous, () => {
      try {
        if (db.open) db.pragma('wal_checkpoint(PASSIVE)');
      } catch {
        // busy (another process is checkpointing): the next round finishes it
      }
    });
  }

  const sql = prepareStatements(db);
  const writes = createSqliteWrites(db, sql, file);
  const {
    eventParams,
    clientParams,
    createSession,
    revokeSession,
    revokeSessions,
    revokeAccessToken,
    addFirstKey,
    rotateKey,
    sweep,
    listSessions,
  } = writes;

  // Whether sessions from before schema version 6 may still have their tokens as rows of
  // refresh_tokens; false once the sweeper has deleted the last of them.
  let legacyTokens = sql.hasLegacyTokens.get()?.present === 1;

  // Every method runs its statements synchronously and maps driver failures to 503s.
  const guard =
    <A extends unknown[], R>(fn: (...args: A) => R) =>
    async (...args: A): Promise<R> => {
      try {
        file.check();
        return fn(...args);
      } catch (error) {
        return unavailable(error);
      }
    };

  return {
    kind: 'sqlite',
    // Ready means able to commit, on the file that was opened: a deleted database, a read-only
    // file or a full disk all fail it. SQLite reuses the space it already holds, so on a full
    // disk a small write can still succeed while larger ones fail; the probe writes as much as
    // a large refresh batch (64 KiB), so that it fails first.
    ping: guard(() => {
      file.check(true);
      sql.setMeta.run('readiness_probe', `${Date.now()}:${READINESS_PADDING}`);
    }),
    async close() {
      await checkpointer?.stop();
      if (db.open) db.close();
    },

    getMeta: guard((key: string) => sql.getMeta.get(key)?.value),
    initMeta: guard((key: string, value: string) => {
      sql.initMeta.run(key, value);
      return (sql.getMeta.get(key) as { value: string }).value;
    }),
    setMeta: guard((key: string, value: string) => {
      sql.setMeta.run(key, value);
    }),

    getClient: guard((id: string) => {
      const row = sql.getClient.get(id);
      return row === undefined ? undefined : toClient(row);
    }),
    listClients: guard(() => sql.listClients.all().map(toClient)),
    insertClient: guard(
      (client: ClientRecord) => sql.insertClient.run(clientParams(client)).changes === 1,
    ),
    replaceClient: guard((client: ClientRecord) => {
      sql.replaceClient.run(clientParams(client));
    }),
    deleteClient: guard((id: string) => sql.deleteClient.run(id).changes === 1),

    createSession: guard((session: SessionRecord, token: RefreshTokenRecord) => {
      createSession.immediate(session, token);
    }),
    getSession: guard((id: string) => {
      const row = sql.getSession.get(id);
      return row === undefined ? undefined : toSession(row);
    }),
    listSessions: guard((query: SessionQuery) => listSessions(query).map(toSession)),
    getRetryBox: guard(
      (sessionId: string, generation: number) =>
        sql.getRetryBox.get(sessionId, generation)?.retry_box ?? undefined,
    ),
    findRefreshToken: guard((sessionId: string, hash: string) => {
      const params = { id: sessionId, hash: hashBytes(hash) };
      const row =
        sql.findToken.get(params) ?? (legacyTokens ? sql.findLegacyToken.get(params) : undefined);
      return row === undefined ? undefined : toFoundToken(row, hash);
    }),
    rotate: writes.rotate,
    revokeSession: guard((id: string, at: number, reason: string, event?: NewSecurityEvent) =>
      revokeSession.immediate(id, at, reason, event),
    ),
    revokeSessions: guard(
      (filter: SessionFilter, at: number, reason: string, event: SessionEventTemplate) =>
        revokeSessions.immediate(filter, at, reason, event),
    ),

    revokeAccessToken: guard((jti: string, expiresAt: number, event: NewSecurityEvent) =>
      revokeAccessToken.immediate(jti, expiresAt, event),
    ),
    isAccessTokenRevoked: guard((jti: string) => sql.isJtiRevoked.get(jti) !== undefined),

    listKeys: guard(() => sql.listKeys.all().map(toKey)),
    addFirstKey: guard((key: SigningKeyRecord) => addFirstKey.immediate(key)),
    rotateKey: guard((key: SigningKeyRecord) => rotateKey.immediate(key)),

    appendEvent: guard((event: NewSecurityEvent) => {
      sql.appendEvent.run(eventParams(event));
    }),
    listEvents: guard((query: EventQuery) =>
      sql.listEvents
        .all({
          type: query.type ?? null,
          since: query.since ?? null,
          afterId: query.afterId ?? 0,
          limit: query.limit,
        })
        .map(toEvent),
    ),

    listRevocations: guard((query: RevocationQuery) =>
      toRevocations(
        sql.listRevocations.all({
          afterId: query.afterId,
          since: query.since,
          clientIds: query.clientIds === undefined ? null : JSON.stringify(query.clientIds),
          limit: query.limit,
        }),
      ),
    ),

    async countLiveSessions(now: number) {
      // A scan of every session: in stretches, yielding between them, so that with millions of
      // sessions the event loop keeps answering refreshes (one statement took seconds).
      let live = 0;
      let after = 0;
      for (;;) {
        let chunk: CountChunkRow | undefined;
        try {
          file.check();
          chunk = sql.countLiveChunk.get({ now, after, limit: COUNT_CHUNK });
        } catch (error) {
          return unavailable(error);
        }
        if (chunk === undefined || chunk.last === null) return live;
        live += chunk.n;
        after = chunk.last;
        await new Promise((resolve) => setImmediate(resolve));
      }
    },

    sweep: guard((cutoffs: SweepCutoffs) => {
      const result = sweep.immediate(cutoffs);
      legacyTokens = sql.hasLegacyTokens.get()?.present === 1;
      return result;
    }),
  };
}
