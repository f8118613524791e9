import { AUDIENCE_NOTE, type ClientIdentity } from './clients.js';
import { MAX_ACCESS_TTL } from './config.js';
import type { ServiceContext } from './context.js';
import { BatonError } from './errors.js';

/** Revocations per answer at most. */
export const REVOCATION_PAGE = 1000;

/**
 * Seconds an answer keeps re-sending its newest revocations: the cursor does not pass a
 * revocation younger than this, so one whose transaction committed after a later one (ids are
 * assigned before commit on PostgreSQL) is still handed out. Longer than any statement may run.
 */
export const REVOCATION_LAG_TTL = 10;

/** What resource servers poll: revoked sessions and access tokens since a cursor. */
export interface RevocationList {
  /** Pass as `after` next time. */
  cursor: string;
  /** Revoked sessions: every access token with this `sid` is revoked. Times are epoch seconds. */
  sessions: { sid: string; revokedAt: number }[];
  /** Revoked access tokens, each until it expires (`exp`, epoch seconds). */
  jtis: { jti: string; exp: number }[];
}

/** Who asks: the admin token (everything), or an authenticated client (see below). */
export type RevocationListCaller = 'admin' | ClientIdentity;

/**
 * The clients whose sessions `callerId` may see: itself, the clients whose audience it is, and
 * those that were until they were removed within the list's window (their sessions were revoked
 * by the removal, and their tokens still name the caller as audience until they expire).
 */
async function audienceClients(
  ctx: ServiceContext,
  callerId: string,
  now: number,
): Promise<string[]> {
  const current = (await ctx.store.listClients()).filter((c) => c.audience === callerId);
  const removed = await ctx.store.listEvents({
    type: 'client.deleted',
    since: now - MAX_ACCESS_TTL,
    limit: REVOCATION_PAGE,
  });
  const wasAudience = removed.flatMap((event) =>
    event.clientId !== null && event.detail?.endsWith(`${AUDIENCE_NOTE}${callerId}`) === true
      ? [event.clientId]
      : [],
  );
  return [callerId, ...current.map((client) => client.id), ...wasAudience];
}

/**
 * The revocations after `after` (a cursor of an earlier answer; from the start when absent),
 * kept as long as an access token can live. A client sees revocations of its own sessions and
 * of sessions whose access tokens name it as audience. The same revocation may be listed by more
 * than one answer: the lists are sets.
 */
export async function listRevocations(
  ctx: ServiceContext,
  caller: RevocationListCaller,
  after: string | undefined,
): Promise<RevocationList> {
  if (after !== undefined && !/^[0-9]{1,15}$/.test(after))
    throw new BatonError('ERR_INVALID_REQUEST', 'after must be a cursor of an earlier answer');
  const afterId = after === undefined ? 0 : Number(after);
  const now = ctx.clock.now();
  let clientIds: string[] | undefined;
  if (caller !== 'admin') clientIds = await audienceClients(ctx, caller.id, now);
  const rows = await ctx.store.listRevocations({
    afterId,
    since: now - MAX_ACCESS_TTL,
    limit: REVOCATION_PAGE,
    ...(clientIds === undefined ? {} : { clientIds }),
  });
  const sessions = new Map<string, number>();
  const jtis = new Map<string, number>();
  let cursor = afterId;
  for (const row of rows) {
    if (row.kind === 'session') sessions.set(row.sessionId, row.at);
    else jtis.set(row.jti, row.expiresAt);
    if (row.at < now - REVOCATION_LAG_TTL) cursor = row.id;
  }
  // A full page moves on regardless, so that a burst of revocations cannot stall the reader.
  if (rows.length === REVOCATION_PAGE) cursor = rows.at(-1)?.id ?? cursor;
  return {
    cursor: String(cursor),
    sessions: [...sessions].map(([sid, revokedAt]) => ({ sid, revokedAt })),
    jtis: [...jtis].map(([jti, exp]) => ({ jti, exp })),
  };
}
