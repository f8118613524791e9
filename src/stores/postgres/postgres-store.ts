import pg from 'pg';
import type {
  ClientRecord,
  EventQuery,
  NewSecurityEvent,
  RefreshTokenRecord,
  RevocationQuery,
  RotateOperation,
  SessionFilter,
  SessionQuery,
  SessionRecord,
  SigningKeyRecord,
  Store,
  SweepCutoffs,
  SweepResult,
} from '../../core/index.js';
import {
  REVOCATION_TYPES_SQL,
  SESSION_COLUMNS,
  hashBytes,
  initialEndOf,
  toClient,
  toEvent,
  toKey,
  toRevocations,
  toSession,
  type ClientRow,
  type EventRow,
  type KeyRow,
  type RevocationRow,
  type RevokedRow,
  type SessionRow,
} from '../sql-rows.js';
import { unavailable } from './postgres-errors.js';
import { migratePostgres } from './postgres-migrations.js';

/** Options of {@link createPostgresStore}. */
export interface PostgresStoreOptions {
  /** A `postgres://` connection URL (Baton's own query parameters already removed). */
  connectionString: string;
  /** Schema to work in (created when missing); the connection's default when absent. */
  schema?: string | undefined;
  /** Connections in the pool. Default 10. */
  poolSize?: number | undefined;
  /** Milliseconds to wait for a connection before answering 503. Default 2000. */
  connectTimeoutMs?: number | undefined;
  /** Milliseconds a statement may run before it is cancelled (503). Default 5000. */
  statementTimeoutMs?: number | undefined;
  /** Apply pending migrations on open (default true). */
  migrate?: boolean | undefined;
  /** Called with errors of idle pooled connections (a restarted server, a dropped link). */
  onIdleError?: ((error: Error) => void) | undefined;
}

/** Milliseconds to wait for a pooled connection before answering 503, unless configured. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 2000;
/** Milliseconds a statement may run before it is cancelled (503), unless configured. */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 5000;

const INT8 = 20;

// Epoch seconds and ids fit a double; read int8 as numbers, everything else as pg does.
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** The statements of the refresh path (exported for the query-plan test). */
export const HOT_STATEMENTS = {
  // $6 is the token change: 'rotate' inserts $7, 'carry' moves the current token forward, both
  // prune the tokens older than the one just used; 'keep' leaves them alone.
  rotate: `WITH s AS (
      UPDATE sessions SET generation = $3, last_active_at = $4, rotated_at_ms = $8, retry_box = $5
      WHERE id = $1 AND generation = $2 AND revoked_at IS NULL
        AND expires_at > $4 AND last_active_at + idle_ttl > $4
      RETURNING id
    ), carried AS (
      UPDATE refresh_tokens SET generation = $3
      WHERE $6::text = 'carry' AND session_id = $1 AND generation = $2 AND EXISTS (SELECT 1 FROM s)
    ), pruned AS (
      DELETE FROM refresh_tokens
      WHERE $6::text <> 'keep' AND session_id = $1 AND generation < $2 AND EXISTS (SELECT 1 FROM s)
    ), inserted AS (
      INSERT INTO refresh_tokens (session_id, hash, generation, created_at)
      SELECT $1, $7::bytea, $3, $4 FROM s WHERE $6::text = 'rotate'
    )
    SELECT count(*)::int AS rotated FROM s`,
  findToken: `SELECT t.generation AS token_generation, t.created_at AS token_created_at, ${SESSION_COLUMNS}
    FROM sessions s JOIN refresh_tokens t ON t.session_id = s.id WHERE s.id = $1 AND t.hash = $2`,
  getSession: `SELECT ${SESSION_COLUMNS} FROM sessions s WHERE s.id = $1`,
  getRetryBox: 'SELECT retry_box FROM sessions WHERE id = $1 AND generation = $2',
  createSession: `WITH s AS (
      INSERT INTO sessions (id, subject, client_id, scope, claims, created_at, expires_at, idle_ttl,
        access_ttl, rotate, last_active_at, generation, rotated_at_ms, retry_box, revoked_at,
        revoke_reason, ends_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, NULL, $14, $15, $16)
      RETURNING id
    )
    INSERT INTO refresh_tokens (session_id, hash, generation, created_at)
    SELECT id, $17, $18, $19 FROM s`,
  revokeSession: `WITH r AS (
      UPDATE sessions SET revoked_at = $2, revoke_reason = $3, ends_at = $2
      WHERE id = $1 AND revoked_at IS NULL RETURNING id
    ), e AS (
      INSERT INTO events (type, at, session_id, subject, client_id, ip, detail)
      SELECT $4, $5, $6, $7, $8, $9, $10 FROM r WHERE $4::text IS NOT NULL
    )
    SELECT count(*)::int AS revoked FROM r`,
  isJtiRevoked: 'SELECT 1 FROM revoked_access_tokens WHERE jti = $1',
} as const;

const CLIENT_COLUMNS =
  'id, secret_hash, access_ttl, refresh_ttl, idle_ttl, reuse_grace, rotate, audience, dialects, allowed_origins, created_at';

/**
 * The PostgreSQL store: the shared truth of many Baton instances. Every operation is one
 * statement (or one short transaction) on a pooled connection; a rotation is one round trip whose
 * compare-and-set on the session generation lets exactly one of any number of concurrent
 * refreshes win, on any instance, without serialisation failures (READ COMMITTED re-checks the
 * condition on the row it waited for). Connection failures answer `ERR_STORE_UNAVAILABLE` at once
 * and the pool reconnects by itself.
 */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const schema = options.schema;
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    statement_timeout: options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS,
    query_timeout: (options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS) + 1000,
    idle_in_transaction_session_timeout: 10_000,
    application_name: 'baton',
    keepAlive: true,
    types,
    ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
  });
  // An idle connection that dies (server restart) must not crash the process; the pool drops it
  // and the next query opens a new one.
  pool.on('error', (error) => options.onIdleError?.(error));

  async function query<R extends pg.QueryResultRow>(
    name: string | undefined,
    text: string,
    values: unknown[] = [],
  ): Promise<pg.QueryResult<R>> {
    try {
      return await pool.query<R>(name === undefined ? { text, values } : { name, text, values });
    } catch (error) {
      return unavailable(error);
    }
  }

  async function transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      return unavailable(error);
    }
    let failure: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
      await client.query('ROLLBACK').catch(() => {});
      return unavailable(error);
    } finally {
      // A connection that failed mid-transaction is closed rather than handed to the next query.
      client.release(failure);
    }
  }

  try {
    if (options.migrate !== false) await migratePostgres(pool, schema).catch(unavailable);
    else await query(undefined, 'SELECT 1');
  } catch (error) {
    await pool.end().catch(() => {});
    throw error;
  }

  const listSessions = async (q: SessionQuery): Promise<SessionRecord[]> => {
    const conditions = ['s.id > $1'];
    const values: unknown[] = [q.after ?? ''];
    if (q.subject !== undefined) {
      values.push(q.subject);
      conditions.push(`s.subject = $${values.length}`);
    }
    if (q.clientId !== undefined) {
      values.push(q.clientId);
      conditions.push(`s.client_id = $${values.length}`);
    }
    values.push(q.limit);
    const { rows } = await query<SessionRow>(
      undefined,
      `SELECT ${SESSION_COLUMNS} FROM sessions s WHERE ${conditions.join(' AND ')} ORDER BY s.id LIMIT $${values.length}`,
      values,
    );
    return rows.map(toSession);
  };

  const sweepSessions = async (cutoffs: SweepCutoffs): Promise<number> => {
    // Candidates are locked with SKIP LOCKED: a session being refreshed right now is left for
    // the next sweep rather than waited for. Refreshed sessions get their ends_at moved; ended
    // ones are deleted with their tokens.
    const { rows } = await query<{ deleted: number }>(
      undefined,
      `WITH c AS (
         SELECT id, COALESCE(revoked_at, LEAST(expires_at, last_active_at + idle_ttl)) AS e
         FROM sessions WHERE ends_at < $1 ORDER BY ends_at LIMIT $2 FOR UPDATE SKIP LOCKED
       ), moved AS (
         UPDATE sessions s SET ends_at = c.e FROM c WHERE s.id = c.id AND c.e >= $1
       ), dead AS (
         SELECT id FROM c WHERE e < $1 LIMIT $3
       ), tokens AS (
         DELETE FROM refresh_tokens WHERE session_id IN (SELECT id FROM dead)
       ), gone AS (
         DELETE FROM sessions WHERE id IN (SELECT id FROM dead) RETURNING 1
       )
       SELECT count(*)::int AS deleted FROM gone`,
      [cutoffs.sessionsEndedBefore, cutoffs.limit * 4, cutoffs.limit],
    );
    return rows[0]?.deleted ?? 0;
  };

  /** Inserts a client; `conflict` says what a client of the same id does. Returns rows written. */
  const putClient = async (client: ClientRecord, conflict: string): Promise<number> => {
    const values = [
      client.id,
      client.secretHash,
      client.accessTtl,
      client.refreshTtl,
      client.idleTtl,
      client.reuseGrace,
      client.rotate,
      client.audience,
      client.dialects === null ? null : JSON.stringify(client.dialects),
      client.allowedOrigins === null ? null : JSON.stringify(client.allowedOrigins),
      client.createdAt,
    ];
    const result = await query(
      undefined,
      `INSERT INTO clients (${CLIENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ${conflict}`,
      values,
    );
    return result.rowCount ?? 0;
  };

  /**
   * Adds an active key: the `first` one (false when there is an active key), or on `rotate`
   * after retiring the active ones. One writer at a time, so that instances starting together
   * add one first key, not two.
   */
  const addKey = (key: SigningKeyRecord, mode: 'first' | 'rotate'): Promise<boolean> =>
    transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [7_303_845_162]);
      if (mode === 'rotate') {
        await client.query('UPDATE signing_keys SET retired_at = $1 WHERE retired_at IS NULL', [
          key.createdAt,
        ]);
      } else {
        const active = await client.query(
          'SELECT 1 FROM signing_keys WHERE retired_at IS NULL LIMIT 1',
        );
        if (active.rowCount !== 0) return false;
      }
      await client.query(
        `INSERT INTO signing_keys (kid, alg, public_jwk, private_key, created_at, retired_at)
         VALUES ($1, $2, $3, $4, $5, NULL)`,
        [key.kid, key.alg, key.publicJwk, key.privateKey, key.createdAt],
      );
      return true;
    });

  const deleteBatch = async (sql: string, values: unknown[]): Promise<number> =>
    (await query(undefined, sql, values)).rowCount ?? 0;

  return {
    kind: 'postgres',
    // Ready means able to commit: a write (a read-only standby, a full disk or a server that
    // refuses writes all fail it).
    async ping() {
      await query(
        'baton_readiness_probe',
        `INSERT INTO meta (key, value) VALUES ('readiness_probe', $1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
        [String(Date.now())],
      );
    },
    async close() {
      await pool.end().catch(() => {});
    },

    async getMeta(key) {
      const { rows } = await query<{ value: string }>(
        'baton_get_meta',
        'SELECT value FROM meta WHERE key = $1',
        [key],
      );
      return rows[0]?.value;
    },
    async initMeta(key, value) {
      // Two statements, not one CTE: when another instance inserts the key at the same moment,
      // our INSERT waits for it and then does nothing, and a SELECT in the same statement would
      // still read the snapshot taken before that row was committed (and find nothing). A new
      // statement takes a new snapshot under READ COMMITTED, so the second query sees the
      // winner's value.
      const inserted = await query<{ value: string }>(
        undefined,
        'INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING RETURNING value',
        [key, value],
      );
      if (inserted.rows[0] !== undefined) return inserted.rows[0].value;
      const { rows } = await query<{ value: string }>(
        'baton_get_meta',
        'SELECT value FROM meta WHERE key = $1',
        [key],
      );
      if (rows[0] === undefined) {
        // Meta rows are never deleted, so a conflict without a row is a broken invariant.
        throw new Error(`meta key ${key} conflicted on insert but cannot be read`);
      }
      return rows[0].value;
    },
    async setMeta(key, value) {
      await query(
        undefined,
        'INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
        [key, value],
      );
    },

    async getClient(id) {
      const { rows } = await query<ClientRow>(
        'baton_get_client',
        `SELECT ${CLIENT_COLUMNS} FROM clients WHERE id = $1`,
        [id],
      );
      return rows[0] === undefined ? undefined : toClient(rows[0]);
    },
    async listClients() {
      const { rows } = await query<ClientRow>(
        undefined,
        `SELECT ${CLIENT_COLUMNS} FROM clients ORDER BY id`,
      );
      return rows.map(toClient);
    },
    async insertClient(client) {
      return (await putClient(client, 'ON CONFLICT (id) DO NOTHING')) === 1;
    },
    async replaceClient(client) {
      await putClient(
        client,
        `ON CONFLICT (id) DO UPDATE SET secret_hash = excluded.secret_hash, access_ttl = excluded.access_ttl,
           refresh_ttl = excluded.refresh_ttl, idle_ttl = excluded.idle_ttl, reuse_grace = excluded.reuse_grace,
           rotate = excluded.rotate, audience = excluded.audience, dialects = excluded.dialects,
           allowed_origins = excluded.allowed_origins, created_at = excluded.created_at`,
      );
    },
    async deleteClient(id) {
      return (await query(undefined, 'DELETE FROM clients WHERE id = $1', [id])).rowCount === 1;
    },

    async createSession(session: SessionRecord, token: RefreshTokenRecord) {
      await query('baton_create_session', HOT_STATEMENTS.createSession, [
        session.id,
        session.subject,
        session.clientId,
        session.scope,
        JSON.stringify(session.claims),
        session.createdAt,
        session.expiresAt,
        session.idleTtl,
        session.accessTtl,
        session.rotate,
        session.lastActiveAt,
        session.generation,
        session.rotatedAtMs,
        session.revokedAt,
        session.revokeReason,
        initialEndOf(session),
        hashBytes(token.hash),
        token.generation,
        token.createdAt,
      ]);
    },
    async getSession(id) {
      const { rows } = await query<SessionRow>('baton_get_session', HOT_STATEMENTS.getSession, [
        id,
      ]);
      return rows[0] === undefined ? undefined : toSession(rows[0]);
    },
    listSessions,
    async getRetryBox(sessionId, generation) {
      const { rows } = await query<{ retry_box: Buffer | null }>(
        'baton_get_retry_box',
        HOT_STATEMENTS.getRetryBox,
        [sessionId, generation],
      );
      const box = rows[0]?.retry_box;
      return box === null || box === undefined ? undefined : new Uint8Array(box);
    },
    async findRefreshToken(sessionId, hash) {
      const { rows } = await query<
        SessionRow & { token_generation: number; token_created_at: number }
      >('baton_find_token', HOT_STATEMENTS.findToken, [sessionId, hashBytes(hash)]);
      const row = rows[0];
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
    },
    async rotate(op: RotateOperation) {
      const { rows } = await query<{ rotated: number }>('baton_rotate', HOT_STATEMENTS.rotate, [
        op.sessionId,
        op.fromGeneration,
        op.toGeneration,
        op.at,
        Buffer.from(op.retryBox.buffer, op.retryBox.byteOffset, op.retryBox.byteLength),
        op.tokens.kind,
        op.tokens.kind === 'rotate' ? hashBytes(op.tokens.next.hash) : null,
        op.atMs,
      ]);
      return rows[0]?.rotated === 1;
    },
    async revokeSession(id, at, reason, event?: NewSecurityEvent) {
      const { rows } = await query<{ revoked: number }>(
        'baton_revoke_session',
        HOT_STATEMENTS.revokeSession,
        [
          id,
          at,
          reason,
          event?.type ?? null,
          event?.at ?? null,
          event?.sessionId ?? null,
          event?.subject ?? null,
          event?.clientId ?? null,
          event?.ip ?? null,
          event?.detail ?? null,
        ],
      );
      return rows[0]?.revoked === 1;
    },
    async revokeSessions(filter: SessionFilter, at, reason, event) {
      const column = 'subject' in filter ? 'subject' : 'client_id';
      const value = 'subject' in filter ? filter.subject : filter.clientId;
      // One statement: the revocations and their events commit together.
      const { rows } = await query<RevokedRow>(
        undefined,
        `WITH r AS (
           UPDATE sessions SET revoked_at = $1, revoke_reason = $2, ends_at = $1
           WHERE ${column} = $3 AND revoked_at IS NULL RETURNING id, subject, client_id
         ), e AS (
           INSERT INTO events (type, at, session_id, subject, client_id, ip, detail)
           SELECT $4, $5, id, subject, client_id, $6, $7 FROM r ORDER BY id
         )
         SELECT id, subject, client_id FROM r`,
        [at, reason, value, event.type, event.at, event.ip, event.detail],
      );
      return rows
        .map((row) => ({ id: row.id, subject: row.subject, clientId: row.client_id }))
        .sort((a, b) => (a.id < b.id ? -1 : 1));
    },

    async revokeAccessToken(jti, expiresAt, event) {
      const { rows } = await query<{ revoked: number }>(
        undefined,
        `WITH r AS (
           INSERT INTO revoked_access_tokens (jti, expires_at) VALUES ($1, $2)
           ON CONFLICT (jti) DO NOTHING RETURNING jti
         ), e AS (
           INSERT INTO events (type, at, session_id, subject, client_id, ip, detail)
           SELECT $3, $4, $5, $6, $7, $8, $9 FROM r
         )
         SELECT count(*)::int AS revoked FROM r`,
        [
          jti,
          expiresAt,
          event.type,
          event.at,
          event.sessionId,
          event.subject,
          event.clientId,
          event.ip,
          event.detail,
        ],
      );
      return rows[0]?.revoked === 1;
    },
    async isAccessTokenRevoked(jti) {
      return (
        (await query('baton_is_jti_revoked', HOT_STATEMENTS.isJtiRevoked, [jti])).rowCount === 1
      );
    },

    async listKeys() {
      const { rows } = await query<KeyRow>(
        undefined,
        'SELECT kid, alg, public_jwk, private_key, created_at, retired_at FROM signing_keys ORDER BY created_at DESC, kid DESC',
      );
      return rows.map(toKey);
    },
    addFirstKey: (key: SigningKeyRecord) => addKey(key, 'first'),
    async rotateKey(key: SigningKeyRecord) {
      await addKey(key, 'rotate');
    },

    async appendEvent(event) {
      await query(
        'baton_append_event',
        `INSERT INTO events (type, at, session_id, subject, client_id, ip, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [
          event.type,
          event.at,
          event.sessionId,
          event.subject,
          event.clientId,
          event.ip,
          event.detail,
        ],
      );
    },
    async listEvents(q: EventQuery) {
      const { rows } = await query<EventRow>(
        undefined,
        `SELECT id, type, at, session_id, subject, client_id, ip, detail FROM events
         WHERE id > $1 AND ($2::text IS NULL OR type = $2) AND ($3::bigint IS NULL OR at >= $3)
         ORDER BY id LIMIT $4`,
        [q.afterId ?? 0, q.type ?? null, q.since ?? null, q.limit],
      );
      return rows.map(toEvent);
    },

    async listRevocations(q: RevocationQuery) {
      const { rows } = await query<RevocationRow>(
        undefined,
        `SELECT e.id, e.at, e.type, e.session_id, r.jti, r.expires_at
         FROM events e LEFT JOIN revoked_access_tokens r
           ON e.type = 'access_token.revoked' AND r.jti = e.detail
         WHERE e.id > $1 AND e.at >= $2 AND e.type IN (${REVOCATION_TYPES_SQL})
           AND ($3::text[] IS NULL OR e.client_id = ANY($3::text[]))
         ORDER BY e.id LIMIT $4`,
        [q.afterId, q.since, q.clientIds ?? null, q.limit],
      );
      return toRevocations(rows);
    },

    async countLiveSessions(now) {
      const { rows } = await query<{ n: number }>(
        undefined,
        `SELECT count(*)::int AS n FROM sessions
         WHERE revoked_at IS NULL AND expires_at > $1 AND last_active_at + idle_ttl > $1`,
        [now],
      );
      return rows[0]?.n ?? 0;
    },

    async sweep(cutoffs: SweepCutoffs): Promise<SweepResult> {
      return {
        sessions: await sweepSessions(cutoffs),
        revokedAccessTokens: await deleteBatch(
          `DELETE FROM revoked_access_tokens WHERE jti IN
             (SELECT jti FROM revoked_access_tokens WHERE expires_at < $1 LIMIT $2)`,
          [cutoffs.accessTokensExpiredBefore, cutoffs.limit],
        ),
        events: await deleteBatch(
          'DELETE FROM events WHERE id IN (SELECT id FROM events WHERE at < $1 ORDER BY id LIMIT $2)',
          [cutoffs.eventsBefore, cutoffs.limit],
        ),
        keys: await deleteBatch(
          `DELETE FROM signing_keys WHERE kid IN
             (SELECT kid FROM signing_keys WHERE retired_at IS NOT NULL AND retired_at < $1 LIMIT $2)`,
          [cutoffs.keysRetiredBefore, cutoffs.limit],
        ),
      };
    },
  };
}
