import { verifyAccessToken } from '../access-token.js';
import type { ClientIdentity } from '../clients.js';
import type { ServiceContext } from '../context.js';
import type { DialectName } from '../dialects.js';
import { BatonError } from '../errors.js';
import { securityEvent } from '../record-event.js';
import type { SessionRecord } from '../records.js';
import { narrowScope } from '../scope.js';
import { checkSessionLive } from '../session-status.js';
import { findRefreshToken } from './find-refresh-token.js';
import { parseRefreshToken } from './refresh-token.js';
import { replay } from './replay.js';
import { rotate } from './rotate.js';
import {
  LOST_RACE,
  runRefresh,
  type LoadedCredential,
  type RefreshDecision,
  type RefreshResult,
  type RefreshTime,
} from './run-refresh.js';
import { inReuseGrace, sessionClient } from './session-client.js';

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
    async (pass) =>
      (pass === 0 ? speculate(ctx, request) : undefined) ?? loadRefreshToken(ctx, request),
    (loaded, time) =>
      loaded.kind === 'shape'
        ? rotateSpeculatively(ctx, request, loaded, time)
        : decideRefresh(ctx, request, loaded, time),
  );
}

/** A refresh token found in the store, with its session as stored. */
interface StoredCredential extends LoadedCredential {
  kind: 'stored';
  session: SessionRecord;
}

/**
 * A refresh token that names a session whose shape this instance knows, at the generation it
 * claims: not read from the store, so its answer is minted first and the rotation's
 * compare-and-set decides whether the token was current.
 */
interface ShapeCredential extends LoadedCredential {
  kind: 'shape';
}

/**
 * The common refresh in one store write: a genuine tagged token (its tag is Baton's keyed MAC
 * over the session id and generation, so nobody else can make one) of a rotating session whose
 * shape is known here. When the token is not the session's current one, or the session has
 * ended, the write changes nothing and the next pass reads the store and applies every rule as
 * usual. Requests the shape cannot decide alone (a narrower scope, a companion access token) go
 * to the store at once, so that their errors come in the usual order.
 */
function speculate(ctx: ServiceContext, request: RefreshRequest): ShapeCredential | undefined {
  if (request.scope !== undefined || request.accessToken !== undefined) return undefined;
  const parsed = parseRefreshToken(request.refreshToken, ctx.secrets.tokenTagKey);
  if (parsed === undefined || parsed === 'forged' || parsed.format !== 'tagged') return undefined;
  const shape = ctx.shapes.get(parsed.sessionId);
  if (shape === undefined || !shape.rotate) return undefined;
  return { kind: 'shape', session: shape, generation: parsed.generation };
}

async function rotateSpeculatively(
  ctx: ServiceContext,
  request: RefreshRequest,
  { session, generation }: ShapeCredential,
  time: RefreshTime,
): Promise<RefreshDecision> {
  const client = await sessionClient(ctx, session, request);
  return rotate(
    ctx,
    { presented: request.refreshToken, tokens: 'rotate' },
    { session: { ...session, generation }, client, scope: session.scope, time },
  );
}

async function loadRefreshToken(
  ctx: ServiceContext,
  request: RefreshRequest,
): Promise<StoredCredential> {
  const found = await findRefreshToken(ctx, request.refreshToken);
  if (found === undefined) throw unknownToken();
  if (request.accessToken !== undefined)
    await checkCompanionAccessToken(ctx, request.accessToken, found.session.id);
  return { kind: 'stored', session: found.session, generation: found.generation };
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
  { session, generation }: StoredCredential,
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
