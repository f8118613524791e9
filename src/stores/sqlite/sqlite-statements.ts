import type Database from 'better-sqlite3';
import {
  REVOCATION_TYPES_SQL,
  SESSION_COLUMNS,
  findLegacyTokenSql,
  findTokenSql,
  HAS_LEGACY_TOKENS_SQL,
  rotateSql,
  type ClientRow,
  type EventRow,
  type FoundTokenRow,
  type KeyRow,
  type RevocationRow,
  type RevokedRow,
  type SessionRow,
} from '../sql-rows.js';

/** Parameters of a statement: a tuple of positional ones, or one object of named ones. */
type Params<P> = P extends unknown[] ? P : [P];

/**
 * What the store uses of a prepared statement, under a name of its own (the driver's types
 * cannot be named in the emitted declarations).
 */
export interface Prepared<P extends unknown[] | object, R> {
  run(...params: Params<P>): Database.RunResult;
  get(...params: Params<P>): R | undefined;
  all(...params: Params<P>): R[];
}

/** A stretch of sessions counted: its live ones, and its last rowid (`null` past the end). */
export interface CountChunkRow {
  n: number;
  last: number | null;
}

/** Every statement of the SQLite store, prepared once on its connection. */
export function prepareStatements(db: Database.Database) {
  const prepare = <P extends unknown[] | object = unknown[], R = unknown>(
    text: string,
  ): Prepared<P, R> => db.prepare(text) as unknown as Prepared<P, R>;
  return {
    getMeta: prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
    initMeta: prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING'),
    setMeta: prepare(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    ),

    getClient: prepare<[string], ClientRow>('SELECT * FROM clients WHERE id = ?'),
    listClients: prepare<[], ClientRow>('SELECT * FROM clients ORDER BY id'),
    insertClient: prepare(
      `INSERT INTO clients (id, secret_hash, access_ttl, refresh_ttl, idle_ttl, reuse_grace, rotate, audience, dialects, allowed_origins, created_at)
         VALUES (@id, @secretHash, @accessTtl, @refreshTtl, @idleTtl, @reuseGrace, @rotate, @audience, @dialects, @allowedOrigins, @createdAt)
         ON CONFLICT (id) DO NOTHING`,
    ),
    replaceClient: prepare(
      `INSERT OR REPLACE INTO clients (id, secret_hash, access_ttl, refresh_ttl, idle_ttl, reuse_grace, rotate, audience, dialects, allowed_origins, created_at)
         VALUES (@id, @secretHash, @accessTtl, @refreshTtl, @idleTtl, @reuseGrace, @rotate, @audience, @dialects, @allowedOrigins, @createdAt)`,
    ),
    deleteClient: prepare('DELETE FROM clients WHERE id = ?'),

    insertSession: prepare(
      `INSERT INTO sessions (id, subject, client_id, scope, claims, created_at, expires_at, idle_ttl, access_ttl, rotate,
           last_active_at, generation, rotated_at_ms, access_hash, retry_box, revoked_at, revoke_reason, ends_at,
           token_hash, token_generation, token_created_at)
         VALUES (@id, @subject, @clientId, @scope, @claims, @createdAt, @expiresAt, @idleTtl, @accessTtl, @rotate,
           @lastActiveAt, @generation, @rotatedAtMs, @accessHash, @retryBox, @revokedAt, @revokeReason, @endsAt,
           @tokenHash, @tokenGeneration, @tokenCreatedAt)`,
    ),
    getRetryBox: prepare<[string, number], { retry_box: Buffer | null }>(
      'SELECT retry_box FROM sessions WHERE id = ? AND generation = ?',
    ),
    getSession: prepare<[string], SessionRow>(
      `SELECT ${SESSION_COLUMNS} FROM sessions s WHERE s.id = ?`,
    ),
    findToken: prepare<{ id: string; hash: Buffer }, FoundTokenRow>(findTokenSql('@id', '@hash')),
    findLegacyToken: prepare<{ id: string; hash: Buffer }, FoundTokenRow>(
      findLegacyTokenSql('@id', '@hash'),
    ),
    hasLegacyTokens: prepare<[], { present: number }>(HAS_LEGACY_TOKENS_SQL),
    rotate: prepare(
      rotateSql({
        sessionId: '@sessionId',
        fromGeneration: '@fromGeneration',
        toGeneration: '@toGeneration',
        at: '@at',
        atMs: '@atMs',
        accessHash: '@accessHash',
        retryBox: '@retryBox',
        kind: '@kind',
        nextHash: '@nextHash',
        nextGeneration: '@nextGeneration',
        nextCreatedAt: '@nextCreatedAt',
      }),
    ),
    revokeSession: prepare(
      'UPDATE sessions SET revoked_at = ?, revoke_reason = ?, ends_at = ? WHERE id = ? AND revoked_at IS NULL',
    ),
    revokeBySubject: prepare<[number, string, number, string], RevokedRow>(
      `UPDATE sessions SET revoked_at = ?, revoke_reason = ?, ends_at = ? WHERE subject = ? AND revoked_at IS NULL
         RETURNING id, subject, client_id`,
    ),
    revokeByClient: prepare<[number, string, number, string], RevokedRow>(
      `UPDATE sessions SET revoked_at = ?, revoke_reason = ?, ends_at = ? WHERE client_id = ? AND revoked_at IS NULL
         RETURNING id, subject, client_id`,
    ),
    listRevocations: prepare<
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
    listAll: prepare<[string, number], SessionRow>(
      `SELECT ${SESSION_COLUMNS} FROM sessions s WHERE s.id > ? ORDER BY s.id LIMIT ?`,
    ),
    listBySubject: prepare<[string, string, number], SessionRow>(
      `SELECT ${SESSION_COLUMNS} FROM sessions s WHERE s.subject = ? AND s.id > ? ORDER BY s.id LIMIT ?`,
    ),
    listByClient: prepare<[string, string, number], SessionRow>(
      `SELECT ${SESSION_COLUMNS} FROM sessions s WHERE s.client_id = ? AND s.id > ? ORDER BY s.id LIMIT ?`,
    ),
    listBySubjectAndClient: prepare<[string, string, string, number], SessionRow>(
      `SELECT ${SESSION_COLUMNS} FROM sessions s WHERE s.subject = ? AND s.client_id = ? AND s.id > ? ORDER BY s.id LIMIT ?`,
    ),

    revokeJti: prepare(
      'INSERT INTO revoked_access_tokens (jti, expires_at) VALUES (?, ?) ON CONFLICT (jti) DO NOTHING',
    ),
    isJtiRevoked: prepare<[string], { one: number }>(
      'SELECT 1 AS one FROM revoked_access_tokens WHERE jti = ?',
    ),

    listKeys: prepare<[], KeyRow>('SELECT * FROM signing_keys ORDER BY created_at DESC, kid DESC'),
    countActiveKeys: prepare<[], { n: number }>(
      'SELECT COUNT(*) AS n FROM signing_keys WHERE retired_at IS NULL',
    ),
    retireKeys: prepare('UPDATE signing_keys SET retired_at = ? WHERE retired_at IS NULL'),
    insertKey: prepare(
      `INSERT INTO signing_keys (kid, alg, public_jwk, private_key, created_at, retired_at)
         VALUES (@kid, @alg, @publicJwk, @privateKey, @createdAt, NULL)`,
    ),

    appendEvent: prepare(
      `INSERT INTO events (type, at, session_id, subject, client_id, ip, detail)
         VALUES (@type, @at, @sessionId, @subject, @clientId, @ip, @detail)`,
    ),
    listEvents: prepare<
      { type: string | null; since: number | null; afterId: number; limit: number },
      EventRow
    >(
      `SELECT * FROM events WHERE id > @afterId AND (@type IS NULL OR type = @type) AND (@since IS NULL OR at >= @since)
         ORDER BY id LIMIT @limit`,
    ),

    sweepCandidates: prepare<[number, number], { id: string; end: number }>(
      `SELECT id, COALESCE(revoked_at, MIN(expires_at, last_active_at + idle_ttl)) AS end
         FROM sessions WHERE ends_at < ? ORDER BY ends_at LIMIT ?`,
    ),
    moveEnd: prepare('UPDATE sessions SET ends_at = ? WHERE id = ?'),
    // One stretch of the sessions in rowid order: how many of them are live, and where it ended.
    countLiveChunk: prepare<{ now: number; after: number; limit: number }, CountChunkRow>(
      `SELECT coalesce(sum(revoked_at IS NULL AND expires_at > @now AND last_active_at + idle_ttl > @now), 0) AS n,
              max(rowid) AS last
         FROM (SELECT rowid, revoked_at, expires_at, last_active_at, idle_ttl FROM sessions
                WHERE rowid > @after ORDER BY rowid LIMIT @limit)`,
    ),
    deleteTokensOf: prepare(
      'DELETE FROM refresh_tokens WHERE session_id IN (SELECT value FROM json_each(?))',
    ),
    deleteSessions: prepare('DELETE FROM sessions WHERE id IN (SELECT value FROM json_each(?))'),
    sweepJtis: prepare(
      'DELETE FROM revoked_access_tokens WHERE jti IN (SELECT jti FROM revoked_access_tokens WHERE expires_at < ? LIMIT ?)',
    ),
    sweepEvents: prepare(
      'DELETE FROM events WHERE id IN (SELECT id FROM events WHERE at < ? ORDER BY id LIMIT ?)',
    ),
    sweepKeys: prepare(
      'DELETE FROM signing_keys WHERE kid IN (SELECT kid FROM signing_keys WHERE retired_at IS NOT NULL AND retired_at < ? LIMIT ?)',
    ),
  };
}

/** The prepared statements of one connection. */
export type Statements = ReturnType<typeof prepareStatements>;
