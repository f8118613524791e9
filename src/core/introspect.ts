import { checkAccessToken } from './check-access-token.js';
import type { ClientIdentity } from './clients.js';
import type { ServiceContext } from './context.js';
import { BatonError } from './errors.js';
import { findRefreshToken } from './refresh/find-refresh-token.js';
import { looksLikeRefreshToken } from './refresh/refresh-token.js';
import { idleEndOf, sessionStatus } from './session-status.js';

/** An RFC 7662 introspection response. */
export type Introspection =
  | { active: false }
  | {
      active: true;
      token_type: 'Bearer' | 'refresh_token';
      client_id: string;
      sub: string;
      iss: string;
      exp: number;
      iat: number;
      sid: string;
      scope?: string;
      aud?: string;
      jti?: string;
    };

/**
 * Who asks: the admin token, which sees every token, or an authenticated client, which sees only
 * its own tokens and access tokens whose audience is its id (RFC 7662 §4: a caller learns
 * nothing of other clients' tokens).
 */
export type IntrospectionCaller = 'admin' | ClientIdentity;

const INACTIVE: Introspection = { active: false };

/**
 * Tells whether a token is active right now (RFC 7662): a refresh token that would be accepted
 * for a refresh (unused, session alive), or an access token that passes {@link checkAccessToken}.
 * A token the caller may not see is reported inactive.
 */
export async function introspect(
  ctx: ServiceContext,
  token: string,
  caller: IntrospectionCaller,
): Promise<Introspection> {
  const sees = (clientId: string, audience?: string): boolean =>
    caller === 'admin' || caller.id === clientId || caller.id === audience;
  if (looksLikeRefreshToken(token)) {
    const found = await findRefreshToken(ctx, token);
    if (found === undefined || found.pruned || found.createdAt === null) return INACTIVE;
    const { session } = found;
    const used = session.rotate && found.generation !== session.generation;
    if (used || sessionStatus(session, ctx.clock.now()) !== 'active') return INACTIVE;
    if (!sees(session.clientId)) return INACTIVE;
    return {
      active: true,
      token_type: 'refresh_token',
      client_id: session.clientId,
      sub: session.subject,
      iss: ctx.options.issuer,
      exp: Math.min(session.expiresAt, idleEndOf(session)),
      iat: found.createdAt,
      sid: session.id,
      ...(session.scope === '' ? {} : { scope: session.scope }),
    };
  }
  try {
    const { claims } = await checkAccessToken(ctx, token);
    if (!sees(claims.client_id, claims.aud)) return INACTIVE;
    return {
      active: true,
      token_type: 'Bearer',
      client_id: claims.client_id,
      sub: claims.sub,
      iss: claims.iss,
      exp: claims.exp,
      iat: claims.iat,
      sid: claims.sid,
      aud: claims.aud,
      jti: claims.jti,
      ...(claims.scope === undefined ? {} : { scope: claims.scope }),
    };
  } catch (error) {
    if (error instanceof BatonError && error.code === 'ERR_ACCESS_TOKEN_INVALID') return INACTIVE;
    throw error;
  }
}
