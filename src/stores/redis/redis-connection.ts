import { Redis } from 'ioredis';
import { BatonError } from '../../core/index.js';

/** Milliseconds a command may take before it fails (`Command timed out`). */
export const REDIS_COMMAND_TIMEOUT_MS = 250;
/** Milliseconds a connection attempt may take. */
export const REDIS_CONNECT_TIMEOUT_MS = 1_000;
/** Longest pause between reconnection attempts, in milliseconds. */
export const REDIS_MAX_RECONNECT_DELAY_MS = 2_000;

/** Options of {@link createRedisConnection}. */
export interface RedisConnectionOptions {
  /** Shown in `CLIENT LIST`, e.g. `baton:commands`. */
  connectionName?: string;
  /**
   * Called with the first connection error of each outage (not every failed reconnection
   * attempt); the connection never throws them.
   */
  onError?: (error: Error) => void;
}

/** What {@link redisHealth} reports of a connection. */
export interface RedisHealth {
  /** True while commands can be sent (ioredis status `ready`). */
  connected: boolean;
  /** The ioredis status: `connecting`, `ready`, `reconnecting`, `end`, … */
  status: string;
  /** The message of the last connection error, if any since start. */
  lastError: string | undefined;
}

const lastErrors = new WeakMap<Redis, Error>();

/**
 * The delay in milliseconds before reconnection attempt `times` (1, 2, …): doubles from 50 ms up
 * to {@link REDIS_MAX_RECONNECT_DELAY_MS}, forever, so a restarted Redis is found by itself.
 */
export function reconnectDelay(times: number): number {
  return Math.min(50 * 2 ** Math.min(times - 1, 16), REDIS_MAX_RECONNECT_DELAY_MS);
}

/**
 * Opens an ioredis connection that never makes a caller wait long on a dead Redis: commands fail
 * at once while disconnected (no offline queue) and after {@link REDIS_COMMAND_TIMEOUT_MS}
 * otherwise; the connection comes back by itself. Throws `ERR_INVALID_CONFIG` for a URL that is
 * not `redis://` or `rediss://`.
 *
 * @example const redis = createRedisConnection('redis://127.0.0.1:6379/0')
 */
export function createRedisConnection(url: string, options: RedisConnectionOptions = {}): Redis {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  // The message never repeats the URL: it may hold a password.
  if (parsed === undefined || (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:')) {
    throw new BatonError(
      'ERR_INVALID_CONFIG',
      'the Redis URL must start with redis:// or rediss://',
    );
  }
  const redis = new Redis(url, {
    lazyConnect: false,
    enableOfflineQueue: false,
    // In-flight commands fail as soon as the connection drops instead of waiting for a retry,
    // and are not sent again after reconnecting (an INCR must not count twice).
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    // Commands issued in one event-loop turn (the failure-counter reads of every refresh in
    // flight) go out in one write and come back in one read, instead of one syscall pair each.
    enableAutoPipelining: true,
    // A silent peer (network partition) is dropped, so its status leaves `ready` and later
    // commands fail at once instead of each waiting for the command timeout.
    socketTimeout: 4 * REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
    retryStrategy: reconnectDelay,
    ...(options.connectionName === undefined ? {} : { connectionName: options.connectionName }),
  });
  let reported = false;
  redis.on('ready', () => {
    reported = false;
  });
  redis.on('error', (error: Error) => {
    lastErrors.set(redis, error);
    if (reported) return;
    reported = true;
    options.onError?.(error);
  });
  return redis;
}

/** Whether `redis` can take commands now, and its last error. */
export function redisHealth(redis: Redis): RedisHealth {
  return {
    connected: redis.status === 'ready',
    status: redis.status,
    lastError: lastErrors.get(redis)?.message,
  };
}

/**
 * Closes `redis` for good: a polite QUIT while connected, then a disconnect that also stops
 * reconnection attempts. Never throws.
 */
export async function closeRedisConnection(redis: Redis): Promise<void> {
  if (redis.status === 'ready') {
    try {
      await redis.quit();
    } catch {
      // Closed anyway below.
    }
  }
  redis.disconnect();
}
