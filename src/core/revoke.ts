import { verifyAccessToken } from './access-token.js';
import { checkClientBinding, type ClientIdentity } from './clients.js';
import type { ServiceContext } from './context.js';
import { BatonError } from './errors.js';
import { sessionIdOf } from './refresh-token.js';
import { keyedHash } from './secrets.js';
import type { NewSecurityEvent, SessionFilter, SessionRecord } from './store.js';

/** Why a session was revoked, as stored in `revokeReason`. */
export type RevokeReason = 'reuse' | 'logout' | 'admin' | 'subject' | 'client_deleted';

function sessionEvent(
  session: Pick<SessionRecord, 'id' | 'subject' | 'clientId'>,
  at: number,
  reason: string,
  ip: string | null,
): NewSecurityEvent {
  return {
    type: 'session.revoked',
    at,
    sessionId: session.id,
    subject: session.subject,
    clientId: session.clientId,
    ip,
    detail: reason,
  };
}

/** Revokes one session (logout). Returns false if it was already revoked; throws if unknown. */
export async function revokeSession(
  ctx: ServiceContext,
  id: string,
  reason: RevokeReason,
  ip?: string,
): Promise<boolean> {
  const session = await ctx.store.getSession(id);
  if (session === undefined) throw new BatonError('ERR_NOT_FOUND', `no session ${id}`);
  const event = sessionEvent(session, ctx.clock.now(), reason, ip ?? null);
  const revoked = await ctx.store.revokeSession(id, event.at, reason, event);
  if (revoked) ctx.events.publish(event);
  return revoked;
}

/** Revokes every live session of a subject or a client; returns how many ended. */
export async function revokeSessions(
  ctx: ServiceContext,
  filter: SessionFilter,
  reason: RevokeReason,
  ip?: string,
): Promise<number> {
  const now = ctx.clock.now();
  const revoked = await ctx.store.revokeSessions(filter, now, reason);
  for (const session of revoked) {
    const event = sessionEvent(session, now, reason, ip ?? null);
    await ctx.store.appendEvent(event);
    ctx.events.publish(event);
  }
  return revoked.length;
}

/**
 * RFC 7009 revocation. A refresh token ends its whole session; an access token is revoked by
 * `jti` until it expires. Unknown, malformed and expired tokens are ignored (the RFC answers 200
 * for them). The caller must be allowed to use the token (see `checkClientBinding`).
 */
export async function revokeToken(
  ctx: ServiceContext,
  token: string,
  caller: ClientIdentity | undefined,
  ip?: string,
): Promise<void> {
  const now = ctx.clock.now();
  const sessionId = sessionIdOf(token);
  if (sessionId !== undefined) {
    const found = await ctx.store.findRefreshToken(sessionId, keyedHash(ctx.secrets.pepper, token));
    if (found === undefined) return;
    await checkCaller(ctx, found.session.clientId, caller);
    const event = sessionEvent(found.session, now, 'logout', ip ?? null);
    if (await ctx.store.revokeSession(found.session.id, now, 'logout', event))
      ctx.events.publish(event);
    return;
  }
  let claims;
  try {
    claims = await verifyAccessToken(token, ctx.keyring, { issuer: ctx.options.issuer, now });
  } catch (error) {
    if (error instanceof BatonError && error.code === 'ERR_ACCESS_TOKEN_INVALID') return;
    throw error;
  }
  await checkCaller(ctx, claims.client_id, caller);
  await ctx.store.revokeAccessToken(claims.jti, claims.exp);
  const event: NewSecurityEvent = {
    type: 'access_token.revoked',
    at: now,
    sessionId: claims.sid,
    subject: claims.sub,
    clientId: claims.client_id,
    ip: ip ?? null,
    detail: null,
  };
  await ctx.store.appendEvent(event);
  ctx.events.publish(event);
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
