import Database from 'better-sqlite3';
import type {
  ClientRecord,
  EventQuery,
  NewSecurityEvent,
  RefreshTokenRecord,
  RevocationQuery,
  RotateOperation,
  SessionEventTemplate,
  SessionFilter,
  SessionQuery,
  SessionRecord,
  SigningKeyRecord,
  Store,
  SweepCutoffs,
  SweepResult,
} from '../../core/index.js';
import { startCheckpointer, type Checkpointer } from './sqlite-checkpointer.js';
import { unavailable } from './sqlite-errors.js';
import { watchDatabaseFile, type FileWatch } from './sqlite-file-watch.js';
import {
  REVOCATION_TYPES_SQL,
  SESSION_COLUMNS,
  hashBytes,
  initialEndOf,
  toRevocations,
  toClient,
  toEvent,
  toKey,
  toSession,
  type ClientRow,
  type EventRow,
  type KeyRow,
  type RevocationRow,
  type RevokedRow,
  type SessionRow,
} from '../sql-rows.js';
import { migrateSqlite } from './sqlite-migrations.js';

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

  const sql = {
    getMeta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
    initMeta: db.prepare(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING',
    ),
    setMeta: db.prepare(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    ),

    getClient: db.prepare<[string], ClientRow>('SELECT * FROM clients WHERE id = ?'),
    listClients: db.prepare<[], ClientRow>('SELECT * FROM clients ORDER BY id'),
    insertClient: db.prepare(
      `INSERT INTO clients (id, secret_hash, access_ttl, refresh_ttl, idle_ttl, reuse_grace, rotate, audience, dialects, allowed_origins, created_at)
       VALUES (@id, @secretHash, @accessTtl, @refreshTtl, @idleTtl, @reuseGrace, @rotate, @audience, @dialects, @allowedOrigins, @createdAt)
       ON CONFLICT (id) DO NOTHING`,
    ),
    replaceClient: db.prepare(
      `INSERT OR REPLACE INTO clients (id, secret_hash, access_ttl, refresh_ttl, idle_ttl, reuse_grace, rotate, audience, dialects, allowed_origins, created_at)
       VALUES (@id, @secretHash, @accessTtl, @refreshTtl, @idleTtl, @reuseGrace, @rotate, @audience, @dialects, @allowedOrigins, @createdAt)`,
    ),
    deleteClient: db.prepare('DELETE FROM clients WHERE id = ?'),

    insertSession: db.prepare(
      `INSERT INTO sessions (id, subject, client_id, scope, claims, created_at, expires_at, idle_ttl, access_ttl, rotate,
         last_active_at, generation, rotated_at_ms, retry_box, revoked_at, revoke_reason, ends_at)
       VALUES (@id, @subject, @clientId, @scope, @claims, @createdAt, @expiresAt, @idleTtl, @accessTtl, @rotate,
         @lastActiveAt, @generation, @rotatedAtMs, @retryBox, @revokedAt, @revokeReason, @endsAt)`,
    ),
    insertToken: db.prepare(
      'INSERT INTO refresh_tokens (session_id, hash, generation, created_at) VALUES (?, ?, ?, ?)',
    ),
    carryToken: db.prepare<[number, string, number]>(
      'UPDATE refresh_tokens SET generation = ? WHERE session_id = ? AND generation = ?',
    ),
    pruneTokens: db.prepare<[string, number]>(
      'DELETE FROM refresh_tokens WHERE session_id = ? AND generation < ?',
    ),
    getRetryBox: db.prepare<[string, number], { retry_box: Buffer | null }>(
      'SELECT retry_box FROM sessions WHERE id = ? AND generation = ?',
    ),
    getSession: db.prepare<[string], SessionRow>(
      `SELECT ${SESSION_COLUMNS} FROM sessions s WHERE s.id = ?`,
    ),
    findToken: db.prepare<
      [string, Buffer],
      SessionRow & { token_generation: number; token_created_at: number }
    >(
      `SELECT t.generation AS token_generation, t.created_at AS token_created_at, ${SESSION_COLUMNS}
       FROM sessions s JOIN refresh_tokens t ON t.session_id = s.id WHERE s.id = ? AND t.hash = ?`,
    ),
    rotate: db.prepare(
      `UPDATE sessions SET generation = @toGeneration, last_active_at = @at, rotated_at_ms = @atMs, retry_box = @retryBox
       WHERE id = @sessionId AND generation = @fromGeneration AND revoked_at IS NULL
         AND expires_at > @at AND last_active_at + idle_ttl > @at`,
    ),
    revokeSession: db.prepare(
      'UPDATE sessions SET revoked_at = ?, revoke_reason = ?, ends_at = ? WHERE id = ? AND revoked_at IS NULL',
    ),
    revokeBySubject: db.prepare<[number, string, number, string], RevokedRow>(
      `UPDATE sessions SET revoked_at = ?, revoke_reason = ?, ends_at = ? WHERE subject = ? AND revoked_at IS NULL
       RETURNING id, subject, client_id`,
    ),
    revokeByClient: db.prepare<[number, string, number, string], RevokedRow>(
      `UPDATE sessions SET revoked_at = ?, revoke_reason = ?, ends_at = ? WHERE client_id = ? AND revoked_at IS NULL
       RETURNING id, subject, client_id`,
    ),
    listRevocations: db.prepare<
      { afterId: number; since: number; clientIds: string | null; limit: number },
      RevocationRow
    >(
      `SELECT e.id, e.at, e.type, e.session_id, r.jti, r.expires_at
       FROM events e LEFT JOIN revoked_access_tokens r
         ON e.type = 'access_token.revoked' AND r.jti = e.detail
       WHERE e.id > @afterId AND e.at >= @since AND e.type IN (${REVOCATION_TYPES_SQL})
         AND (@clientIds IS NULL OR e.client_id IN (SELECT value FROM json_each(@clientIds)))
       ORDER BY e.id LIMIT @limit`,
    ),
    listAll: db.prepare<[string, number], SessionRow>(
      `SELECT ${SESSION_COLUMNS} FROM sessions s WHERE s.id > ? ORDER BY s.id LIMIT ?`,
    ),
    listBySubject: db.prepare<[string, string, number], SessionRow>(
      `SELECT ${SESSION_COLUMNS} FROM sessions s WHERE s.subject = ? AND s.id > ? ORDER BY s.id LIMIT ?`,
    ),
    listByClient: db.prepare<[string, string, number], SessionRow>(
      `SELECT ${SESSION_COLUMNS} FROM sessions s WHERE s.client_id = ? AND s.id > ? ORDER BY s.id LIMIT ?`,
    ),
    listBySubjectAndClient: db.prepare<[string, string, string, number], SessionRow>(
      `SELECT ${SESSION_COLUMNS} FROM sessions s WHERE s.subject = ? AND s.client_id = ? AND s.id > ? ORDER BY s.id LIMIT ?`,
    ),

    revokeJti: db.prepare(
      'INSERT INTO revoked_access_tokens (jti, expires_at) VALUES (?, ?) ON CONFLICT (jti) DO NOTHING',
    ),
    isJtiRevoked: db.prepare<[string], { one: number }>(
      'SELECT 1 AS one FROM revoked_access_tokens WHERE jti = ?',
    ),

    listKeys: db.prepare<[], KeyRow>(
      'SELECT * FROM signing_keys ORDER BY created_at DESC, kid DESC',
    ),
    countActiveKeys: db.prepare<[], { n: number }>(
      'SELECT COUNT(*) AS n FROM signing_keys WHERE retired_at IS NULL',
    ),
    retireKeys: db.prepare('UPDATE signing_keys SET retired_at = ? WHERE retired_at IS NULL'),
    insertKey: db.prepare(
      `INSERT INTO signing_keys (kid, alg, public_jwk, private_key, created_at, retired_at)
       VALUES (@kid, @alg, @publicJwk, @privateKey, @createdAt, NULL)`,
    ),

    appendEvent: db.prepare(
      `INSERT INTO events (type, at, session_id, subject, client_id, ip, detail)
       VALUES (@type, @at, @sessionId, @subject, @clientId, @ip, @detail)`,
    ),
    listEvents: db.prepare<
      { type: string | null; since: number | null; afterId: number; limit: number },
      EventRow
    >(
      `SELECT * FROM events WHERE id > @afterId AND (@type IS NULL OR type = @type) AND (@since IS NULL OR at >= @since)
       ORDER BY id LIMIT @limit`,
    ),

    sweepCandidates: db.prepare<[number, number], { id: string; end: number }>(
      `SELECT id, COALESCE(revoked_at, MIN(expires_at, last_active_at + idle_ttl)) AS end
       FROM sessions WHERE ends_at < ? ORDER BY ends_at LIMIT ?`,
    ),
    moveEnd: db.prepare('UPDATE sessions SET ends_at = ? WHERE id = ?'),
    countLive: db.prepare<[number, number], { n: number }>(
      `SELECT count(*) AS n FROM sessions
       WHERE revoked_at IS NULL AND expires_at > ? AND last_active_at + idle_ttl > ?`,
    ),
    deleteTokensOf: db.prepare(
      'DELETE FROM refresh_tokens WHERE session_id IN (SELECT value FROM json_each(?))',
    ),
    deleteSessions: db.prepare('DELETE FROM sessions WHERE id IN (SELECT value FROM json_each(?))'),
    sweepJtis: db.prepare(
      'DELETE FROM revoked_access_tokens WHERE jti IN (SELECT jti FROM revoked_access_tokens WHERE expires_at < ? LIMIT ?)',
    ),
    sweepEvents: db.prepare(
      'DELETE FROM events WHERE id IN (SELECT id FROM events WHERE at < ? ORDER BY id LIMIT ?)',
    ),
    sweepKeys: db.prepare(
      'DELETE FROM signing_keys WHERE kid IN (SELECT kid FROM signing_keys WHERE retired_at IS NOT NULL AND retired_at < ? LIMIT ?)',
    ),
  };

  const eventParams = (event: NewSecurityEvent): Record<string, unknown> => ({ ...event });

  const createSession = db.transaction((session: SessionRecord, token: RefreshTokenRecord) => {
    sql.insertSession.run({
      ...session,
      claims: JSON.stringify(session.claims),
      rotate: session.rotate ? 1 : 0,
      retryBox: null,
      endsAt: initialEndOf(session),
    });
    sql.insertToken.run(token.sessionId, hashBytes(token.hash), token.generation, token.createdAt);
  });

  function rotateOne(op: RotateOperation): boolean {
    const changed = sql.rotate.run({
      toGeneration: op.toGeneration,
      at: op.at,
      atMs: op.atMs,
      retryBox: op.retryBox,
      sessionId: op.sessionId,
      fromGeneration: op.fromGeneration,
    }).changes;
    if (changed !== 1) return false;
    const change = op.tokens;
    if (change.kind === 'keep') return true;
    sql.pruneTokens.run(op.sessionId, op.fromGeneration);
    if (change.kind === 'carry')
      sql.carryToken.run(op.toGeneration, op.sessionId, op.fromGeneration);
    else {
      const next = change.next;
      sql.insertToken.run(next.sessionId, hashBytes(next.hash), next.generation, next.createdAt);
    }
    return true;
  }

  const rotateBatch = db.transaction((ops: RotateOperation[]): boolean[] => ops.map(rotateOne));

  // Rotations that arrive in one turn of the event loop commit together: one transaction, one
  // WAL append, for all of them (group commit). Each answer waits for the commit.
  let pending: { op: RotateOperation; settle: (error: unknown, rotated?: boolean) => void }[] = [];
  function commitPending(): void {
    const batch = pending;
    pending = [];
    let results: boolean[];
    try {
      file.check();
      results = rotateBatch.immediate(batch.map((entry) => entry.op));
    } catch (error) {
      let failure: unknown = error;
      try {
        unavailable(error);
      } catch (mapped) {
        failure = mapped;
      }
      for (const entry of batch) entry.settle(failure);
      return;
    }
    batch.forEach((entry, i) => entry.settle(undefined, results[i]));
  }

  const revokeSession = db.transaction(
    (id: string, at: number, reason: string, event?: NewSecurityEvent): boolean => {
      if (sql.revokeSession.run(at, reason, at, id).changes !== 1) return false;
      if (event !== undefined) sql.appendEvent.run(eventParams(event));
      return true;
    },
  );

  const revokeSessions = db.transaction(
    (filter: SessionFilter, at: number, reason: string, event: SessionEventTemplate) => {
      const rows =
        'subject' in filter
          ? sql.revokeBySubject.all(at, reason, at, filter.subject)
          : sql.revokeByClient.all(at, reason, at, filter.clientId);
      const revoked = rows
        .map((row) => ({ id: row.id, subject: row.subject, clientId: row.client_id }))
        .sort((a, b) => (a.id < b.id ? -1 : 1));
      for (const session of revoked) {
        sql.appendEvent.run(
          eventParams({
            ...event,
            sessionId: session.id,
            subject: session.subject,
            clientId: session.clientId,
          }),
        );
      }
      return revoked;
    },
  );

  const revokeAccessToken = db.transaction(
    (jti: string, expiresAt: number, event: NewSecurityEvent): boolean => {
      if (sql.revokeJti.run(jti, expiresAt).changes !== 1) return false;
      sql.appendEvent.run(eventParams(event));
      return true;
    },
  );

  const addFirstKey = db.transaction((key: SigningKeyRecord): boolean => {
    if ((sql.countActiveKeys.get()?.n ?? 0) > 0) return false;
    sql.insertKey.run({ ...key });
    return true;
  });
  const rotateKey = db.transaction((key: SigningKeyRecord): void => {
    sql.retireKeys.run(key.createdAt);
    sql.insertKey.run({ ...key });
  });
  const clientParams = (client: ClientRecord): Record<string, unknown> => ({
    ...client,
    rotate: client.rotate === null ? null : client.rotate ? 1 : 0,
    dialects: client.dialects === null ? null : JSON.stringify(client.dialects),
    allowedOrigins: client.allowedOrigins === null ? null : JSON.stringify(client.allowedOrigins),
  });

  // ends_at is a lower bound of a session's end: set at creation and revocation, but not by
  // refreshes (keeping an index current on every rotation costs the hot path two B-tree updates).
  // The sweeper moves the ends_at of sessions that were refreshed since, and deletes the others.
  const sweep = db.transaction((cutoffs: SweepCutoffs): SweepResult => {
    const candidates = sql.sweepCandidates.all(cutoffs.sessionsEndedBefore, cutoffs.limit * 4);
    const ended: string[] = [];
    for (const candidate of candidates) {
      if (candidate.end >= cutoffs.sessionsEndedBefore)
        sql.moveEnd.run(candidate.end, candidate.id);
      else if (ended.length < cutoffs.limit) ended.push(candidate.id);
    }
    const ids = JSON.stringify(ended);
    sql.deleteTokensOf.run(ids);
    return {
      sessions: sql.deleteSessions.run(ids).changes,
      revokedAccessTokens: sql.sweepJtis.run(cutoffs.accessTokensExpiredBefore, cutoffs.limit)
        .changes,
      events: sql.sweepEvents.run(cutoffs.eventsBefore, cutoffs.limit).changes,
      keys: sql.sweepKeys.run(cutoffs.keysRetiredBefore, cutoffs.limit).changes,
    };
  });

  function listSessions(query: SessionQuery): SessionRow[] {
    const after = query.after ?? '';
    if (query.subject !== undefined && query.clientId !== undefined) {
      return sql.listBySubjectAndClient.all(query.subject, query.clientId, after, query.limit);
    }
    if (query.subject !== undefined)
      return sql.listBySubject.all(query.subject, after, query.limit);
    if (query.clientId !== undefined)
      return sql.listByClient.all(query.clientId, after, query.limit);
    return sql.listAll.all(after, query.limit);
  }

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
      const row = sql.findToken.get(sessionId, hashBytes(hash));
      if (row === undefined) return undefined;
      return {
        token: {
          hash,
          sessionId: row.id,
          generation: row.token_generation,
          createdAt: row.token_created_at,
        },
        session: toSession(row),
      };
    }),
    rotate: (op: RotateOperation) =>
      new Promise<boolean>((resolve, reject) => {
        const settle = (error: unknown, rotated?: boolean): void =>
          error === undefined ? resolve(rotated === true) : reject(error);
        if (pending.push({ op, settle }) === 1) setImmediate(commitPending);
      }),
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

    countLiveSessions: guard((now: number) => sql.countLive.get(now, now)?.n ?? 0),

    sweep: guard((cutoffs: SweepCutoffs) => sweep.immediate(cutoffs)),
  };
}
