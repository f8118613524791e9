import {
  REVOCATION_EVENT_TYPES,
  sessionEndOf,
  type ClientRecord,
  type RefreshTokenRecord,
  type RevocationRecord,
  type RevokedSession,
  type SecurityEvent,
  type SessionRecord,
  type SigningKeyRecord,
} from '../core/index.js';

// Rows as the SQL stores return them (SQLite's integers for booleans, PostgreSQL's booleans), and
// their mapping to the core's records. Both schemas use the same column names.

export interface SessionRow {
  id: string;
  subject: string;
  client_id: string;
  scope: string;
  claims: string;
  created_at: number;
  expires_at: number;
  idle_ttl: number;
  access_ttl: number;
  rotate: number | boolean;
  last_active_at: number;
  generation: number;
  rotated_at_ms: number | null;
  access_hash: Buffer | Uint8Array | null;
  revoked_at: number | null;
  revoke_reason: string | null;
}

export interface ClientRow {
  id: string;
  secret_hash: string | null;
  access_ttl: number | null;
  refresh_ttl: number | null;
  idle_ttl: number | null;
  reuse_grace: number | null;
  rotate: number | boolean | null;
  audience: string | null;
  /** JSON array of dialect names, or NULL for the default. */
  dialects: string | null;
  /** JSON array of origins, or NULL for none. */
  allowed_origins: string | null;
  created_at: number;
}

export interface KeyRow {
  kid: string;
  alg: string;
  public_jwk: string | null;
  private_key: string;
  created_at: number;
  retired_at: number | null;
}

export interface RevokedRow {
  id: string;
  subject: string;
  client_id: string;
}

export interface EventRow {
  id: number;
  type: SecurityEvent['type'];
  at: number;
  session_id: string | null;
  subject: string | null;
  client_id: string | null;
  ip: string | null;
  detail: string | null;
}

export const SESSION_COLUMNS =
  's.id, s.subject, s.client_id, s.scope, s.claims, s.created_at, s.expires_at, s.idle_ttl, s.access_ttl, s.rotate, s.last_active_at, s.generation, s.rotated_at_ms, s.access_hash, s.revoked_at, s.revoke_reason';

export const toSession = (row: SessionRow): SessionRecord => ({
  id: row.id,
  subject: row.subject,
  clientId: row.client_id,
  scope: row.scope,
  claims: JSON.parse(row.claims) as Record<string, unknown>,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  idleTtl: row.idle_ttl,
  accessTtl: row.access_ttl,
  rotate: row.rotate === 1 || row.rotate === true,
  lastActiveAt: row.last_active_at,
  generation: row.generation,
  rotatedAtMs: row.rotated_at_ms,
  accessHash: row.access_hash === null ? null : Buffer.from(row.access_hash).toString('base64url'),
  revokedAt: row.revoked_at,
  revokeReason: row.revoke_reason,
});

export const toClient = (row: ClientRow): ClientRecord => ({
  id: row.id,
  secretHash: row.secret_hash,
  accessTtl: row.access_ttl,
  refreshTtl: row.refresh_ttl,
  idleTtl: row.idle_ttl,
  reuseGrace: row.reuse_grace,
  rotate: row.rotate === null ? null : row.rotate === 1 || row.rotate === true,
  audience: row.audience,
  dialects: row.dialects === null ? null : (JSON.parse(row.dialects) as string[]),
  allowedOrigins:
    row.allowed_origins === null ? null : (JSON.parse(row.allowed_origins) as string[]),
  createdAt: row.created_at,
});

export const toKey = (row: KeyRow): SigningKeyRecord => ({
  kid: row.kid,
  alg: row.alg,
  publicJwk: row.public_jwk,
  privateKey: row.private_key,
  createdAt: row.created_at,
  retiredAt: row.retired_at,
});

export const toEvent = (row: EventRow): SecurityEvent => ({
  id: row.id,
  type: row.type,
  at: row.at,
  sessionId: row.session_id,
  subject: row.subject,
  clientId: row.client_id,
  ip: row.ip,
  detail: row.detail,
});

/** A keyed hash (base64url) as the 32 bytes the tables store. */
export const hashBytes = (hash: string): Buffer => Buffer.from(hash, 'base64url');

/** A row of the revocation query: an event, joined with its revoked access-token row. */
export interface RevocationRow {
  id: number;
  at: number;
  type: string;
  session_id: string | null;
  jti: string | null;
  expires_at: number | null;
}

/** The revocations of the rows; an access-token revocation without its row (swept) is dropped. */
export function toRevocations(rows: readonly RevocationRow[]): RevocationRecord[] {
  const revocations: RevocationRecord[] = [];
  for (const row of rows) {
    if (row.type !== 'access_token.revoked') {
      if (row.session_id !== null)
        revocations.push({ id: row.id, at: row.at, kind: 'session', sessionId: row.session_id });
    } else if (row.jti !== null && row.expires_at !== null) {
      revocations.push({
        id: row.id,
        at: row.at,
        kind: 'jti',
        jti: row.jti,
        expiresAt: row.expires_at,
      });
    }
  }
  return revocations;
}

/** A session's initial `ends_at`: revoked, or the earlier of its absolute and idle ends. */
export const initialEndOf = sessionEndOf;

/** The event types whose rows {@link toRevocations} reads, as an SQL list. */
export const REVOCATION_TYPES_SQL = REVOCATION_EVENT_TYPES.map((type) => `'${type}'`).join(', ');

/**
 * The lookup of a refresh token by its session and keyed hash: the session's row when the hash is
 * its current token's or its used token's, with that token's generation and time. `id` and `hash`
 * are the dialect's placeholders.
 */
export const findTokenSql = (id: string, hash: string): string =>
  `SELECT CASE WHEN s.token_hash = ${hash} THEN s.token_generation ELSE s.used_token_generation END AS token_generation,
       CASE WHEN s.token_hash = ${hash} THEN s.token_created_at ELSE s.used_token_created_at END AS token_created_at,
       ${SESSION_COLUMNS}
     FROM sessions s WHERE s.id = ${id} AND (s.token_hash = ${hash} OR s.used_token_hash = ${hash})`;

/**
 * The same lookup for a session from before token hashes moved into the session's row (schema
 * version 6 on SQLite, 5 on PostgreSQL) that has not rotated since: its tokens are rows of
 * refresh_tokens, which nothing writes any more.
 */
export const findLegacyTokenSql = (id: string, hash: string): string =>
  `SELECT t.generation AS token_generation, t.created_at AS token_created_at, ${SESSION_COLUMNS}
     FROM sessions s JOIN refresh_tokens t ON t.session_id = s.id
    WHERE s.id = ${id} AND t.hash = ${hash} AND s.token_hash IS NULL`;

/** Whether any session may still have its tokens in refresh_tokens (see {@link findLegacyTokenSql}). */
export const HAS_LEGACY_TOKENS_SQL = 'SELECT EXISTS (SELECT 1 FROM refresh_tokens) AS present';

/** Placeholders of {@link rotateSql} in a dialect's syntax (with any casts it needs). */
export interface RotatePlaceholders {
  sessionId: string;
  fromGeneration: string;
  toGeneration: string;
  at: string;
  atMs: string;
  accessHash: string;
  retryBox: string;
  /** The token change: 'rotate', 'carry' or 'keep' (a text). */
  kind: string;
  /** The successor's keyed hash, generation and time ('rotate'; ignored otherwise). */
  nextHash: string;
  nextGeneration: string;
  nextCreatedAt: string;
}

/**
 * A rotation as one compare-and-set UPDATE of the session's row: it moves the session from
 * `fromGeneration` to `toGeneration` only while the session is there and live, and changes its
 * tokens by `kind` in the same row. A rotating session's current token is at the session's
 * generation, so: 'rotate' makes the current token the used one and the successor current (the
 * token used before is dropped); 'carry' keeps the current token current at the new generation
 * and drops the used one; 'keep' leaves both alone (a session without rotation).
 *
 * A session whose tokens are still rows of refresh_tokens (no `token_hash` yet) has its current
 * token, the one at `fromGeneration`, read from there into its row: COALESCE evaluates that
 * subquery only for such a session.
 */
export const rotateSql = (p: RotatePlaceholders): string => {
  const legacy = (column: 'hash' | 'created_at'): string =>
    `(SELECT t.${column} FROM refresh_tokens t WHERE t.session_id = sessions.id AND t.generation = ${p.fromGeneration})`;
  const currentHash = `COALESCE(token_hash, ${legacy('hash')})`;
  const currentCreatedAt = `COALESCE(token_created_at, ${legacy('created_at')})`;
  return `UPDATE sessions SET generation = ${p.toGeneration}, last_active_at = ${p.at}, rotated_at_ms = ${p.atMs},
       access_hash = ${p.accessHash}, retry_box = ${p.retryBox},
       used_token_hash = CASE ${p.kind} WHEN 'rotate' THEN ${currentHash} WHEN 'carry' THEN NULL ELSE used_token_hash END,
       used_token_generation = CASE ${p.kind} WHEN 'rotate' THEN COALESCE(token_generation, ${p.fromGeneration}) WHEN 'carry' THEN NULL ELSE used_token_generation END,
       used_token_created_at = CASE ${p.kind} WHEN 'rotate' THEN ${currentCreatedAt} WHEN 'carry' THEN NULL ELSE used_token_created_at END,
       token_hash = CASE ${p.kind} WHEN 'rotate' THEN ${p.nextHash} WHEN 'carry' THEN ${currentHash} ELSE token_hash END,
       token_generation = CASE ${p.kind} WHEN 'rotate' THEN ${p.nextGeneration} WHEN 'carry' THEN ${p.toGeneration} ELSE token_generation END,
       token_created_at = CASE ${p.kind} WHEN 'rotate' THEN ${p.nextCreatedAt} WHEN 'carry' THEN ${currentCreatedAt} ELSE token_created_at END
     WHERE id = ${p.sessionId} AND generation = ${p.fromGeneration} AND revoked_at IS NULL
       AND expires_at > ${p.at} AND last_active_at + idle_ttl > ${p.at}`;
};

/** A session row with one of its refresh tokens' generation and time (the refresh lookup). */
export type FoundTokenRow = SessionRow & { token_generation: number; token_created_at: number };

/** The token and session of a {@link FoundTokenRow}; `hash` is the one looked up. */
export function toFoundToken(
  row: FoundTokenRow,
  hash: string,
): { token: RefreshTokenRecord; session: SessionRecord } {
  return {
    token: {
      hash,
      sessionId: row.id,
      generation: row.token_generation,
      createdAt: row.token_created_at,
    },
    session: toSession(row),
  };
}

/** The sessions a bulk revocation returned, ordered by id. */
export function toRevokedSessions(rows: readonly RevokedRow[]): RevokedSession[] {
  return rows
    .map((row) => ({ id: row.id, subject: row.subject, clientId: row.client_id }))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
}
