import type Database from 'better-sqlite3';
import {
  REVOCATION_TYPES_SQL,
  SESSION_COLUMNS,
  type ClientRow,
  type EventRow,
  type KeyRow,
  type RevocationRow,
  type RevokedRow,
  type SessionRow,
} from '../sql-rows.js';

/** Every statement of the SQLite store, prepared once on its connection. */
export function prepareStatements(db: Database.Database) {
  return {
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
}

/** The prepared statements of one connection. */
export type Statements = ReturnType<typeof prepareStatements>;
