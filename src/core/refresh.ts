import { verifyAccessToken } from './access-token.js';
import { checkClientBinding, type ClientIdentity } from './clients.js';
import type { ServiceContext } from './context.js';
import { checkDialectAllowed, type DialectName } from './dialects.js';
import { BatonError } from './errors.js';
import { checkBudget, isCountedFailure, spendBudget } from './failure-limits.js';
import { findRefreshToken } from './find-refresh-token.js';
import { generateRefreshToken } from './refresh-token.js';
import { open, retryBoxKey } from './sealed-box.js';
import { checkClientOrigin } from './origins.js';
import { narrowScope } from './scope.js';
import { checkSessionLive } from './session-status.js';
import type { ClientRecord, SessionRecord } from './records.js';
import type { TokenChange } from './store.js';
import { issueTokenSet, retryBoxAad, type TokenSet } from './token-set.js';
import { recordEvent, securityEvent } from './record-event.js';

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
  /** The browser origin the request came from (`Origin` header), checked against the client's. */
  origin?: string | undefined;
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

/** The time of a refresh, read once: epoch seconds for lifetimes, milliseconds for the grace. */
export interface RefreshTime {
  now: number;
  nowMs: number;
}

/** What `load` found: the session, and the generation of the presented credential. */
export interface LoadedCredential {
  session: SessionRecord;
  generation: number;
}

// A lost race is followed by a re-read that sees the winner, so two passes settle every refresh.
const MAX_PASSES = 3;

/**
 * Runs a refresh to its end: `load` finds the session of the presented credential (throwing when
 * it names none), `decide` answers or reports a lost race, after which it all runs again.
 *
 * Limits are consulted only once the refresh has failed, so a valid credential is never refused
 * by one: a failure from an IP or of a session that is over its budget is answered 429 instead,
 * and otherwise it spends both budgets (see docs/refresh-rules.md).
 */
export async function runRefresh<L extends LoadedCredential>(
  ctx: ServiceContext,
  ip: string | undefined,
  load: () => Promise<L>,
  decide: (loaded: L, time: RefreshTime) => Promise<RefreshDecision>,
): Promise<RefreshResult> {
  const nowMs = ctx.clock.nowMs();
  const time: RefreshTime = { now: Math.floor(nowMs / 1000), nowMs };
  let session: SessionRecord | undefined;
  try {
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      const loaded = await load();
      session = loaded.session;
      const decision = await decide(loaded, time);
      if (decision !== LOST_RACE) return decision;
    }
    throw new BatonError('ERR_INTERNAL', 'the refresh did not settle', {
      detail: 'rotation conflict persisted',
    });
  } catch (error) {
    if (isCountedFailure(error)) await answerFailure(ctx, error, ip, session, time.now);
    throw error;
  }
}

/**
 * A failed refresh: 429 when its IP or its session is over budget, otherwise counted against
 * both and, when it names a session, recorded as a `refresh.failed` event. Reuse is counted but
 * always answered as reuse (its event is recorded once, by the revocation).
 */
async function answerFailure(
  ctx: ServiceContext,
  error: BatonError,
  ip: string | undefined,
  session: SessionRecord | undefined,
  now: number,
): Promise<void> {
  const reuse = error.code === 'ERR_REFRESH_TOKEN_REUSED';
  if (!reuse && ip !== undefined) await checkBudget(ctx, 'refresh', ip, now);
  if (!reuse && session !== undefined) await checkBudget(ctx, 'session', session.id, now);
  await Promise.all([
    ip === undefined ? undefined : spendBudget(ctx, 'refresh', ip, now),
    session === undefined ? undefined : spendBudget(ctx, 'session', session.id, now),
  ]);
  if (reuse || session === undefined) return; // junk names no session: counted, not recorded
  await recordEvent(
    ctx,
    securityEvent('refresh.failed', now, { session, ip, detail: error.reason }),
  );
}

/**
 * Refreshes a session with its refresh token: rotation, idempotent retry inside the reuse grace,
 * reuse detection, lifetimes, and exactly one winner among concurrent refreshes of one token.
 */
export async function refresh(
  ctx: ServiceContext,
  request: RefreshRequest,
): Promise<RefreshResult> {
  return runRefresh(
    ctx,
    request.ip,
    () => loadRefreshToken(ctx, request),
    (loaded, time) => decideRefresh(ctx, request, loaded, time),
  );
}

async function loadRefreshToken(
  ctx: ServiceContext,
  request: RefreshRequest,
): Promise<LoadedCredential> {
  const found = await findRefreshToken(ctx, request.refreshToken);
  if (found === undefined) throw unknownToken();
  if (request.accessToken !== undefined)
    await checkCompanionAccessToken(ctx, request.accessToken, found.session.id);
  return { session: found.session, generation: found.generation };
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

/** The refresh rules for a presented refresh token, as guard clauses in order. */
async function decideRefresh(
  ctx: ServiceContext,
  request: RefreshRequest,
  { session, generation }: LoadedCredential,
  time: RefreshTime,
): Promise<RefreshDecision> {
  const client = await sessionClient(ctx, session, request);
  checkSessionLive(session, time.now);
  const scope = narrowScope(session.scope, request.scope);
  const inGrace = inReuseGrace(ctx, session, client, time.nowMs);
  const presented = request.refreshToken;

  if (session.rotate && generation < session.generation) {
    // A used token gets the same answer again while its successor is unused and the grace
    // lasts; otherwise somebody else holds this family: end it.
    if (!inGrace || generation !== session.generation - 1)
      return detectReuse(ctx, request, generation, session, time.now);
    const replayed = await replay(ctx, presented, session);
    // Only the token presented for the last refresh can open its box; a hash match makes a box
    // that does not open unreachable short of corrupted data.
    if (replayed.kind === 'not_ours') {
      throw new BatonError('ERR_INTERNAL', 'the earlier response cannot be recovered', {
        detail: 'retry box did not open',
      });
    }
    return replayed.kind === 'moved_on' ? LOST_RACE : replayed.result;
  }
  // Without rotation the token never becomes used; refreshes inside the grace share one answer,
  // so that tabs refreshing together do not retire each other's access tokens. When the last
  // refresh was made with another credential (an access token), its answer is not ours to
  // open: refresh afresh.
  if (!session.rotate && inGrace) {
    const replayed = await replay(ctx, presented, session);
    if (replayed.kind === 'replayed') return replayed.result;
    if (replayed.kind === 'moved_on') return LOST_RACE;
  }
  return rotate(
    ctx,
    { presented, tokens: session.rotate ? 'rotate' : 'keep' },
    { session, client, scope, time },
  );
}

/**
 * The session's client, checked against the caller: client authentication on the OAuth face,
 * the client's dialect switch on a dialect, and the browser origin, if any.
 */
export async function sessionClient(
  ctx: ServiceContext,
  session: SessionRecord,
  caller: {
    client?: ClientIdentity | undefined;
    dialect?: DialectName | undefined;
    origin?: string | undefined;
  },
): Promise<ClientRecord> {
  const client = await ctx.clients.get(session.clientId);
  if (client === undefined)
    throw new BatonError('ERR_SESSION_REVOKED', 'the session has been revoked', {
      detail: 'client removed',
    });
  if (caller.dialect === undefined) checkClientBinding(client, caller.client);
  else checkDialectAllowed(client, caller.dialect);
  checkClientOrigin(ctx, client, caller.origin);
  return client;
}

/**
 * Whether the last refresh of `session` is recent enough for a retry to get its answer: a grace
 * of N seconds ends N seconds after the refresh, to the millisecond; 0 means never.
 */
export function inReuseGrace(
  ctx: ServiceContext,
  session: SessionRecord,
  client: ClientRecord,
  nowMs: number,
): boolean {
  const grace = client.reuseGrace ?? ctx.options.reuseGrace;
  return session.rotatedAtMs !== null && nowMs - session.rotatedAtMs < grace * 1000;
}

/** How a refresh treats the session's refresh tokens (see {@link TokenChange}). */
export interface RotationPlan {
  /** The credential presented for this refresh; it keys the retry box. */
  presented: string;
  tokens: TokenChange['kind'];
}

/** The state a rotation is decided on. */
export interface RotationState {
  session: SessionRecord;
  client: ClientRecord;
  scope: string;
  time: RefreshTime;
}

/** Moves the session to its next generation with a freshly minted token set. */
export async function rotate(
  ctx: ServiceContext,
  plan: RotationPlan,
  { session, client, scope, time }: RotationState,
): Promise<RefreshDecision> {
  const generation = session.generation + 1;
  const refreshToken =
    plan.tokens === 'rotate'
      ? generateRefreshToken(ctx.secrets.tokenTagKey, session.id, generation)
      : null;
  // Mint (sign, seal) before the atomic write, so the retry box exists from the moment the
  // presented credential is used.
  const minted = await issueTokenSet(ctx, session, client, {
    generation,
    scope,
    refreshToken,
    now: time.now,
    presentedToken: plan.presented,
  });
  const tokens: TokenChange =
    plan.tokens === 'rotate'
      ? {
          kind: 'rotate',
          next: {
            hash: minted.refreshTokenHash as string,
            sessionId: session.id,
            generation,
            createdAt: time.now,
          },
        }
      : { kind: plan.tokens };
  const rotated = await ctx.store.rotate({
    sessionId: session.id,
    fromGeneration: session.generation,
    toGeneration: generation,
    at: time.now,
    atMs: time.nowMs,
    retryBox: minted.retryBox as Uint8Array,
    tokens,
  });
  return rotated ? { tokens: minted.tokens, replayed: false } : LOST_RACE;
}

/** What a retry inside the grace found in the session's retry box. */
export type Replay =
  /** The answer of the last refresh, which `presented` was the credential of. */
  | { kind: 'replayed'; result: RefreshResult }
  /** The box does not open with `presented`: the last refresh used another credential. */
  | { kind: 'not_ours' }
  /** The session moved on since it was read: read it again. */
  | { kind: 'moved_on' };

/** Opens the retry box of the refresh that moved `session` to its current generation. */
export async function replay(
  ctx: ServiceContext,
  presented: string,
  session: SessionRecord,
): Promise<Replay> {
  const box = await ctx.store.getRetryBox(session.id, session.generation);
  if (box === undefined) return { kind: 'moved_on' };
  const plaintext = open(retryBoxKey(presented), box, retryBoxAad(session.id, session.generation));
  if (plaintext === undefined) return { kind: 'not_ours' };
  const tokens = JSON.parse(plaintext.toString('utf8')) as TokenSet;
  return { kind: 'replayed', result: { tokens, replayed: true } };
}

async function detectReuse(
  ctx: ServiceContext,
  request: RefreshRequest,
  generation: number,
  session: SessionRecord,
  now: number,
): Promise<never> {
  const event = securityEvent('refresh_token.reused', now, {
    session,
    ip: request.ip,
    detail: `generation ${generation} presented at generation ${session.generation}`,
  });
  if (await ctx.store.revokeSession(session.id, now, 'reuse', event)) ctx.events.publish(event);
  throw new BatonError(
    'ERR_REFRESH_TOKEN_REUSED',
    'the refresh token was already used; the session has been revoked',
  );
}

function unknownToken(): BatonError {
  return new BatonError('ERR_REFRESH_TOKEN_UNKNOWN', 'the refresh token is not valid');
}
