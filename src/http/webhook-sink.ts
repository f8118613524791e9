import type { FastifyBaseLogger } from 'fastify';
import type { EventSink } from '../core/events.js';
import type { NewSecurityEvent } from '../core/store.js';

/** Options of {@link createWebhookSink}. */
export interface WebhookSinkOptions {
  url: string;
  /** Sent as `issuer` with every event, so one receiver can serve several Baton deployments. */
  issuer: string;
  log: Pick<FastifyBaseLogger, 'warn'>;
  /** Milliseconds before one delivery attempt is abandoned. Default 5 s. */
  timeoutMs?: number;
  /** Delivery attempts per event. Default 3. */
  attempts?: number;
  /** Events waiting at most; the oldest are dropped beyond it. Default 1000. */
  maxQueue?: number;
}

/**
 * POSTs each security event as JSON to a webhook, in order, after the store has recorded it.
 * Delivery is best effort (retries with backoff, a bounded queue): the event table stays the
 * record of truth, readable through the admin API.
 */
export function createWebhookSink(
  options: WebhookSinkOptions,
): EventSink & { drain(): Promise<void> } {
  const queue: NewSecurityEvent[] = [];
  const maxQueue = options.maxQueue ?? 1000;
  const attempts = options.attempts ?? 3;
  let running: Promise<void> | undefined;

  async function deliver(event: NewSecurityEvent): Promise<void> {
    const body = JSON.stringify({ issuer: options.issuer, ...event });
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const response = await fetch(options.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'baton-webhook' },
          body,
          signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
        });
        await response.body?.cancel();
        if (response.ok) return;
        if (response.status < 500 && response.status !== 429) break;
      } catch {
        // network error or timeout: retry below
      }
      if (attempt < attempts)
        await new Promise((resolve) => setTimeout(resolve, 250 * 4 ** attempt));
    }
    options.log.warn(
      { eventType: event.type, sessionId: event.sessionId },
      'webhook delivery failed',
    );
  }

  async function pump(): Promise<void> {
    for (let event = queue.shift(); event !== undefined; event = queue.shift())
      await deliver(event);
    running = undefined;
  }

  return {
    publish(event) {
      if (queue.length >= maxQueue) {
        queue.shift();
        options.log.warn({ maxQueue }, 'webhook queue full; dropped the oldest event');
      }
      queue.push(event);
      running ??= pump();
    },
    async drain() {
      await running;
    },
  };
}
