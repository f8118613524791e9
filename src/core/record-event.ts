import type { ServiceContext } from './context.js';
import type { SessionRecord } from './records.js';
import type { NewSecurityEvent, SecurityEventType } from './security-events.js';

/** What an event names besides its type and time; what is not given is `null`. */
export interface EventFields {
  session?: Pick<SessionRecord, 'id' | 'subject' | 'clientId'>;
  clientId?: string;
  ip?: string | undefined;
  detail?: string;
}

/** A security event of `type` at `at` (epoch seconds). */
export function securityEvent(
  type: SecurityEventType,
  at: number,
  fields: EventFields = {},
): NewSecurityEvent {
  return {
    type,
    at,
    sessionId: fields.session?.id ?? null,
    subject: fields.session?.subject ?? null,
    clientId: fields.session?.clientId ?? fields.clientId ?? null,
    ip: fields.ip ?? null,
    detail: fields.detail ?? null,
  };
}

/**
 * Records an event on its own: appends it to the store, then hands it to the sinks (webhook,
 * metrics, live streams). The only caller of `Store.appendEvent`; events that belong to a change
 * are written by the store in that change's transaction, and only published.
 */
export async function recordEvent(ctx: ServiceContext, event: NewSecurityEvent): Promise<void> {
  await ctx.store.appendEvent(event);
  ctx.events.publish(event);
}
