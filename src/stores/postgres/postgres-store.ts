import type {
  ClientRecord,
  EventQuery,
  SigningKeyRecord,
  Store,
  SweepCutoffs,
  SweepResult,
} from '../../core/index.js';
import {
  toClient,
  toEvent,
  toKey,
  type ClientRow,
  type EventRow,
  type KeyRow,
} from '../sql-rows.js';
import { unavailable } from './postgres-errors.js';
import { migratePostgres } from './postgres-migrations.js';

import { openPool, type PostgresStoreOptions } from './postgres-pool.js';
import { sessionOperations } from './postgres-sessions.js';
import { CLIENT_COLUMNS } from './postgres-statements.js';

export {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_STATEMENT_TIMEOUT_MS,
  type PostgresStoreOptions,
} from './postgres-pool.js';
export { HOT_STATEMENTS } from './postgres-statements.js';

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
  const { pool, query, transaction } = openPool(options);

  try {
    if (options.migrate !== false) await migratePostgres(pool, schema).catch(unavailable);
    else await query(undefined, 'SELECT 1');
  } catch (error) {
    await pool.end().catch(() => {});
    throw error;
  }

  const { checkLegacyTokens, ...sessions } = sessionOperations(query);
  await checkLegacyTokens().catch(async (error: unknown) => {
    await pool.end().catch(() => {});
    return unavailable(error);
  });

  const sweepSessions = async (cutoffs: SweepCutoffs): Promise<number> => {
    // Candidates are locked with SKIP LOCKED: a session being refreshed right now is left for
    // the next sweep rather than waited for. Refreshed sessions get their ends_at moved; ended
    // ones are deleted, with the token rows of sessions from before their hashes moved into the
    // session's row.
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

    ...sessions,

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

    async sweep(cutoffs: SweepCutoffs): Promise<SweepResult> {
      const swept = await sweepSessions(cutoffs);
      await checkLegacyTokens();
      return {
        sessions: swept,
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
