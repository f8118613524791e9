import type { ServiceContext } from '../context.js';
import { BatonError } from '../errors.js';
import { checkBudget, isCountedFailure, spendBudget } from '../failure-limits.js';
import type { TokenSet } from '../mint/token-set.js';
import { recordEvent, securityEvent } from '../record-event.js';
import type { SessionShape } from '../session-shapes.js';

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
  session: SessionShape;
  generation: number;
}

// A lost race is followed by a re-read that sees the winner, so two passes settle every refresh;
// a first pass that minted before reading the store may add one.
const MAX_PASSES = 4;

/**
 * Runs a refresh to its end: `load` finds the session of the presented credential (throwing when
 * it names none; `pass` counts from 0), `decide` answers or reports a lost race, after which it
 * all runs again.
 *
 * Limits are consulted only once the refresh has failed, so a valid credential is never refused
 * by one: a failure from an IP or of a session that is over its budget is answered 429 instead,
 * and otherwise it spends both budgets (see docs/refresh-rules.md).
 */
export async function runRefresh<L extends LoadedCredential>(
  ctx: ServiceContext,
  ip: string | undefined,
  load: (pass: number) => Promise<L>,
  decide: (loaded: L, time: RefreshTime) => Promise<RefreshDecision>,
): Promise<RefreshResult> {
  const nowMs = ctx.clock.nowMs();
  const time: RefreshTime = { now: Math.floor(nowMs / 1000), nowMs };
  let session: SessionShape | undefined;
  try {
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      const loaded = await load(pass);
      session = loaded.session;
      const decision = await decide(loaded, time);
      if (decision !== LOST_RACE) return decision;
    }
    throw new BatonError('ERR_INTERNAL', 'the refresh did not settle', {
      detail: 'rotation conflict persisted',
    });
  } catch (error) {
    // A session that failed to refresh takes the store's path next time, so a stale credential
    // replayed at it costs a read, not a signature.
    if (session !== undefined) ctx.shapes.forget(session.id);
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
  session: SessionShape | undefined,
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
