import type {
  NewSecurityEvent,
  RefreshTokenRecord,
  RevocationQuery,
  RotateOperation,
  SessionFilter,
  SessionQuery,
  SessionRecord,
  Store,
} from '../../core/index.js';
import {
  REVOCATION_TYPES_SQL,
  SESSION_COLUMNS,
  hashBytes,
  initialEndOf,
  toFoundToken,
  toRevocations,
  toRevokedSessions,
  toSession,
  type FoundTokenRow,
  type RevocationRow,
  type RevokedRow,
  type SessionRow,
} from '../sql-rows.js';
import type { Query } from './postgres-pool.js';
import { HOT_STATEMENTS } from './postgres-statements.js';

/** The operations of the Store contract on sessions, refresh tokens and revocations. */
export type SessionOperations = Pick<
  Store,
  | 'createSession'
  | 'getSession'
  | 'listSessions'
  | 'getRetryBox'
  | 'findRefreshToken'
  | 'rotate'
  | 'revokeSession'
  | 'revokeSessions'
  | 'revokeAccessToken'
  | 'isAccessTokenRevoked'
  | 'listRevocations'
  | 'countLiveSessions'
>;

/**
 * The PostgreSQL store's session operations: each one statement on a pooled connection, so
 * that a refresh is two round trips (the lookup and the compare-and-set rotation).
 */
export function sessionOperations(query: Query): SessionOperations & {
  /** Checks again whether sessions from before schema version 5 keep tokens in refresh_tokens. */
  checkLegacyTokens(): Promise<void>;
} {
  // Whether sessions from before schema version 5 may still have their tokens as rows of
  // refresh_tokens; until checked, assume they may.
  let legacyTokens = true;
  const checkLegacyTokens = async (): Promise<void> => {
    const { rows } = await query<{ present: boolean }>(
      'baton_has_legacy_tokens',
      HOT_STATEMENTS.hasLegacyTokens,
    );
    legacyTokens = rows[0]?.present === true;
  };

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

  return {
    checkLegacyTokens,
    listSessions,
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
        session.accessHash === null ? null : hashBytes(session.accessHash),
      ]);
    },
    async getSession(id) {
      const { rows } = await query<SessionRow>('baton_get_session', HOT_STATEMENTS.getSession, [
        id,
      ]);
      return rows[0] === undefined ? undefined : toSession(rows[0]);
    },
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
      const params = [sessionId, hashBytes(hash)];
      let row = (await query<FoundTokenRow>('baton_find_token', HOT_STATEMENTS.findToken, params))
        .rows[0];
      if (row === undefined && legacyTokens) {
        row = (
          await query<FoundTokenRow>(
            'baton_find_legacy_token',
            HOT_STATEMENTS.findLegacyToken,
            params,
          )
        ).rows[0];
      }
      return row === undefined ? undefined : toFoundToken(row, hash);
    },
    async rotate(op: RotateOperation) {
      const next = op.tokens.kind === 'rotate' ? op.tokens.next : undefined;
      const { rowCount } = await query('baton_rotate', HOT_STATEMENTS.rotate, [
        op.sessionId,
        op.fromGeneration,
        op.toGeneration,
        op.at,
        Buffer.from(op.retryBox.buffer, op.retryBox.byteOffset, op.retryBox.byteLength),
        op.tokens.kind,
        next === undefined ? null : hashBytes(next.hash),
        op.atMs,
        hashBytes(op.accessHash),
        next?.generation ?? null,
        next?.createdAt ?? null,
      ]);
      return rowCount === 1;
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
      return toRevokedSessions(rows);
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
  };
}
