import type { NewSecurityEvent } from './store.js';

/**
 * Receives security events after the store has recorded them (a webhook, a log). `publish` must
 * not throw and must not block: the refresh that caused the event has already happened.
 */
export interface EventSink {
  publish(event: NewSecurityEvent): void;
}

/** A sink that drops every event. */
export const silentEventSink: EventSink = { publish: () => undefined };
