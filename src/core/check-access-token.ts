import { verifyAccessToken, type AccessTokenClaims } from './access-token.js';
import type { ServiceContext } from './context.js';
import { BatonError } from './errors.js';
import { sessionStatus } from './session-status.js';
import type { SessionRecord } from './records.js';

/** An access token that passed every check, with its session. */
export interface CheckedAccessToken {
  claims: AccessTokenClaims;
  session: SessionRecord;
}

function inactive(description: string): BatonError {
  return new BatonError('ERR_ACCESS_TOKEN_INVALID', description);
}

/**
 * Verifies an access token and checks it against the store: not revoked by `jti`, its session
 * alive, and of the session's current generation (a refresh retires earlier access tokens).
 * Throws `ERR_ACCESS_TOKEN_INVALID` with a description of which check failed.
 */
export async function checkAccessToken(
  ctx: ServiceContext,
  token: string,
): Promise<CheckedAccessToken> {
  const now = ctx.clock.now();
  const claims = await verifyAccessToken(token, ctx.keyring, { issuer: ctx.options.issuer, now });
  if (await ctx.store.isAccessTokenRevoked(claims.jti))
    throw inactive('the access token has been revoked');
  const session = await ctx.store.getSession(claims.sid);
  const status = session === undefined ? 'revoked' : sessionStatus(session, now);
  if (session === undefined || status === 'revoked') throw inactive('the session has been revoked');
  if (status !== 'active') throw inactive('the session has expired');
  if (claims.gen !== session.generation)
    throw inactive('the access token was replaced by a refresh');
  return { claims, session };
}
