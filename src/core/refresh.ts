import { verifyAccessToken } from './access-token.js';
import { checkClientBinding, type ClientIdentity } from './clients.js';
import type { ServiceContext } from './context.js';
import { checkDialectAllowed, type DialectName } from './dialects.js';
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
  /**
   * The dialect the refresh came through; absent for the OAuth face. Dialects carry no client
   * authentication: the client's dialect switch decides instead (see `allowsDialect`).
   */
  dialect?: DialectName | undefined;
  /**
   * An access token presented beside the refresh token (sevenG): it must be genuine and of the
   * same session, and may be expired.
   */
  accessToken?: string | undefined;
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
export const LOST_RACE = Symbol('lost race');

/** What one pass of a refresh decided. */
export type RefreshDecision = RefreshResult | typeof LOST_RACE;

// A lost race is followed by a re-read that sees the winner, so two passes settle every refresh.
const MAX_PASSES = 3;

/**
 * Runs a refresh to its end: `load` finds the session (throwing when the credential names
 * none), `decide` answers or reports a lost race, after which the session is read again. The
 * caller's IP and the session are rate limited, and counted failures are recorded against both.
 */
export async function runRefresh(
  ctx: ServiceContext,
  ip: string | undefined,
  load: () => Promise<SessionRecord>,
  decide: (session: SessionRecord, now: number) => Promise<RefreshDecision>,
): Promise<RefreshResult> {
  return guardFailures(ctx, ip, async () => {
    const now = ctx.clock.now();
    let session: SessionRecord | undefined;
    try {
      for (let pass = 0; pass < MAX_PASSES; pass++) {
        const found = await load();
        if (session === undefined) {
          await enforceLimit(ctx, sessionKey(found.id), ctx.options.rateLimit.sessionFailures, now);
        }
        session = found;
        const result = await decide(found, now);
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
        await recordSessionFailure(ctx, error, session, ip, now);
      }
      throw error;
    }
  });
}

/**
 * Refreshes a session (SPEC section 2): rotation, idempotent retry inside the reuse grace, reuse
 * detection, lifetimes, and exactly one winner among concurrent refreshes of one token.
 */
export async function refresh(
  ctx: ServiceContext,
  request: RefreshRequest,
): Promise<RefreshResult> {
  let token: RefreshTokenRecord | undefined;
  const sessionId = sessionIdOf(request.refreshToken);
  const hash = sessionId === undefined ? '' : keyedHash(ctx.secrets.pepper, request.refreshToken);
  return runRefresh(
    ctx,
    request.ip,
    async () => {
      if (sessionId === undefined) throw unknownToken();
      if (token === undefined && request.accessToken !== undefined)
        await checkCompanionAccessToken(ctx, request.accessToken, sessionId);
      const found = await ctx.store.findRefreshToken(sessionId, hash);
      if (found === undefined) throw unknownToken();
      token = found.token;
      return found.session;
    },
    (session, now) => refreshFound(ctx, request, token as RefreshTokenRecord, session, now),
  );
}

/** The sevenG rule: the access token beside the refresh token is Baton's, of the same session. */
async function checkCompanionAccessToken(
  ctx: ServiceContext,
  accessToken: string,
  sessionId: string,
): Promise<void> {
  const claims = await verifyAccessToken(accessToken, ctx.keyring, {
    issuer: ctx.options.issuer,
    now: ctx.clock.now(),
    allowExpired: true,
  });
  if (claims.sid !== sessionId) {
    throw new BatonError(
      'ERR_ACCESS_TOKEN_INVALID',
      'the access token belongs to another session than the refresh token',
    );
  }
}

/**
 * The session's client, checked against the caller: client authentication on the OAuth face,
 * the client's dialect switch on a dialect.
 */
export async function sessionClient(
  ctx: ServiceContext,
  session: SessionRecord,
  caller: { client?: ClientIdentity | undefined; dialect?: DialectName | undefined },
): Promise<ClientRecord> {
  const client = await ctx.clients.get(session.clientId);
  if (client === undefined)
    throw new BatonError('ERR_SESSION_REVOKED', 'the session has been revoked', {
      detail: 'client removed',
    });
  if (caller.dialect === undefined) checkClientBinding(client, caller.client);
  else checkDialectAllowed(client, caller.dialect);
  return client;
}

/** Throws unless the session can still be refreshed at `now`: not revoked, expired or idle. */
export function checkSessionLive(session: SessionRecord, now: number): void {
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
}

/** Whether the last refresh of `session` is recent enough for a retry to get its answer. */
export function inReuseGrace(
  ctx: ServiceContext,
  session: SessionRecord,
  client: ClientRecord,
  now: number,
): boolean {
  const grace = client.reuseGrace ?? ctx.options.reuseGrace;
  return session.rotatedAt !== null && now - session.rotatedAt <= grace;
}

async function refreshFound(
  ctx: ServiceContext,
  request: RefreshRequest,
  token: RefreshTokenRecord,
  session: SessionRecord,
  now: number,
): Promise<RefreshDecision> {
  const client = await sessionClient(ctx, session, request);
  checkSessionLive(session, now);
  const scope = narrowScope(session.scope, request.scope);
  const inGrace = inReuseGrace(ctx, session, client, now);
  const presented = request.refreshToken;

  if (session.rotate && token.generation < session.generation) {
    // A used token: the same answer again while its successor is unused and the grace lasts,
    // otherwise somebody else holds this family: end it.
    if (inGrace && token.generation === session.generation - 1) {
      const replayed = await replay(ctx, presented, session);
      // Only the token presented for the last refresh can open its box; a hash match makes a
      // box that does not open unreachable short of corrupted data.
      if (replayed === undefined) {
        throw new BatonError('ERR_INTERNAL', 'the earlier response cannot be recovered', {
          detail: 'retry box did not open',
        });
      }
      return replayed;
    }
    return detectReuse(ctx, request, token, session, now);
  }
  // Without rotation the token never becomes used; refreshes inside the grace share one answer,
  // so that tabs refreshing together do not retire each other's access tokens. When the last
  // refresh was made with another credential (an access token), its answer is not ours to
  // open: refresh afresh.
  if (!session.rotate && inGrace) {
    const replayed = await replay(ctx, presented, session);
    if (replayed !== undefined) return replayed;
  }
  return rotate(
    ctx,
    { presented, issueRefreshToken: session.rotate, carryToken: false },
    {
      session,
      client,
      scope,
      now,
    },
  );
}

/** How a refresh treats the session's refresh tokens. */
export interface RotationPlan {
  /** The credential presented for this refresh; it keys the retry box. */
  presented: string;
  /** Hand out a new refresh token (which uses up the current one). */
  issueRefreshToken: boolean;
  /** Keep the current refresh token current at the new generation. */
  carryToken: boolean;
}

/** The state a rotation is decided on. */
export interface RotationState {
  session: SessionRecord;
  client: ClientRecord;
  scope: string;
  now: number;
}

/** Moves the session to its next generation with a freshly minted token set. */
export async function rotate(
  ctx: ServiceContext,
  plan: RotationPlan,
  { session, client, scope, now }: RotationState,
): Promise<RefreshDecision> {
  const generation = session.generation + 1;
  const refreshToken = plan.issueRefreshToken ? generateRefreshToken(session.id) : null;
  // Mint (sign, seal) before the atomic write, so the retry box exists from the moment the
  // presented credential is used.
  const { tokens, retryBox, refreshTokenHash } = await issueTokenSet(ctx, session, client, {
    generation,
    scope,
    refreshToken,
    now,
    presentedToken: plan.presented,
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
    carryToken: plan.carryToken,
  });
  return rotated ? { tokens, replayed: false } : LOST_RACE;
}

/**
 * The answer of the refresh that moved `session` to its current generation, if `presented` was
 * its credential; `undefined` when the box does not open with it. A lost race when the session
 * moved on since it was read.
 */
export async function replay(
  ctx: ServiceContext,
  presented: string,
  session: SessionRecord,
): Promise<RefreshDecision | undefined> {
  const box = await ctx.store.getRetryBox(session.id, session.generation);
  if (box === undefined) return LOST_RACE;
  const plaintext = open(retryBoxKey(presented), box, retryBoxAad(session.id, session.generation));
  if (plaintext === undefined) return undefined;
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
