import type { Redis } from 'ioredis';
import type { Invalidation, InvalidationBus } from '../../core/index.js';
import { closeRedisConnection } from './redis-connection.js';

/** The default pub/sub channel of invalidations. */
export const INVALIDATION_CHANNEL = 'baton:invalidate';

/** Longest message read, in characters; anything longer is not an {@link Invalidation}. */
const MAX_MESSAGE_LENGTH = 256;

/** Options of {@link createRedisInvalidationBus}. */
export interface RedisInvalidationBusOptions {
  /** The connection messages are published on (may be shared with other commands). */
  publisher: Redis;
  /** A connection of the bus's own: it is put in subscriber mode and can do nothing else. */
  subscriber: Redis;
  /** Pub/sub channel; {@link INVALIDATION_CHANNEL} by default. */
  channel?: string;
  /** Called with failures the bus swallows: publishing, subscribing, a throwing handler. */
  onError?: (error: Error) => void;
}

/** An {@link InvalidationBus} over Redis pub/sub that owns its two connections. */
export interface RedisInvalidationBus extends InvalidationBus {
  /** True while the subscriber connection is up and subscribed to the channel. */
  subscribed(): boolean;
  /** Quits both connections. */
  close(): Promise<void>;
}

/** The {@link Invalidation} in `text`, or undefined when `text` is anything else. */
export function parseInvalidation(text: string): Invalidation | undefined {
  if (text.length > MAX_MESSAGE_LENGTH) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const fields = Object.keys(value);
  const record = value as Record<string, unknown>;
  if (record['type'] === 'keys' && fields.length === 1) return { type: 'keys' };
  const id = record['id'];
  if (
    record['type'] === 'client' &&
    fields.length === 2 &&
    typeof id === 'string' &&
    id.length > 0 &&
    id.length <= 64
  ) {
    return { type: 'client', id };
  }
  return undefined;
}

const asError = (error: unknown): Error =>
  error instanceof Error ? error : new Error(String(error));

/**
 * An {@link InvalidationBus} over the Redis pub/sub `channel`. Every instance, this one
 * included, hears every message; malformed messages are ignored. Publishing never throws: the
 * store stays the truth and caches expire within seconds, so a lost message only delays a change.
 */
export function createRedisInvalidationBus(
  options: RedisInvalidationBusOptions,
): RedisInvalidationBus {
  const { publisher, subscriber } = options;
  const channel = options.channel ?? INVALIDATION_CHANNEL;
  const handlers = new Set<(message: Invalidation) => void>();
  const report = (error: unknown): void => options.onError?.(asError(error));
  let listening = false;

  subscriber.on('message', (from: string, text: string) => {
    if (from !== channel) return;
    const message = parseInvalidation(text);
    if (message === undefined) return;
    for (const handler of handlers) {
      try {
        handler(message);
      } catch (error) {
        report(error);
      }
    }
  });

  // Subscribe on every (re)connection: ioredis resubscribes only the channels of a connection
  // that was subscribed before it dropped, not one that was down from the start.
  const subscribe = (): void => {
    subscriber.subscribe(channel).then(() => {
      listening = true;
    }, report);
  };
  subscriber.on('ready', subscribe);
  subscriber.on('close', () => {
    listening = false;
  });
  if (subscriber.status === 'ready') subscribe();

  return {
    async publish(message) {
      try {
        await publisher.publish(channel, JSON.stringify(message));
      } catch (error) {
        report(error);
      }
    },
    subscribe(handler) {
      // Wrapped so that one function subscribed twice is called twice and unsubscribed apart.
      const entry = (message: Invalidation): void => handler(message);
      handlers.add(entry);
      return () => {
        handlers.delete(entry);
      };
    },
    subscribed: () => listening && subscriber.status === 'ready',
    async close() {
      handlers.clear();
      subscriber.off('ready', subscribe);
      await Promise.all([closeRedisConnection(subscriber), closeRedisConnection(publisher)]);
    },
  };
}
