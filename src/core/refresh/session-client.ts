import { checkClientBinding, type ClientIdentity } from '../clients.js';
import type { ServiceContext } from '../context.js';
import { checkDialectAllowed, type DialectName } from '../dialects.js';
import { BatonError } from '../errors.js';
import { checkClientOrigin } from '../origins.js';
import type { ClientRecord, SessionRecord } from '../records.js';

/**
 * The session's client, checked against the caller: client authentication on the OAuth face,
 * the client's dialect switch on a dialect, and the browser origin, if any.
 */
export async function sessionClient(
  ctx: ServiceContext,
  session: Pick<SessionRecord, 'clientId'>,
  caller: {
    client?: ClientIdentity | undefined;
    dialect?: DialectName | undefined;
    origin?: string | undefined;
  },
): Promise<ClientRecord> {
  const client = await ctx.clients.get(session.clientId);
  if (client === undefined)
    throw new BatonError('ERR_SESSION_REVOKED', 'the session has been revoked', {
      detail: 'client removed',
    });
  if (caller.dialect === undefined) checkClientBinding(client, caller.client);
  else checkDialectAllowed(client, caller.dialect);
  checkClientOrigin(ctx, client, caller.origin);
  return client;
}

/**
 * Whether the last refresh of `session` is recent enough for a retry to get its answer: a grace
 * of N seconds ends N seconds after the refresh, to the millisecond; 0 means never.
 */
export function inReuseGrace(
  ctx: ServiceContext,
  session: SessionRecord,
  client: ClientRecord,
  nowMs: number,
): boolean {
  const grace = client.reuseGrace ?? ctx.options.reuseGrace;
  return session.rotatedAtMs !== null && nowMs - session.rotatedAtMs < grace * 1000;
}
