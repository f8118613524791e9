import {
  readUnverifiedClaims,
  verifyAccessToken,
  type AccessTokenClaims,
} from '../access-token.js';
import { hashesEqual, keyedHash } from '../secrets.js';
import type { ServiceContext } from '../context.js';
import type { DialectName } from '../dialects.js';
import { BatonError } from '../errors.js';
import type { SessionRecord } from '../records.js';
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
import { checkSessionLive } from '../session-status.js';

/** A refresh presented with an access token alone (the payabli and transak dialects). */
export interface AccessTokenRefreshRequest {
  /** The access token presented: genuine, unexpired, of its session's current generation. */
  accessToken: string;
  dialect: DialectName;
  /** Client IP, for rate limits and security events. */
  ip?: string | undefined;
  /** The browser origin the request came from (`Origin` header), checked against the client's. */
  origin?: string | undefined;
}

function invalid(description: string): BatonError {
  return new BatonError('ERR_ACCESS_TOKEN_INVALID', description);
}

/**
 * Refreshes the session of an unexpired access token: the session moves to its next generation
 * (retiring the presented access token) and its refresh token is carried forward, since the
 * answer hands out none. A retry with the same access token inside the reuse grace gets the same
 * answer, even if the token expired since; a retired access token is refused but does not end
 * the session (see docs/dialects.md).
 */
export async function refreshByAccessToken(
  ctx: ServiceContext,
  request: AccessTokenRefreshRequest,
): Promise<RefreshResult> {
  return runRefresh(
    ctx,
    request.ip,
    () => loadAccessToken(ctx, request),
    (loaded, time) => decide(ctx, request, loaded, time),
  );
}

interface LoadedAccessToken extends LoadedCredential {
  session: SessionRecord;
  claims: AccessTokenClaims;
}

/**
 * The session's current access token, recognised by its keyed hash: the very token Baton minted
 * for the session's current generation, so no signature needs checking (`undefined` for any
 * other token, which then gets the full check). As strict as the signature: a forged, tampered or
 * foreign-key token cannot have the hash, and a retired key signed no current token.
 */
async function loadCurrentAccessToken(
  ctx: ServiceContext,
  token: string,
): Promise<LoadedAccessToken | undefined> {
  const claims = readUnverifiedClaims(token);
  if (claims === undefined || claims.iss !== ctx.options.issuer) return undefined;
  const session = await ctx.store.getSession(claims.sid);
  if (session === undefined || session.accessHash === null) return undefined;
  if (!hashesEqual(keyedHash(ctx.secrets.pepper, token), session.accessHash)) return undefined;
  if (await ctx.store.isAccessTokenRevoked(claims.jti))
    throw invalid('the access token has been revoked');
  return { session, generation: claims.gen, claims };
}

async function loadAccessToken(
  ctx: ServiceContext,
  request: AccessTokenRefreshRequest,
): Promise<LoadedAccessToken> {
  const current = await loadCurrentAccessToken(ctx, request.accessToken);
  if (current !== undefined) return current;
  // Expired tokens pass here only to have their retry answered; `decide` refuses to refresh
  // with one.
  const claims = await verifyAccessToken(request.accessToken, ctx.keyring, {
    issuer: ctx.options.issuer,
    now: ctx.clock.now(),
    allowExpired: true,
  });
  if (await ctx.store.isAccessTokenRevoked(claims.jti))
    throw invalid('the access token has been revoked');
  const session = await ctx.store.getSession(claims.sid);
  if (session === undefined) throw invalid('the session has ended');
  return { session, generation: claims.gen, claims };
}

async function decide(
  ctx: ServiceContext,
  request: AccessTokenRefreshRequest,
  { session, generation, claims }: LoadedAccessToken,
  time: RefreshTime,
): Promise<RefreshDecision> {
  const client = await sessionClient(ctx, session, request);
  checkSessionLive(session, time.now);
  if (generation === session.generation) {
    if (time.now >= claims.exp) throw invalid('the access token has expired');
    return rotate(
      ctx,
      { presented: request.accessToken, tokens: session.rotate ? 'carry' : 'keep' },
      { session, client, scope: claims.scope ?? session.scope, time },
    );
  }
  if (generation === session.generation - 1 && inReuseGrace(ctx, session, client, time.nowMs)) {
    const replayed = await replay(ctx, request.accessToken, session);
    if (replayed.kind === 'replayed') return replayed.result;
    if (replayed.kind === 'moved_on') return LOST_RACE;
  }
  throw invalid('the access token was replaced by a refresh');
}
