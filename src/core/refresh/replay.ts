import type { ServiceContext } from '../context.js';
import { retryBoxAad, type TokenSet } from '../mint/token-set.js';
import type { SessionRecord } from '../records.js';
import { open, retryBoxKey } from '../sealed-box.js';
import type { RefreshResult } from './run-refresh.js';

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
