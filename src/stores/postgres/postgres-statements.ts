import { SESSION_COLUMNS } from '../sql-rows.js';

// The SQL of the PostgreSQL store's one-statement operations.

/** The statements of the refresh path (exported for the query-plan test). */
export const HOT_STATEMENTS = {
  // $6 is the token change: 'rotate' inserts $7, 'carry' moves the current token forward, both
  // prune the tokens older than the one just used; 'keep' leaves them alone.
  rotate: `WITH s AS (
      UPDATE sessions SET generation = $3, last_active_at = $4, rotated_at_ms = $8, access_hash = $9, retry_box = $5
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
        revoke_reason, ends_at, access_hash)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, NULL, $14, $15, $16, $20)
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

export const CLIENT_COLUMNS =
  'id, secret_hash, access_ttl, refresh_ttl, idle_ttl, reuse_grace, rotate, audience, dialects, allowed_origins, created_at';
