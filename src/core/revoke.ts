import { checkAccessToken } from './check-access-token.js';
import { checkClientBinding, type ClientIdentity } from './clients.js';
import type { ServiceContext } from './context.js';
import { BatonError } from './errors.js';
import { checkBudget, spendBudget } from './failure-limits.js';
import { findRefreshToken } from './refresh/find-refresh-token.js';
import { securityEvent } from './record-event.js';
import { looksLikeRefreshToken } from './refresh/refresh-token.js';
import type { SessionRecord } from './records.js';
import type { NewSecurityEvent } from './security-events.js';
import type { SessionFilter } from './store.js';

/** Why a session was revoked, as stored in `revokeReason`. */
export type RevokeReason = 'reuse' | 'logout' | 'admin' | 'subject' | 'client_deleted';

const sessionEvent = (
  session: Pick<SessionRecord, 'id' | 'subject' | 'clientId'>,
  at: number,
  reason: string,
  ip: string | undefined,
): NewSecurityEvent => securityEvent('session.revoked', at, { session, ip, detail: reason });

/** Revokes one session (logout). Returns false if it was already revoked; throws if unknown. */
export async function revokeSession(
  ctx: ServiceContext,
  id: string,
  reason: RevokeReason,
  ip?: string,
): Promise<boolean> {
  const session = await ctx.store.getSession(id);
  if (session === undefined) throw new BatonError('ERR_NOT_FOUND', `no session ${id}`);
  const event = sessionEvent(session, ctx.clock.now(), reason, ip);
  const revoked = await ctx.store.revokeSession(id, event.at, reason, event);
  if (revoked) ctx.events.publish(event);
  return revoked;
}

/**
 * Revokes every live session of a subject or a client, recording a `session.revoked` event for
 * each in the same transaction; returns how many ended.
 */
export async function revokeSessions(
  ctx: ServiceContext,
  filter: SessionFilter,
  reason: RevokeReason,
  ip?: string,
): Promise<number> {
  const now = ctx.clock.now();
  const revoked = await ctx.store.revokeSessions(filter, now, reason, {
    type: 'session.revoked',
    at: now,
    ip: ip ?? null,
    detail: reason,
  });
  for (const session of revoked) ctx.events.publish(sessionEvent(session, now, reason, ip));
  return revoked.length;
}

/**
 * RFC 7009 revocation. A refresh token ends its whole session; an access token is revoked by
 * `jti` until it expires. Unknown, malformed, expired and already inactive tokens change nothing
 * and record nothing (the RFC answers 200 for them); such no-ops spend the caller's `revoke`
 * budget, and past it are answered 429. The caller must be allowed to use the token (see
 * `checkClientBinding`).
 */
export async function revokeToken(
  ctx: ServiceContext,
  token: string,
  caller: ClientIdentity | undefined,
  ip?: string,
): Promise<void> {
  const now = ctx.clock.now();
  const changed = looksLikeRefreshToken(token)
    ? await revokeByRefreshToken(ctx, token, caller, ip, now)
    : await revokeByAccessToken(ctx, token, caller, ip, now);
  if (changed || ip === undefined) return;
  await checkBudget(ctx, 'revoke', ip, now);
  await spendBudget(ctx, 'revoke', ip, now);
}

async function revokeByRefreshToken(
  ctx: ServiceContext,
  token: string,
  caller: ClientIdentity | undefined,
  ip: string | undefined,
  now: number,
): Promise<boolean> {
  const found = await findRefreshToken(ctx, token);
  if (found === undefined) return false;
  await checkCaller(ctx, found.session.clientId, caller);
  const event = sessionEvent(found.session, now, 'logout', ip);
  const revoked = await ctx.store.revokeSession(found.session.id, now, 'logout', event);
  if (revoked) ctx.events.publish(event);
  return revoked;
}

async function revokeByAccessToken(
  ctx: ServiceContext,
  token: string,
  caller: ClientIdentity | undefined,
  ip: string | undefined,
  now: number,
): Promise<boolean> {
  let checked;
  try {
    checked = await checkAccessToken(ctx, token);
  } catch (error) {
    // Invalid, expired, revoked, superseded: nothing left to revoke.
    if (error instanceof BatonError && error.code === 'ERR_ACCESS_TOKEN_INVALID') return false;
    throw error;
  }
  const { claims } = checked;
  await checkCaller(ctx, claims.client_id, caller);
  // The revocation list hands the jti to resource servers.
  const event = securityEvent('access_token.revoked', now, {
    session: { id: claims.sid, subject: claims.sub, clientId: claims.client_id },
    ip,
    detail: claims.jti,
  });
  if (!(await ctx.store.revokeAccessToken(claims.jti, claims.exp, event))) return false;
  ctx.events.publish(event);
  return true;
}

async function checkCaller(
  ctx: ServiceContext,
  clientId: string,
  caller: ClientIdentity | undefined,
): Promise<void> {
  const client = await ctx.clients.get(clientId);
  if (client === undefined) return; // a removed client's sessions are revoked already
  try {
    checkClientBinding(client, caller);
  } catch (error) {
    // RFC 7009 §2.1: a token of another client is refused with unauthorized_client.
    if (error instanceof BatonError && error.code === 'ERR_CLIENT_MISMATCH') {
      throw new BatonError('ERR_UNAUTHORIZED_CLIENT', 'the token was issued to another client');
    }
    throw error;
  }
}
