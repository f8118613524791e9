import { verifyAccessToken, type AccessTokenClaims } from './access-token.js';
import type { ServiceContext } from './context.js';
import type { DialectName } from './dialects.js';
import { BatonError } from './errors.js';
import {
  checkSessionLive,
  inReuseGrace,
  LOST_RACE,
  replay,
  rotate,
  runRefresh,
  sessionClient,
  type RefreshDecision,
  type RefreshResult,
} from './refresh.js';
import type { SessionRecord } from './store.js';

/** A refresh presented with an access token alone (the payabli and transak dialects). */
export interface AccessTokenRefreshRequest {
  /** The access token presented: genuine, unexpired, of its session's current generation. */
  accessToken: string;
  dialect: DialectName;
  /** Client IP, for rate limits and security events. */
  ip?: string | undefined;
}

function retired(): BatonError {
  return new BatonError('ERR_ACCESS_TOKEN_INVALID', 'the access token was replaced by a refresh');
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
  let claims: AccessTokenClaims | undefined;
  return runRefresh(
    ctx,
    request.ip,
    async () => {
      // Expired tokens pass here only to have their retry answered; `decide` refuses to
      // refresh with one.
      claims ??= await verifyAccessToken(request.accessToken, ctx.keyring, {
        issuer: ctx.options.issuer,
        now: ctx.clock.now(),
        allowExpired: true,
      });
      if (await ctx.store.isAccessTokenRevoked(claims.jti))
        throw new BatonError('ERR_ACCESS_TOKEN_INVALID', 'the access token has been revoked');
      const session = await ctx.store.getSession(claims.sid);
      if (session === undefined)
        throw new BatonError('ERR_ACCESS_TOKEN_INVALID', 'the session has ended');
      return session;
    },
    (session, now) => decide(ctx, request, claims as AccessTokenClaims, session, now),
  );
}

async function decide(
  ctx: ServiceContext,
  request: AccessTokenRefreshRequest,
  claims: AccessTokenClaims,
  session: SessionRecord,
  now: number,
): Promise<RefreshDecision> {
  const client = await sessionClient(ctx, session, { dialect: request.dialect });
  checkSessionLive(session, now);
  if (claims.gen === session.generation) {
    if (now >= claims.exp)
      throw new BatonError('ERR_ACCESS_TOKEN_INVALID', 'the access token has expired');
    return rotate(
      ctx,
      { presented: request.accessToken, issueRefreshToken: false, carryToken: session.rotate },
      { session, client, scope: claims.scope ?? session.scope, now },
    );
  }
  if (claims.gen === session.generation - 1 && inReuseGrace(ctx, session, client, now)) {
    const replayed = await replay(ctx, request.accessToken, session);
    if (replayed === LOST_RACE || replayed !== undefined) return replayed;
  }
  throw retired();
}
