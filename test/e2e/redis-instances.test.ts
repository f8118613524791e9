import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropSchemas, pgStoreUrl, testSchemaName } from '../helpers/postgres.js';
import {
  admin,
  cleanupServers,
  freePort,
  mintSession,
  refreshAt,
  startServer,
  type ServerProcess,
} from '../helpers/server-process.js';

// Two real `baton serve` processes on one PostgreSQL schema and one Redis of their own (so that
// this file may kill it): shared failure counters, the invalidation channel, and Redis dying
// under load while refreshes go on.

const schema = testSchemaName();
let redisPort: number;
let redis: ChildProcess | undefined;
let a: ServerProcess;
let b: ServerProcess;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function redisAnswers(): Promise<boolean> {
  const { createConnection } = await import('node:net');
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port: redisPort });
    socket.setTimeout(500);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

async function startRedis(): Promise<void> {
  redis = spawn(
    'redis-server',
    ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 100 && !(await redisAnswers()); i++) await sleep(50);
  if (!(await redisAnswers())) throw new Error('redis-server did not start');
}

async function killRedis(): Promise<void> {
  const child = redis;
  redis = undefined;
  if (child === undefined || child.exitCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await gone;
}

async function readyz(server: ServerProcess): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${server.url}/readyz`);
  return { status: response.status, body: await response.json() };
}

async function waitFor<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  attempts = 100,
): Promise<T> {
  let value = await probe();
  for (let i = 0; i < attempts && !done(value); i++) {
    await sleep(100);
    value = await probe();
  }
  return value;
}

beforeAll(async () => {
  redisPort = await freePort();
  await startRedis();
  const env = {
    BATON_STORE: pgStoreUrl(schema),
    BATON_REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    BATON_DIALECTS: 'adid',
    BATON_RATE_LIMIT_IP: '4',
  };
  // One after the other: the first creates the schema, the keys and the default client.
  a = await startServer(env);
  b = await startServer(env);
}, 60_000);

afterAll(async () => {
  await cleanupServers();
  await killRedis();
  await dropSchemas([schema]);
});

describe('two instances sharing Redis', () => {
  it('report Redis in /readyz', async () => {
    for (const server of [a, b]) {
      const ready = await waitFor(
        () => readyz(server),
        (r) => (r.body as { redis?: string }).redis === 'ok',
      );
      expect(ready).toEqual({
        status: 200,
        body: { status: 'ready', store: 'postgres', redis: 'ok', rateLimits: 'shared' },
      });
    }
  });

  it('tell the other instance at once when a client changes (no 5 s cache wait)', async () => {
    expect((await admin(a.url, 'POST', '/admin/clients', { id: 'web' })).status).toBe(201);
    const session = await mintSession(a.url, { subject: 'carol', clientId: 'web' });
    const adid = (url: string, refreshToken: string): Promise<Response> =>
      fetch(`${url}/api/v1/auth/refresh`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refreshToken }),
      });
    // B reads the client (and caches it for 5 s) on this refresh.
    const first = await adid(b.url, session.refreshToken);
    expect(first.status).toBe(200);
    const { refreshToken } = (await first.json()) as { refreshToken: string };
    // A switches adid off for the client; B must refuse the very next refresh.
    const replaced = await admin(a.url, 'POST', '/admin/clients', {
      id: 'web',
      replace: true,
      dialects: [],
    });
    expect(replaced.status).toBe(201);
    // Pub/sub takes a moment to arrive, but far less than the cache's 5 s: allow 1 s at most.
    const started = Date.now();
    const refused = await waitFor(
      () => adid(b.url, refreshToken),
      (response) => response.status !== 200,
      10,
    );
    expect(refused.status).toBe(401);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('keep refreshing correctly while Redis dies and comes back, and say so in /readyz', async () => {
    const chains = await Promise.all(
      Array.from({ length: 8 }, (_, i) => mintSession(a.url, { subject: `load-${i}` })),
    );
    const tokens = chains.map((session) => session.refreshToken);
    const statuses: number[] = [];
    let running = true;
    const load = Promise.all(
      tokens.map(async (_, i) => {
        let step = 0;
        while (running) {
          const server = (i + step++) % 2 === 0 ? a : b;
          const answer = await refreshAt(server.url, tokens[i] as string);
          statuses.push(answer.status);
          if (answer.status === 200)
            tokens[i] = (answer.json as { refresh_token: string }).refresh_token;
        }
      }),
    );
    await sleep(400);
    await killRedis();
    const degraded = await waitFor(
      () => readyz(b),
      (r) => (r.body as { status?: string }).status === 'degraded',
    );
    expect(degraded).toEqual({
      status: 200,
      body: {
        status: 'degraded',
        store: 'postgres',
        redis: 'unavailable',
        rateLimits: 'per-instance',
      },
    });
    await sleep(600);
    const duringOutage = statuses.length;
    await startRedis();
    const back = await waitFor(
      () => readyz(a),
      (r) => (r.body as { status?: string }).status === 'ready',
    );
    expect(back.body).toMatchObject({ status: 'ready', redis: 'ok', rateLimits: 'shared' });
    await sleep(300);
    running = false;
    await load;
    // Every refresh of the whole run succeeded: Redis going away never failed one.
    expect(statuses.length).toBeGreaterThan(duringOutage);
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    // And every chain is still intact: its latest token refreshes once more.
    for (const token of tokens) expect((await refreshAt(b.url, token)).status).toBe(200);
  });

  // Last: it uses up this IP's failure allowance on both instances (admin calls included).
  it('count failed refreshes of one IP together: two on each instance use up a limit of four', async () => {
    const garbage = `rt_${'A'.repeat(22)}${'B'.repeat(43)}`;
    for (const server of [a, a, b, b]) {
      expect((await refreshAt(server.url, garbage)).status).toBe(400);
    }
    // Either instance now refuses this IP, though each saw only two failures itself.
    for (const server of [a, b]) {
      const limited = await refreshAt(server.url, garbage);
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    }
  });
});
