import {
  SESSION_COLUMNS,
  findLegacyTokenSql,
  findTokenSql,
  HAS_LEGACY_TOKENS_SQL,
  rotateSql,
} from '../sql-rows.js';

// The SQL of the PostgreSQL store's one-statement operations.

/** The statements of the refresh path (exported for the query-plan test). */
export const HOT_STATEMENTS = {
  // $6 is the token change ('rotate', 'carry' or 'keep'); $7, $10 and $11 the successor's hash,
  // generation and time.
  rotate: rotateSql({
    sessionId: '$1',
    fromGeneration: '$2',
    toGeneration: '$3',
    at: '$4',
    retryBox: '$5',
    kind: '$6::text',
    nextHash: '$7::bytea',
    atMs: '$8',
    accessHash: '$9',
    nextGeneration: '$10::integer',
    nextCreatedAt: '$11::bigint',
  }),
  findToken: findTokenSql('$1', '$2::bytea'),
  findLegacyToken: findLegacyTokenSql('$1', '$2::bytea'),
  hasLegacyTokens: HAS_LEGACY_TOKENS_SQL,
  getSession: `SELECT ${SESSION_COLUMNS} FROM sessions s WHERE s.id = $1`,
  getRetryBox: 'SELECT retry_box FROM sessions WHERE id = $1 AND generation = $2',
  createSession: `INSERT INTO sessions (id, subject, client_id, scope, claims, created_at, expires_at,
      idle_ttl, access_ttl, rotate, last_active_at, generation, rotated_at_ms, retry_box, revoked_at,
      revoke_reason, ends_at, token_hash, token_generation, token_created_at, access_hash)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, NULL, $14, $15, $16, $17, $18,
      $19, $20)`,
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
