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

/** A session row joined with one of its refresh tokens (the refresh lookup). */
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
