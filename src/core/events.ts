import type { NewSecurityEvent } from './security-events.js';

/**
 * Receives security events after the store has recorded them (a webhook, a log). `publish` must
 * not throw and must not block: the refresh that caused the event has already happened.
 */
export interface EventSink {
  publish(event: NewSecurityEvent): void;
}

/** A sink that drops every event. */
export const silentEventSink: EventSink = { publish: () => undefined };

/** An {@link EventSink} that also hands every event to listeners in this process. */
export interface EventHub extends EventSink {
  /** Calls `listener` with every event published from now on; returns the unsubscribe function. */
  subscribe(listener: (event: NewSecurityEvent) => void): () => void;
}

/**
 * Publishes to `sink` and to the subscribed listeners (metrics, live event streams). A throwing
 * listener is ignored: the event has happened whatever a listener does with it.
 */
export function createEventHub(sink: EventSink): EventHub {
  const listeners = new Set<(event: NewSecurityEvent) => void>();
  return {
    publish(event) {
      sink.publish(event);
      for (const listener of listeners) {
        try {
          listener(event);
        } catch {
          // see above
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
