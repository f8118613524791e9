import { createHmac } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { EventSink, NewSecurityEvent, SecurityEventType } from '../core/index.js';

/** The header that carries a delivery's signature: `t=<epoch seconds>,v1=<hex HMAC-SHA-256>`. */
export const SIGNATURE_HEADER = 'baton-signature';

/**
 * Events a receiver must not miss, delivered before the others and never dropped to make room
 * for them: theft, and changes of keys and clients. The rest (failed refreshes, logouts,
 * revoked access tokens) can come in floods.
 */
const URGENT: ReadonlySet<SecurityEventType> = new Set<SecurityEventType>([
  'refresh_token.reused',
  'key.rotated',
  'client.created',
  'client.deleted',
]);

/** Options of {@link createWebhookSink}. */
export interface WebhookSinkOptions {
  url: string;
  /** Signs every delivery (see {@link signWebhook}); at least 32 characters. */
  secret: string;
  /** Sent as `issuer` with every event, so one receiver can serve several Baton deployments. */
  issuer: string;
  log: Pick<FastifyBaseLogger, 'warn'>;
  /** Milliseconds before one delivery attempt is abandoned. Default 5 s. */
  timeoutMs?: number;
  /** Delivery attempts per event. Default 3. */
  attempts?: number;
  /** Routine events waiting at most; the oldest are dropped beyond it. Default 1000. */
  maxQueue?: number;
  /** Urgent events waiting at most (only a long outage of the receiver fills it). Default 10,000. */
  maxUrgentQueue?: number;
  /** The clock of the signatures, in epoch milliseconds. */
  now?: () => number;
}

/**
 * The signature of a delivery: HMAC-SHA-256 under the webhook secret of `<t>.<body>`, where `t`
 * is the time of sending in epoch seconds. A receiver recomputes it over the raw body, compares
 * in constant time, and refuses a `t` more than a few minutes old (a replay).
 *
 * @example signWebhook(secret, body, 1_800_000_000) // 't=1800000000,v1=5f2b…'
 */
export function signWebhook(secret: string, body: string, at: number): string {
  const mac = createHmac('sha256', secret).update(`${at}.${body}`).digest('hex');
  return `t=${at},v1=${mac}`;
}

/**
 * POSTs each security event as signed JSON to a webhook, after the store has recorded it.
 * Delivery is best effort (retries with backoff, bounded queues): the event table stays the
 * record of truth, readable through the admin API. Urgent events (reuse detections, key and
 * client changes) are sent first and are never dropped in favour of routine ones.
 */
export function createWebhookSink(
  options: WebhookSinkOptions,
): EventSink & { drain(): Promise<void> } {
  const urgent: NewSecurityEvent[] = [];
  const routine: NewSecurityEvent[] = [];
  const maxQueue = options.maxQueue ?? 1000;
  const maxUrgentQueue = options.maxUrgentQueue ?? 10_000;
  const attempts = options.attempts ?? 3;
  const now = options.now ?? Date.now;
  let running: Promise<void> | undefined;

  async function deliver(event: NewSecurityEvent): Promise<void> {
    const body = JSON.stringify({ issuer: options.issuer, ...event });
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const response = await fetch(options.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'baton-webhook',
            [SIGNATURE_HEADER]: signWebhook(options.secret, body, Math.floor(now() / 1000)),
          },
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
    for (let event = urgent.shift() ?? routine.shift(); event !== undefined;) {
      await deliver(event);
      event = urgent.shift() ?? routine.shift();
    }
    running = undefined;
  }

  return {
    publish(event) {
      const [queue, limit] = URGENT.has(event.type)
        ? [urgent, maxUrgentQueue]
        : [routine, maxQueue];
      if (queue.length >= limit) {
        queue.shift();
        options.log.warn(
          { limit, eventType: event.type },
          'webhook queue full; dropped the oldest',
        );
      }
      queue.push(event);
      running ??= pump();
    },
    async drain() {
      await running;
    },
  };
}
