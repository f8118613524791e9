import { AUDIENCE_NOTE, DEFAULT_CLIENT_ID } from './clients.js';
import type { ServiceContext } from './context.js';
import { BatonError } from './errors.js';
import { recordEvent, securityEvent } from './record-event.js';
import { revokeSessions } from './revoke.js';

/** Removes a client and revokes its sessions. The `default` client cannot be removed. */
export async function deleteClient(
  ctx: ServiceContext,
  id: string,
): Promise<{ revokedSessions: number }> {
  if (id === DEFAULT_CLIENT_ID)
    throw new BatonError('ERR_CONFLICT', 'the default client cannot be removed');
  const client = await ctx.store.getClient(id);
  if (client === undefined) throw new BatonError('ERR_NOT_FOUND', `no client ${id}`);
  const revokedSessions = await revokeSessions(ctx, { clientId: id }, 'client_deleted');
  await ctx.store.deleteClient(id);
  ctx.clients.invalidate(id);
  await ctx.bus.publish({ type: 'client', id });
  await recordEvent(
    ctx,
    securityEvent('client.deleted', ctx.clock.now(), {
      clientId: id,
      // The audience is kept so that the revocation list still shows the revoked sessions to
      // the resource server whose client was their audience (see revocation-list.ts).
      detail: `${revokedSessions} sessions revoked${client.audience === null ? '' : `${AUDIENCE_NOTE}${client.audience}`}`,
    }),
  );
  return { revokedSessions };
}
