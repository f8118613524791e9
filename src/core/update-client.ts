import {
  checkClientSettings,
  describeClient,
  type ClientSettingsInput,
  type ClientView,
} from './clients.js';
import type { ServiceContext } from './context.js';
import { BatonError } from './errors.js';
import { recordEvent, securityEvent } from './record-event.js';
import type { ClientRecord } from './records.js';

/**
 * Changes a client's settings (lifetimes, reuse grace, rotation, audience, dialects, allowed
 * origins) and keeps its secret: an omitted setting is left alone, `null` returns it to the
 * service default. Records a `client.created` event with detail `updated`. Throws
 * `ERR_NOT_FOUND` for an unknown client, `ERR_INVALID_REQUEST` for a bad or empty change.
 *
 * @example await updateClient(ctx, 'web', { accessTtl: 300, allowedOrigins: null })
 */
export async function updateClient(
  ctx: ServiceContext,
  id: string,
  changes: ClientSettingsInput,
): Promise<{ client: ClientView }> {
  const settings = checkClientSettings(changes);
  if (Object.keys(settings).length === 0)
    throw new BatonError('ERR_INVALID_REQUEST', 'name at least one setting to change');
  const current = await ctx.store.getClient(id);
  if (current === undefined) throw new BatonError('ERR_NOT_FOUND', `no client ${id}`);
  // Last writer wins, as with `createClient({ replace: true })`: operators edit clients rarely,
  // and the answer shows the settings that were stored.
  const record: ClientRecord = { ...current, ...settings };
  await ctx.store.replaceClient(record);
  ctx.clients.invalidate(id);
  await ctx.bus.publish({ type: 'client', id });
  await recordEvent(
    ctx,
    securityEvent('client.created', ctx.clock.now(), { clientId: id, detail: 'updated' }),
  );
  return { client: describeClient(record) };
}
