import { checkClientBinding, type ClientIdentity } from './clients.js';
import type { ServiceContext } from './context.js';
import { BatonError } from './errors.js';
import { COUNTED_FAILURES, enforceLimit, guardFailures } from './failure-limits.js';
import { generateRefreshToken, sessionIdOf } from './refresh-token.js';
import { open, retryBoxKey } from './sealed-box.js';
import { narrowScope } from './scope.js';
import { keyedHash } from './secrets.js';
import type { ClientRecord, NewSecurityEvent, RefreshTokenRecord, SessionRecord } from './store.js';
import { issueTokenSet, retryBoxAad, type TokenSet } from './token-set.js';

/** A refresh as every face hands it to the core. */
export interface RefreshRequest {
  /** The refresh token presented. */
  refreshToken: string;
  /** The calling client as client authentication established it; absent if none was given. */
  client?: ClientIdentity | undefined;
  /** A narrower scope for the new access token (RFC 6749 §6). */
  scope?: string | undefined;
  /** Client IP, for rate limits and security events. */
  ip?: string | undefined;
}

/** The result of a refresh. */
export interface RefreshResult {
  tokens: TokenSet;
  /** True when this was a retry inside the reuse grace, answered with the earlier response. */
  replayed: boolean;
}

/** A rotation lost to a concurrent one: read the session again and decide afresh. */
const LOST_RACE = Symbol('lost race');

// A lost race is followed by a re-read that sees the winner, so two passes settle every refresh.
const MAX_PASSES = 3;

/**
 * Refreshes a session (SPEC section 2): rotation, idempotent retry inside the reuse grace, reuse
 * detection, lifetimes, and exactly one winner among concurrent refreshes of one token.
 */
export async function refresh(
  ctx: ServiceContext,
  request: RefreshRequest,
): Promise<RefreshResult> {
  return guardFailures(ctx, request.ip, async () => {
    const now = ctx.clock.now();
    let session: SessionRecord | undefined;
    try {
      const sessionId = sessionIdOf(request.refreshToken);
      if (sessionId === undefined) throw unknownToken();
      const hash = keyedHash(ctx.secrets.pepper, request.refreshToken);
      for (let pass = 0; pass < MAX_PASSES; pass++) {
        const found = await ctx.store.findRefreshToken(sessionId, hash);
        if (found === undefined) throw unknownToken();
        if (session === undefined) {
          await enforceLimit(
            ctx,
            sessionKey(found.session.id),
            ctx.options.rateLimit.sessionFailures,
            now,
          );
        }
        session = found.session;
        const result = await refreshFound(ctx, request, found.token, found.session, now);
        if (result !== LOST_RACE) return result;
      }
      throw new BatonError('ERR_INTERNAL', 'the refresh did not settle', {
        detail: 'rotation conflict persisted',
      });
    } catch (error) {
      if (
        session !== undefined &&
        error instanceof BatonError &&
        COUNTED_FAILURES.has(error.code)
      ) {
        await recordSessionFailure(ctx, error, session, request.ip, now);
      }
      throw error;
    }
  });
}

async function refreshFound(
  ctx: ServiceContext,
  request: RefreshRequest,
  token: RefreshTokenRecord,
  session: SessionRecord,
  now: number,
): Promise<RefreshResult | typeof LOST_RACE> {
  const client = await ctx.clients.get(session.clientId);
  if (client === undefined)
    throw new BatonError('ERR_SESSION_REVOKED', 'the session has been revoked', {
      detail: 'client removed',
    });
  checkClientBinding(client, request.client);
  if (session.revokedAt !== null)
    throw new BatonError('ERR_SESSION_REVOKED', 'the session has been revoked');
  if (now >= session.expiresAt)
    throw new BatonError('ERR_SESSION_EXPIRED', 'the session has expired');
  if (now >= session.lastActiveAt + session.idleTtl) {
    throw new BatonError(
      'ERR_SESSION_IDLE',
      'the session expired after a period without refreshes',
    );
  }
  const scope = narrowScope(session.scope, request.scope);
  const grace = client.reuseGrace ?? ctx.options.reuseGrace;
  const inGrace = session.rotatedAt !== null && now - session.rotatedAt <= grace;

  if (session.rotate && token.generation < session.generation) {
    // A used token: the same answer again while its successor is unused and the grace lasts,
    // otherwise somebody else holds this family: end it.
    if (inGrace && token.generation === session.generation - 1)
      return replay(ctx, request, session);
    return detectReuse(ctx, request, token, session, now);
  }
  // Without rotation the token never becomes used; refreshes inside the grace share one answer,
  // so that tabs refreshing together do not retire each other's access tokens.
  if (!session.rotate && inGrace) return replay(ctx, request, session);
  return rotate(ctx, request, session, client, scope, now);
}

async function rotate(
  ctx: ServiceContext,
  request: RefreshRequest,
  session: SessionRecord,
  client: ClientRecord,
  scope: string,
  now: number,
): Promise<RefreshResult | typeof LOST_RACE> {
  const generation = session.generation + 1;
  const refreshToken = session.rotate ? generateRefreshToken(session.id) : null;
  // Mint (sign, seal) before the atomic write, so the retry box exists from the moment the
  // presented token is used.
  const { tokens, retryBox, refreshTokenHash } = await issueTokenSet(ctx, session, client, {
    generation,
    scope,
    refreshToken,
    now,
    presentedToken: request.refreshToken,
  });
  const rotated = await ctx.store.rotate({
    sessionId: session.id,
    fromGeneration: session.generation,
    toGeneration: generation,
    at: now,
    retryBox: retryBox as Uint8Array,
    nextToken:
      refreshTokenHash === null
        ? null
        : { hash: refreshTokenHash, sessionId: session.id, generation, createdAt: now },
  });
  return rotated ? { tokens, replayed: false } : LOST_RACE;
}

async function replay(
  ctx: ServiceContext,
  request: RefreshRequest,
  session: SessionRecord,
): Promise<RefreshResult | typeof LOST_RACE> {
  const box = await ctx.store.getRetryBox(session.id, session.generation);
  // The session moved on since it was read: decide again on fresh state.
  if (box === undefined) return LOST_RACE;
  const plaintext = open(
    retryBoxKey(request.refreshToken),
    box,
    retryBoxAad(session.id, session.generation),
  );
  if (plaintext === undefined) {
    // Only the token presented for the last refresh can open the box; a hash match makes this
    // unreachable short of corrupted data.
    throw new BatonError('ERR_INTERNAL', 'the earlier response cannot be recovered', {
      detail: 'retry box did not open',
    });
  }
  return { tokens: JSON.parse(plaintext.toString('utf8')) as TokenSet, replayed: true };
}

async function detectReuse(
  ctx: ServiceContext,
  request: RefreshRequest,
  token: RefreshTokenRecord,
  session: SessionRecord,
  now: number,
): Promise<never> {
  const event: NewSecurityEvent = {
    type: 'refresh_token.reused',
    at: now,
    sessionId: session.id,
    subject: session.subject,
    clientId: session.clientId,
    ip: request.ip ?? null,
    detail: `generation ${token.generation} presented at generation ${session.generation}`,
  };
  if (await ctx.store.revokeSession(session.id, now, 'reuse', event)) ctx.events.publish(event);
  throw new BatonError(
    'ERR_REFRESH_TOKEN_REUSED',
    'the refresh token was already used; the session has been revoked',
  );
}

async function recordSessionFailure(
  ctx: ServiceContext,
  error: BatonError,
  session: SessionRecord,
  ip: string | undefined,
  now: number,
): Promise<void> {
  await ctx.limiter.hit(sessionKey(session.id), ctx.options.rateLimit.windowTtl, now);
  // Reuse has its own event; failures without a known session are only counted, so that
  // sprayed garbage cannot fill the event table.
  if (error.code === 'ERR_REFRESH_TOKEN_REUSED') return;
  const event: NewSecurityEvent = {
    type: 'refresh.failed',
    at: now,
    sessionId: session.id,
    subject: session.subject,
    clientId: session.clientId,
    ip: ip ?? null,
    detail: error.reason,
  };
  await ctx.store.appendEvent(event);
  ctx.events.publish(event);
}

const sessionKey = (sessionId: string): string => `session:${sessionId}`;

function unknownToken(): BatonError {
  return new BatonError('ERR_REFRESH_TOKEN_UNKNOWN', 'the refresh token is not valid');
}
