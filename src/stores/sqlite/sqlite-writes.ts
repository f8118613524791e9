import type Database from 'better-sqlite3';
import type {
  ClientRecord,
  NewSecurityEvent,
  RefreshTokenRecord,
  RotateOperation,
  SessionEventTemplate,
  SessionFilter,
  SessionQuery,
  SessionRecord,
  SigningKeyRecord,
  SweepCutoffs,
  SweepResult,
} from '../../core/index.js';
import { hashBytes, initialEndOf, toRevokedSessions, type SessionRow } from '../sql-rows.js';
import { unavailable } from './sqlite-errors.js';
import type { FileWatch } from './sqlite-file-watch.js';
import type { Statements } from './sqlite-statements.js';

/**
 * The SQLite store's operations that take more than one statement: each is one transaction
 * (IMMEDIATE, so that processes sharing the file take turns), and rotations of one event-loop
 * turn share one (group commit).
 */
export function createSqliteWrites(db: Database.Database, sql: Statements, file: FileWatch) {
  // Typed through the driver's exported alias, so that the declarations can name it.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the driver's own constraint
  const transaction = <F extends (...args: any[]) => unknown>(fn: F): Database.Transaction<F> =>
    db.transaction(fn);
  const eventParams = (event: NewSecurityEvent): Record<string, unknown> => ({ ...event });

  const createSession = transaction((session: SessionRecord, token: RefreshTokenRecord) => {
    sql.insertSession.run({
      ...session,
      claims: JSON.stringify(session.claims),
      rotate: session.rotate ? 1 : 0,
      accessHash: session.accessHash === null ? null : hashBytes(session.accessHash),
      retryBox: null,
      endsAt: initialEndOf(session),
      tokenHash: hashBytes(token.hash),
      tokenGeneration: token.generation,
      tokenCreatedAt: token.createdAt,
    });
  });

  function rotateOne(op: RotateOperation): boolean {
    const next = op.tokens.kind === 'rotate' ? op.tokens.next : undefined;
    return (
      sql.rotate.run({
        toGeneration: op.toGeneration,
        at: op.at,
        atMs: op.atMs,
        accessHash: hashBytes(op.accessHash),
        retryBox: op.retryBox,
        sessionId: op.sessionId,
        fromGeneration: op.fromGeneration,
        kind: op.tokens.kind,
        nextHash: next === undefined ? null : hashBytes(next.hash),
        nextGeneration: next?.generation ?? null,
        nextCreatedAt: next?.createdAt ?? null,
      }).changes === 1
    );
  }

  const rotateBatch = transaction((ops: RotateOperation[]): boolean[] => ops.map(rotateOne));

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

  const revokeSession = transaction(
    (id: string, at: number, reason: string, event?: NewSecurityEvent): boolean => {
      if (sql.revokeSession.run(at, reason, at, id).changes !== 1) return false;
      if (event !== undefined) sql.appendEvent.run(eventParams(event));
      return true;
    },
  );

  const revokeSessions = transaction(
    (filter: SessionFilter, at: number, reason: string, event: SessionEventTemplate) => {
      const rows =
        'subject' in filter
          ? sql.revokeBySubject.all(at, reason, at, filter.subject)
          : sql.revokeByClient.all(at, reason, at, filter.clientId);
      const revoked = toRevokedSessions(rows);
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

  const revokeAccessToken = transaction(
    (jti: string, expiresAt: number, event: NewSecurityEvent): boolean => {
      if (sql.revokeJti.run(jti, expiresAt).changes !== 1) return false;
      sql.appendEvent.run(eventParams(event));
      return true;
    },
  );

  const addFirstKey = transaction((key: SigningKeyRecord): boolean => {
    if ((sql.countActiveKeys.get()?.n ?? 0) > 0) return false;
    sql.insertKey.run({ ...key });
    return true;
  });
  const rotateKey = transaction((key: SigningKeyRecord): void => {
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
  const sweep = transaction((cutoffs: SweepCutoffs): SweepResult => {
    const candidates = sql.sweepCandidates.all(cutoffs.sessionsEndedBefore, cutoffs.limit * 4);
    const ended: string[] = [];
    for (const candidate of candidates) {
      if (candidate.end >= cutoffs.sessionsEndedBefore)
        sql.moveEnd.run(candidate.end, candidate.id);
      else if (ended.length < cutoffs.limit) ended.push(candidate.id);
    }
    const ids = JSON.stringify(ended);
    // Token rows of sessions from before their hashes moved into the session's row.
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

  /** Queues a rotation for the next group commit; resolves once it is committed (or lost). */
  const rotate = (op: RotateOperation): Promise<boolean> =>
    new Promise<boolean>((resolve, reject) => {
      const settle = (error: unknown, rotated?: boolean): void =>
        error === undefined ? resolve(rotated === true) : reject(error);
      if (pending.push({ op, settle }) === 1) setImmediate(commitPending);
    });

  return {
    eventParams,
    clientParams,
    createSession,
    rotate,
    revokeSession,
    revokeSessions,
    revokeAccessToken,
    addFirstKey,
    rotateKey,
    sweep,
    listSessions,
  };
}
