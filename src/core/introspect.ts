import { checkAccessToken } from './check-access-token.js';
import type { ServiceContext } from './context.js';
import { BatonError } from './errors.js';
import { sessionIdOf } from './refresh-token.js';
import { keyedHash } from './secrets.js';

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
 * Tells whether a token is active right now (RFC 7662): a refresh token that would be accepted
 * for a refresh (unused, session alive), or an access token that passes {@link checkAccessToken}.
 */
export async function introspect(ctx: ServiceContext, token: string): Promise<Introspection> {
  const sessionId = sessionIdOf(token);
  if (sessionId !== undefined) {
    const found = await ctx.store.findRefreshToken(sessionId, keyedHash(ctx.secrets.pepper, token));
    if (found === undefined) return { active: false };
    const { session } = found;
    const now = ctx.clock.now();
    const idleAt = session.lastActiveAt + session.idleTtl;
    const used = session.rotate && found.token.generation !== session.generation;
    if (used || session.revokedAt !== null || now >= session.expiresAt || now >= idleAt)
      return { active: false };
    return {
      active: true,
      token_type: 'refresh_token',
      client_id: session.clientId,
      sub: session.subject,
      iss: ctx.options.issuer,
      exp: Math.min(session.expiresAt, idleAt),
      iat: found.token.createdAt,
      sid: session.id,
      ...(session.scope === '' ? {} : { scope: session.scope }),
    };
  }
  try {
    const { claims } = await checkAccessToken(ctx, token);
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
    if (error instanceof BatonError && error.code === 'ERR_ACCESS_TOKEN_INVALID')
      return { active: false };
    throw error;
  }
}
