import type { ServiceContext } from '../context.js';
import { BatonError } from '../errors.js';
import { issueRefreshAnswer } from '../mint/token-set.js';
import type { ClientRecord, SessionRecord } from '../records.js';
import type { SessionShape } from '../session-shapes.js';
import type { TokenChange } from '../store.js';
import { generateRefreshToken } from './refresh-token.js';
import { LOST_RACE, type RefreshDecision, type RefreshTime } from './run-refresh.js';

/** How a refresh treats the session's refresh tokens (see {@link TokenChange}). */
export interface RotationPlan {
  /** The credential presented for this refresh; it keys the retry box. */
  presented: string;
  tokens: TokenChange['kind'];
}

/** The state a rotation is decided on. */
export interface RotationState {
  /** The session as it was read, or as its shape and the generation the presented token claims. */
  session: SessionShape & Pick<SessionRecord, 'generation'>;
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
  const minted = await issueRefreshAnswer(ctx, session, client, {
    generation,
    scope,
    refreshToken,
    now: time.now,
    presentedToken: plan.presented,
  });
  let tokens: TokenChange;
  if (plan.tokens !== 'rotate') tokens = { kind: plan.tokens };
  else if (minted.refreshTokenHash === null)
    throw new BatonError('ERR_INTERNAL', 'the tokens could not be minted', {
      detail: 'no refresh-token hash',
    });
  else {
    const next = { hash: minted.refreshTokenHash, sessionId: session.id, generation };
    tokens = { kind: 'rotate', next: { ...next, createdAt: time.now } };
  }
  const rotated = await ctx.store.rotate({
    sessionId: session.id,
    fromGeneration: session.generation,
    toGeneration: generation,
    at: time.now,
    atMs: time.nowMs,
    accessHash: minted.accessTokenHash,
    retryBox: minted.retryBox,
    tokens,
  });
  if (!rotated) return LOST_RACE;
  ctx.shapes.remember(session);
  return { tokens: minted.tokens, replayed: false };
}
