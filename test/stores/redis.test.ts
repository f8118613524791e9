import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createConnection, createServer } from 'node:net';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Invalidation } from '../../src/core/invalidations.js';
import { createMemoryRateLimiter } from '../../src/core/rate-limiter.js';
import { openRedis } from '../../src/stores/redis/open-redis.js';
import {
  closeRedisConnection,
  createRedisConnection,
  REDIS_COMMAND_TIMEOUT_MS,
  redisHealth,
} from '../../src/stores/redis/redis-connection.js';
import {
  createRedisInvalidationBus,
  parseInvalidation,
  type RedisInvalidationBus,
} from '../../src/stores/redis/redis-invalidations.js';
import { createRedisRateLimiter } from '../../src/stores/redis/redis-rate-limiter.js';

/** The shared Redis of the test machine; every key of this run starts with `prefix`. */
const SHARED_URL = process.env.BATON_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `baton-test:${process.pid}-${randomBytes(4).toString('hex')}:`;

const connections: Redis[] = [];
const servers: ChildProcess[] = [];

/** A connection closed after all tests. */
function connect(url: string): Redis {
  const redis = createRedisConnection(url);
  connections.push(redis);
  return redis;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The longest a call may take when it has to wait out one command timeout: that timeout and as
 * much again for a loaded machine's scheduling. Bounds come from the configured timeouts, not
 * from how fast this machine happens to be.
 */
const AT_MOST_ONE_COMMAND_MS = 2 * REDIS_COMMAND_TIMEOUT_MS;

/** Polls `condition` every 20 ms for up to `ms`; true once it holds. */
async function eventually(condition: () => boolean, ms = 5_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

/** Milliseconds `work` takes, with its result. */
async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await work();
  return { ms: performance.now() - start, value };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/** True when a Redis answers PING on `port`. */
function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (answer: boolean): void => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

/** A redis-server of this test alone, which it may kill and restart on the same port. */
class OwnRedis {
  private child: ChildProcess | undefined;
  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1'],
      { stdio: 'ignore' },
    );
    servers.push(child);
    this.child = child;
    const deadline = Date.now() + 5_000;
    while (!(await pings(this.port))) {
      if (Date.now() > deadline || child.exitCode !== null) {
        throw new Error(`redis-server did not start on port ${this.port}`);
      }
      await sleep(20);
    }
  }

  /** Kills the server at once, as a crash would. */
  async kill(): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** Freezes the server: connections stay open but nothing answers, as in a partition. */
  freeze(): void {
    this.child?.kill('SIGSTOP');
  }

  thaw(): void {
    this.child?.kill('SIGCONT');
  }
}

async function ownRedis(): Promise<OwnRedis> {
  const server = new OwnRedis(await freePort());
  await server.start();
  return server;
}

/** The messages `target` delivers from now on. */
function collect(target: RedisInvalidationBus): Invalidation[] {
  const received: Invalidation[] = [];
  target.subscribe((message) => received.push(message));
  return received;
}

async function ready(redis: Redis): Promise<void> {
  expect(await eventually(() => redis.status === 'ready')).toBe(true);
}

let admin: Redis;

beforeAll(async () => {
  admin = connect(SHARED_URL);
  if (!(await eventually(() => admin.status === 'ready'))) {
    throw new Error(`no Redis answers at ${SHARED_URL} (set BATON_TEST_REDIS_URL)`);
  }
});

afterAll(async () => {
  for (const child of servers) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    }
  }
  if (admin.status === 'ready') {
    let cursor = '0';
    do {
      const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await admin.del(...keys);
    } while (cursor !== '0');
  }
  await Promise.all(connections.map((redis) => closeRedisConnection(redis)));
});

describe('createRedisConnection', () => {
  it('refuses a URL that is not redis:// or rediss:// without repeating it', () => {
    expect(() => createRedisConnection('http://user:hunter2@localhost')).toThrow(
      /redis:\/\/ or rediss:\/\//,
    );
    expect(() => createRedisConnection('http://user:hunter2@localhost')).not.toThrow(/hunter2/);
    expect(() => createRedisConnection('not a url')).toThrow(/redis:\/\//);
  });

  it('fails commands at once while the server is unreachable, and records the error', async () => {
    const redis = connect(`redis://127.0.0.1:${await freePort()}`);
    expect(await eventually(() => redisHealth(redis).lastError !== undefined)).toBe(true);
    const { ms } = await timed(() => redis.get('x').catch((error: unknown) => error));
    // It did not wait for the command timeout: no offline queue.
    expect(ms).toBeLessThan(REDIS_COMMAND_TIMEOUT_MS);
    expect(redisHealth(redis)).toMatchObject({ connected: false });
    expect(redisHealth(redis).lastError).toMatch(/ECONNREFUSED/);
  });
});

describe('redis rate limiter on the shared Redis', () => {
  const windowTtl = 60;
  const now = 6_000; // window 100: [6000, 6060)

  it('counts the failures of two instances together', async () => {
    const a = createRedisRateLimiter({
      redis: connect(SHARED_URL),
      fallback: createMemoryRateLimiter(),
      prefix,
    });
    const fallbackB = createMemoryRateLimiter();
    const b = createRedisRateLimiter({ redis: connect(SHARED_URL), fallback: fallbackB, prefix });
    await eventually(() => a.state() === 'redis' && b.state() === 'redis');
    await a.hit('ip:10.0.0.1', windowTtl, now);
    await a.hit('ip:10.0.0.1', windowTtl, now + 1);
    expect(await b.retryAfter('ip:10.0.0.1', 3, windowTtl, now + 2)).toBe(0);
    await b.hit('ip:10.0.0.1', windowTtl, now + 2);
    // Three failures, two from each side: both instances refuse the fourth attempt.
    expect(await a.retryAfter('ip:10.0.0.1', 3, windowTtl, now + 10)).toBe(50);
    expect(await b.retryAfter('ip:10.0.0.1', 3, windowTtl, now + 10)).toBe(50);
    expect(await b.retryAfter('ip:10.0.0.1', 4, windowTtl, now + 10)).toBe(0);
    // Other keys are counted apart, and nothing went to the fallback.
    expect(await a.retryAfter('ip:10.0.0.2', 1, windowTtl, now + 10)).toBe(0);
    expect(await fallbackB.retryAfter('ip:10.0.0.1', 1, windowTtl, now + 10)).toBe(0);
    expect([a.state(), b.state()]).toEqual(['redis', 'redis']);
  });

  it('starts a new count in the next window', async () => {
    const limiter = createRedisRateLimiter({
      redis: connect(SHARED_URL),
      fallback: createMemoryRateLimiter(),
      prefix,
    });
    await eventually(() => limiter.state() === 'redis');
    const key = 'session:ses_window';
    await limiter.hit(key, windowTtl, now + 58);
    await limiter.hit(key, windowTtl, now + 59);
    expect(await limiter.retryAfter(key, 2, windowTtl, now + 59)).toBe(1);
    expect(await limiter.retryAfter(key, 2, windowTtl, now + 60)).toBe(0);
    await limiter.hit(key, windowTtl, now + 60);
    expect(await limiter.retryAfter(key, 2, windowTtl, now + 61)).toBe(0);
    expect(await limiter.retryAfter(key, 1, windowTtl, now + 61)).toBe(59);
  });

  it('keeps one expiring key per key and window, named without the prefix leaking', async () => {
    const limiter = createRedisRateLimiter({
      redis: connect(SHARED_URL),
      fallback: createMemoryRateLimiter(),
      prefix,
    });
    await eventually(() => limiter.state() === 'redis');
    await limiter.hit('ip:1.2.3.4', windowTtl, now);
    await limiter.hit('ip:1.2.3.4', windowTtl, now + 30);
    expect(await admin.get(`${prefix}rl:ip:1.2.3.4:100`)).toBe('2');
    const ttl = await admin.ttl(`${prefix}rl:ip:1.2.3.4:100`);
    expect(ttl).toBeGreaterThan(windowTtl - 5);
    expect(ttl).toBeLessThanOrEqual(windowTtl + 10);
  });

  it('treats limit 0 as unlimited', async () => {
    const limiter = createRedisRateLimiter({
      redis: connect(SHARED_URL),
      fallback: createMemoryRateLimiter(),
      prefix,
    });
    await eventually(() => limiter.state() === 'redis');
    for (let i = 0; i < 5; i += 1) await limiter.hit('ip:10.9.9.9', windowTtl, now);
    expect(await limiter.retryAfter('ip:10.9.9.9', 0, windowTtl, now)).toBe(0);
    expect(await limiter.retryAfter('ip:10.9.9.9', 5, windowTtl, now)).toBe(60);
  });
});

describe('redis rate limiter when Redis fails', () => {
  const windowTtl = 60;
  const now = 6_000;

  it('falls back to memory at once while Redis is dead, and returns to Redis by itself', async () => {
    const server = await ownRedis();
    const redis = connect(server.url);
    await ready(redis);
    const degraded: (Error | undefined)[] = [];
    let recovered = 0;
    const limiter = createRedisRateLimiter({
      redis,
      fallback: createMemoryRateLimiter(),
      prefix,
      onDegraded: (error) => degraded.push(error),
      onRecovered: () => (recovered += 1),
    });
    await limiter.hit('ip:1.1.1.1', windowTtl, now);
    expect(await limiter.retryAfter('ip:1.1.1.1', 1, windowTtl, now)).toBe(60);
    expect(limiter.state()).toBe('redis');

    await server.kill();
    // No wait for ioredis to notice: the calls right after the crash must be quick too.
    for (let i = 0; i < 3; i += 1) {
      const hit = await timed(() => limiter.hit('ip:1.1.1.1', windowTtl, now + 1));
      expect(hit.ms).toBeLessThan(AT_MOST_ONE_COMMAND_MS);
    }
    const check = await timed(() => limiter.retryAfter('ip:1.1.1.1', 3, windowTtl, now + 2));
    expect(check.ms).toBeLessThan(AT_MOST_ONE_COMMAND_MS);
    // The fallback counts from zero: the three failures made while Redis was dead.
    expect(check.value).toBe(58);
    expect(await limiter.retryAfter('ip:1.1.1.1', 4, windowTtl, now + 2)).toBe(0);
    expect(limiter.state()).toBe('fallback');
    expect(degraded).toHaveLength(1);

    await server.start();
    expect(await eventually(() => limiter.state() === 'redis', 5_000)).toBe(true);
    // The restarted server lost its data (no persistence); counting resumes there.
    expect(await limiter.retryAfter('ip:1.1.1.1', 1, windowTtl, now + 3)).toBe(0);
    await limiter.hit('ip:1.1.1.1', windowTtl, now + 3);
    expect(await redis.get(`${prefix}rl:ip:1.1.1.1:100`)).toBe('1');
    expect(recovered).toBe(1);
    await server.kill();
  });

  it('waits at most one command timeout on a Redis that stopped answering', async () => {
    const server = await ownRedis();
    const redis = connect(server.url);
    await ready(redis);
    const limiter = createRedisRateLimiter({
      redis,
      fallback: createMemoryRateLimiter(),
      prefix,
    });
    server.freeze();
    try {
      const first = await timed(() => limiter.hit('ip:2.2.2.2', windowTtl, now));
      // It waited for the command timeout (timers may fire a little early), and no longer.
      expect(first.ms).toBeGreaterThanOrEqual(REDIS_COMMAND_TIMEOUT_MS - 50);
      expect(first.ms).toBeLessThan(AT_MOST_ONE_COMMAND_MS);
      expect(limiter.state()).toBe('fallback');
      // Meanwhile the connection is still open, yet later calls do not wait.
      const second = await timed(() => limiter.retryAfter('ip:2.2.2.2', 1, windowTtl, now));
      expect(second.ms).toBeLessThan(REDIS_COMMAND_TIMEOUT_MS);
      expect(second.value).toBe(60);
    } finally {
      server.thaw();
    }
    expect(await eventually(() => limiter.state() === 'redis', 5_000)).toBe(true);
    await server.kill();
  });
});

describe('parseInvalidation', () => {
  it.each([
    ['{"type":"keys"}', { type: 'keys' }],
    ['{"type":"client","id":"app"}', { type: 'client', id: 'app' }],
    [`{"type":"client","id":"${'a'.repeat(64)}"}`, { type: 'client', id: 'a'.repeat(64) }],
  ])('reads %s', (text, expected) => {
    expect(parseInvalidation(text)).toEqual(expected);
  });

  it.each([
    'garbage',
    '',
    'null',
    '42',
    '"keys"',
    '[{"type":"keys"}]',
    '{"type":"keys","id":"x"}',
    '{"type":"client"}',
    '{"type":"client","id":""}',
    '{"type":"client","id":42}',
    '{"type":"client","id":["app"]}',
    `{"type":"client","id":"${'a'.repeat(65)}"}`,
    '{"type":"client","id":"app","extra":true}',
    '{"type":"session","id":"ses_1"}',
    '{"type":"KEYS"}',
    `{"type":"keys"${' '.repeat(300)}}`,
  ])('ignores %s', (text) => {
    expect(parseInvalidation(text)).toBeUndefined();
  });
});

describe('redis invalidation bus', () => {
  const buses: RedisInvalidationBus[] = [];
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((bus) => bus.close()));
  });

  function bus(url: string, channel: string, onError?: (error: Error) => void) {
    const created = createRedisInvalidationBus({
      publisher: connect(url),
      subscriber: connect(url),
      channel,
      ...(onError === undefined ? {} : { onError }),
    });
    buses.push(created);
    return created;
  }

  it('delivers every message to every instance, the sender included', async () => {
    const channel = `${prefix}invalidate`;
    const a = bus(SHARED_URL, channel);
    const b = bus(SHARED_URL, channel);
    const atA = collect(a);
    const atB = collect(b);
    expect(await eventually(() => a.subscribed() && b.subscribed())).toBe(true);
    await a.publish({ type: 'client', id: 'app' });
    await b.publish({ type: 'keys' });
    expect(await eventually(() => atA.length === 2 && atB.length === 2)).toBe(true);
    const expected = [{ type: 'client', id: 'app' }, { type: 'keys' }];
    expect(atA).toEqual(expected);
    expect(atB).toEqual(expected);
  });

  it('ignores malformed messages and other channels', async () => {
    const channel = `${prefix}invalidate-raw`;
    const target = bus(SHARED_URL, channel);
    const received = collect(target);
    expect(await eventually(() => target.subscribed())).toBe(true);
    for (const raw of ['garbage', '{"type":"client"}', '[]', '{"type":"keys","x":1}']) {
      await admin.publish(channel, raw);
    }
    await admin.publish(`${channel}-other`, '{"type":"keys"}');
    await admin.publish(channel, '{"type":"client","id":"last"}');
    expect(await eventually(() => received.length > 0)).toBe(true);
    await sleep(50);
    expect(received).toEqual([{ type: 'client', id: 'last' }]);
  });

  it('stops calling a handler once unsubscribed, and survives a throwing handler', async () => {
    const channel = `${prefix}invalidate-unsub`;
    const errors: Error[] = [];
    const target = bus(SHARED_URL, channel, (error) => errors.push(error));
    const kept = collect(target);
    const dropped: Invalidation[] = [];
    const unsubscribe = target.subscribe((message) => dropped.push(message));
    target.subscribe(() => {
      throw new Error('handler failed');
    });
    expect(await eventually(() => target.subscribed())).toBe(true);
    await target.publish({ type: 'keys' });
    expect(await eventually(() => kept.length === 1 && dropped.length === 1)).toBe(true);
    unsubscribe();
    await target.publish({ type: 'client', id: 'app' });
    expect(await eventually(() => kept.length === 2)).toBe(true);
    expect(dropped).toHaveLength(1);
    expect(errors.map((error) => error.message)).toEqual(['handler failed', 'handler failed']);
  });

  it('swallows publishing while Redis is dead and hears messages again after a restart', async () => {
    const server = await ownRedis();
    const errors: Error[] = [];
    const a = bus(server.url, 'baton:invalidate', (error) => errors.push(error));
    const b = bus(server.url, 'baton:invalidate');
    const atB = collect(b);
    expect(await eventually(() => a.subscribed() && b.subscribed())).toBe(true);

    await server.kill();
    const published = await timed(() => a.publish({ type: 'keys' }));
    expect(published.ms).toBeLessThan(AT_MOST_ONE_COMMAND_MS);
    expect(errors.length).toBeGreaterThan(0);
    expect(await eventually(() => !b.subscribed())).toBe(true);

    await server.start();
    expect(await eventually(() => a.subscribed() && b.subscribed(), 5_000)).toBe(true);
    await a.publish({ type: 'client', id: 'after-restart' });
    expect(await eventually(() => atB.length === 1)).toBe(true);
    expect(atB).toEqual([{ type: 'client', id: 'after-restart' }]);
    await server.kill();
  });

  it('subscribes once a Redis that was down at start-up comes up', async () => {
    const server = new OwnRedis(await freePort());
    const target = bus(server.url, 'baton:invalidate');
    const received = collect(target);
    await sleep(100);
    expect(target.subscribed()).toBe(false);
    await server.start();
    expect(await eventually(() => target.subscribed(), 5_000)).toBe(true);
    await target.publish({ type: 'keys' });
    expect(await eventually(() => received.length === 1)).toBe(true);
    await server.kill();
  });

  it('close() quits both connections', async () => {
    const publisher = connect(SHARED_URL);
    const subscriber = connect(SHARED_URL);
    const target = createRedisInvalidationBus({ publisher, subscriber });
    expect(await eventually(() => target.subscribed())).toBe(true);
    await target.close();
    expect(await eventually(() => publisher.status === 'end' && subscriber.status === 'end')).toBe(
      true,
    );
    expect(target.subscribed()).toBe(false);
  });
});

describe('openRedis', () => {
  it('wires a shared limiter and a bus over one URL, and reports its state', async () => {
    const server = await ownRedis();
    const errors: Error[] = [];
    const opened = openRedis(server.url, { prefix, onError: (error) => errors.push(error) });
    try {
      const limiter = opened.limiter(createMemoryRateLimiter());
      const received = collect(opened.bus);
      expect(await eventually(() => opened.state().connected && opened.state().subscribed)).toBe(
        true,
      );
      await limiter.hit('ip:3.3.3.3', 60, 6_000);
      expect(await limiter.retryAfter('ip:3.3.3.3', 1, 60, 6_000)).toBe(60);
      expect(limiter.state()).toBe('redis');
      await opened.bus.publish({ type: 'keys' });
      expect(await eventually(() => received.length === 1)).toBe(true);

      await server.kill();
      expect(await eventually(() => !opened.state().connected)).toBe(true);
      expect(opened.state()).toMatchObject({ connected: false, subscribed: false });
      expect(limiter.state()).toBe('fallback');
      await limiter.hit('ip:3.3.3.3', 60, 6_000);
      expect(errors.some((error) => /per-instance/.test(error.message))).toBe(true);
    } finally {
      await opened.close();
      await server.kill();
    }
  });
});
