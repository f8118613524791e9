import type { ServiceContext } from '../context.js';
import { parseRefreshToken } from './refresh-token.js';
import { keyedHash } from '../secrets.js';
import type { SessionRecord } from '../records.js';

/** A presented refresh token that is Baton's, with its session. */
export interface FoundRefreshToken {
  session: SessionRecord;
  /**
   * The session generation the token belongs to: the one it is current at, or, once used, the
   * one it was used at. For a pruned token, the generation it was issued at.
   */
  generation: number;
  /** When the token was issued (epoch seconds); `null` for a pruned token. */
  createdAt: number | null;
  /** True for a genuine token of an older generation whose row was pruned (so: used). */
  pruned: boolean;
}

/**
 * Finds the session of a presented refresh token. Junk and forged tags are refused before any
 * store read; a stored token is found by its keyed hash; a genuine token whose row was pruned
 * (older than the last used one) is recognised by its tag, so that presenting it is still reuse.
 * `undefined` when the token is not one of Baton's live sessions.
 */
export async function findRefreshToken(
  ctx: ServiceContext,
  value: string,
): Promise<FoundRefreshToken | undefined> {
  const parsed = parseRefreshToken(value, ctx.secrets.tokenTagKey);
  if (parsed === undefined || parsed === 'forged') return undefined;
  const found = await ctx.store.findRefreshToken(
    parsed.sessionId,
    keyedHash(ctx.secrets.pepper, value),
  );
  if (found !== undefined) {
    return {
      session: found.session,
      generation: found.token.generation,
      createdAt: found.token.createdAt,
      pruned: false,
    };
  }
  if (parsed.format === 'legacy') return undefined;
  // A pruned token is at least two generations behind its session. A tagged token without a row
  // that is not (a rotation that lost its race minted it and nobody ever received it) is unknown.
  const session = await ctx.store.getSession(parsed.sessionId);
  if (session === undefined || !session.rotate || parsed.generation >= session.generation - 1)
    return undefined;
  return { session, generation: parsed.generation, createdAt: null, pruned: true };
}
