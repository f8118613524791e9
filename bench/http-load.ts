import autocannon from 'autocannon';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startCpuMeter } from './cpu-meter.js';
import { LatencyRecorder } from './latency.js';
import type { ScenarioName } from './options.js';
import { openBenchDatabase, redactedUrl, type BenchDatabase } from './postgres.js';
import { countError, type ScenarioResult, type StoreKind } from './scenario-result.js';
import { makeTempDir, removeTempDir } from './temp-dirs.js';
import { startServerProcess, type ServerCommand, type ServerProcess } from './server-process.js';

/** Parameters of {@link runHttpLoad}. Durations in seconds. */
export interface HttpLoadOptions {
  scenario: ScenarioName;
  store: StoreKind;
  /** Connections in all; split evenly between the server children. */
  connections: number;
  duration: number;
  warmup: number;
  port: number;
  command: ServerCommand;
  /** Where the server children write their V8 CPU profiles; no profile when absent. */
  cpuProfDir?: string | undefined;
  /** The PostgreSQL server (a database URL) and each child's pool size: postgres scenarios. */
  postgres?: { url: string; pool: number } | undefined;
  log: (line: string) => void;
}

/** How one scenario refreshes: the request for a credential, and the next credential. */
interface RefreshWire {
  method: 'GET' | 'POST';
  path: string;
  /** Which credential of a minted session starts the chain. */
  start: 'accessToken' | 'refreshToken';
  request(credential: string): { headers: Record<string, string>; body?: string };
  /** The credential for the next refresh, from a 200 body. */
  next(body: Record<string, unknown>): unknown;
}

const OAUTH: RefreshWire = {
  method: 'POST',
  path: '/oauth/token',
  start: 'refreshToken',
  request: (token) => ({
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `grant_type=refresh_token&refresh_token=${encodeURIComponent(token)}`,
  }),
  next: (body) => body.refresh_token,
};

/**
 * The OAuth wire as a public client (RFC 6749 §2.1) speaks it: the same request with
 * `client_id`, which a provider with registered clients needs to find the token's client.
 */
const OAUTH_PUBLIC_CLIENT: RefreshWire = {
  ...OAUTH,
  request: (token) => ({
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `grant_type=refresh_token&refresh_token=${encodeURIComponent(token)}&client_id=bench`,
  }),
};

/** The wire of each HTTP scenario: the OAuth face, or a dialect (docs/dialects.md). */
const WIRES: Record<string, RefreshWire> = {
  'http-memory': OAUTH,
  'http-sqlite': OAUTH,
  'http-postgres': OAUTH,
  // Not Baton: the bare rotation that speaks the OAuth wire (bench/baseline-server.ts).
  'baseline-postgres': OAUTH,
  'http-postgres-2': OAUTH,
  'http-postgres-redis': OAUTH,
  // Not Baton: the peers of the comparison (bench/peers/).
  'peer-oidc-provider': OAUTH_PUBLIC_CLIENT,
  'peer-floor': OAUTH_PUBLIC_CLIENT,
  // An access-token refresh: verify the JWT, rotate, carry the refresh token forward.
  'http-sqlite-payabli': {
    method: 'POST',
    path: '/api/User/authrefresh',
    start: 'accessToken',
    request: (token) => ({ headers: { requesttoken: token } }),
    next: (body) => body.responseData,
  },
  'http-sqlite-adid': {
    method: 'POST',
    path: '/api/v1/auth/refresh',
    start: 'refreshToken',
    request: (token) => ({
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: token }),
    }),
    next: (body) => body.refreshToken,
  },
};

/**
 * Server children sharing the store, one port each from `--port` on (1 unless listed). Each
 * connection stays on one child all run, as behind a sticky load balancer.
 */
const INSTANCES: Partial<Record<ScenarioName, number>> = { 'http-postgres-2': 2 };

/** Scenarios whose servers use Redis (shared failure counters, checked on every refresh). */
const WITH_REDIS: ReadonlySet<ScenarioName> = new Set(['http-postgres-redis']);

/** The Redis of the Redis scenarios (failure counters only: a run adds no keys). */
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Starts one session per connection through the admin API; returns each chain's credential. */
async function mintSessions(
  url: string,
  adminToken: string,
  count: number,
  wire: RefreshWire,
  subject = 'bench',
): Promise<string[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const response = await fetch(`${url}/admin/sessions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ subject: `${subject}-${i}` }),
      });
      const body = (await response.json()) as Record<string, unknown>;
      const credential = body[wire.start];
      if (response.status !== 201 || typeof credential !== 'string') {
        throw new Error(
          `POST /admin/sessions answered ${response.status}: ${JSON.stringify(body)}`,
        );
      }
      return credential;
    }),
  );
}

/** `status 400 {"error":…}` with the start of the error body, whatever its dialect. */
function describeFailure(status: number, body: string): string {
  return `status ${status} ${body.slice(0, 80)}`;
}

/**
 * Checks, outside the measured window, that the children share one truth: a session minted
 * through the first refreshes through the second, and its next token again through the first.
 */
async function checkAcrossInstances(
  urls: string[],
  adminToken: string,
  wire: RefreshWire,
): Promise<string> {
  const [first, second] = urls as [string, string];
  const refreshVia = async (url: string, credential: string): Promise<string> => {
    const { headers, body } = wire.request(credential);
    const response = await fetch(`${url}${wire.path}`, {
      method: wire.method,
      headers,
      ...(body === undefined ? {} : { body }),
    });
    const text = await response.text();
    let next: unknown;
    try {
      next = wire.next(JSON.parse(text) as Record<string, unknown>);
    } catch {
      next = undefined;
    }
    if (response.status !== 200 || typeof next !== 'string') {
      throw new Error(
        `a session minted through ${first} did not refresh through ${url}: ${describeFailure(response.status, text)}`,
      );
    }
    return next;
  };
  const [token] = await mintSessions(first, adminToken, 1, wire, 'bench-across');
  const next = await refreshVia(second, token as string);
  await refreshVia(first, next);
  return `a session minted through ${first} refreshed through ${second}, then through ${first} again`;
}

interface CannonRun {
  refreshes: number;
  errorKinds: Record<string, number>;
  result: autocannon.Result;
}

/** Where the latencies of a run go: every connection's first response apart. */
interface Recorders {
  /** Every response but the first of each connection; none during a warm-up. */
  latency?: LatencyRecorder | undefined;
  /** The first response of each connection, whose time includes the TCP connect. */
  first: LatencyRecorder;
}

/**
 * One autocannon run, one connection per token. Each connection is a refresh chain: it presents
 * the refresh token its own previous response returned. (autocannon resets a request's `context`
 * every time it loops over the `requests` list, so the chain lives in a closure given to each
 * connection by `setupClient`.) The first response of each connection is left out of
 * `recorders.latency`: its time includes the TCP connect.
 */
async function cannon(
  url: string,
  wire: RefreshWire,
  tokens: string[],
  seconds: number,
  recorders: Recorders,
): Promise<CannonRun> {
  const errorKinds: Record<string, number> = {};
  let refreshes = 0;
  let connected = 0;
  const instance = autocannon({
    url,
    connections: tokens.length,
    pipelining: 1,
    duration: seconds,
    timeout: 10,
    method: wire.method,
    path: wire.path,
    setupClient(client) {
      const chain = { token: tokens[connected++ % tokens.length] as string };
      client.setRequests([
        {
          method: wire.method,
          path: wire.path,
          setupRequest: (request) => ({ ...request, ...wire.request(chain.token) }),
          onResponse(status, body) {
            if (status !== 200) {
              countError(errorKinds, describeFailure(status, body));
              return;
            }
            let next: unknown;
            try {
              next = wire.next(JSON.parse(body) as Record<string, unknown>);
            } catch {
              next = undefined;
            }
            if (typeof next !== 'string') {
              countError(errorKinds, 'status 200 without the next credential');
              return;
            }
            chain.token = next;
            refreshes++;
          },
        },
      ]);
    },
  });
  const seen = new WeakSet<object>();
  instance.on('response', (client, _status, _bytes, latencyMs) => {
    if (seen.has(client)) {
      recorders.latency?.record(latencyMs);
    } else {
      seen.add(client);
      recorders.first.record(latencyMs);
    }
  });
  const result = await instance;
  if (result.timeouts > 0) errorKinds.timeout = result.timeouts;
  if (result.errors > result.timeouts)
    errorKinds['connection error'] = result.errors - result.timeouts;
  return { refreshes, errorKinds, result };
}

/** One server child and the chains that stay on it. */
interface Target {
  server: ServerProcess;
  connections: number;
}

/** The runs of one load, one per child, started together; a latency goes to shared recorders. */
async function load(
  targets: Target[],
  tokens: string[][],
  wire: RefreshWire,
  seconds: number,
  recorders: Recorders,
): Promise<CannonRun[]> {
  return Promise.all(
    targets.map((target, i) =>
      cannon(target.server.url, wire, tokens[i] ?? [], seconds, recorders),
    ),
  );
}

/** Mints each child's chains through that child. */
async function mintAll(
  targets: Target[],
  adminToken: string,
  wire: RefreshWire,
): Promise<string[][]> {
  return Promise.all(
    targets.map((target, i) =>
      mintSessions(target.server.url, adminToken, target.connections, wire, `bench-${i + 1}`),
    ),
  );
}

function mergeErrors(runs: CannonRun[]): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const run of runs) {
    for (const [kind, n] of Object.entries(run.errorKinds)) kinds[kind] = (kinds[kind] ?? 0) + n;
  }
  return kinds;
}

/** autocannon's own figures: latency of 2xx responses only, in whole milliseconds. */
function autocannonFigures(result: autocannon.Result): Record<string, unknown> {
  const { latency, requests } = result;
  return {
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodeStats: result.statusCodeStats,
    requestsPerSecond: { mean: requests.mean, stddev: requests.stddev, min: requests.min },
    latencyMs: {
      p50: latency.p50,
      p90: latency.p90,
      p99: latency.p99,
      max: latency.max,
      mean: latency.mean,
    },
  };
}

const lastLines = (server: ServerProcess): string[] =>
  server.output().trim().split('\n').filter(Boolean).slice(-20);

/** `connections` split as evenly as can be into `parts` (the first ones get the remainder). */
function split(connections: number, parts: number): number[] {
  return Array.from(
    { length: parts },
    (_, i) => Math.floor(connections / parts) + (i < connections % parts ? 1 : 0),
  );
}

/**
 * Refresh throughput over HTTP: the real server (`baton serve`) in a child process on loopback,
 * autocannon driving POST /oauth/token with one refresh chain per connection, after a discarded
 * warm-up run on sessions of its own. On PostgreSQL the store is a fresh schema, dropped
 * afterwards, and there may be more than one child on it: the connections are then split
 * between them (one autocannon run per child, all at once) and the figures are combined.
 */
export async function runHttpLoad(options: HttpLoadOptions): Promise<ScenarioResult> {
  const wire = WIRES[options.scenario];
  if (wire === undefined) throw new Error(`${options.scenario} is not an HTTP scenario`);
  const instances = INSTANCES[options.scenario] ?? 1;
  if (instances > 1 && options.store !== 'postgres') {
    throw new Error(`${options.scenario}: only a PostgreSQL store can be shared by servers`);
  }
  if (options.connections < instances) {
    throw new Error(`${options.scenario} needs at least ${instances} connections, one per server`);
  }
  const adminToken = randomBytes(32).toString('base64url');
  let dir: string | undefined;
  let database: BenchDatabase | undefined;
  let store = 'memory:';
  // Servers sharing a store share the master secret (BATON_SECRET), as an operator sets it.
  let secret: string | undefined;
  if (options.store === 'sqlite') {
    dir = makeTempDir('baton-bench-');
    store = `sqlite:${join(dir, 'bench.db')}`;
  } else if (options.store === 'postgres') {
    if (options.postgres === undefined) throw new Error(`${options.scenario} needs a database`);
    database = await openBenchDatabase(options.postgres.url, options.postgres.pool);
    store = database.storeUrl;
    secret = randomBytes(32).toString('base64url');
    options.log(
      `schema ${database.schema} of ${redactedUrl(options.postgres.url)}, pool ${options.postgres.pool} per server`,
    );
  }
  const servers: ServerProcess[] = [];
  try {
    // One after the other: the first creates the schema, the secret's fingerprint and the key.
    for (let i = 0; i < instances; i++) {
      const server = await startServerProcess({
        command: options.command,
        port: options.port + i,
        store,
        adminToken,
        secret,
        redisUrl: WITH_REDIS.has(options.scenario) ? REDIS_URL : undefined,
        cpuProfDir: options.cpuProfDir,
      });
      servers.push(server);
      options.log(
        `server${instances > 1 ? ` ${i + 1}` : ''} pid ${server.pid} (${options.command.mode}) ready at ${server.url}`,
      );
    }
    const shares = split(options.connections, instances);
    const targets = servers.map((server, i) => ({ server, connections: shares[i] ?? 0 }));
    // A backend's statistics reach PostgreSQL's views when it exits, or up to 10 s after it last
    // went idle: they are read now and after the children have stopped, so they cover the
    // warm-up and the measured run (both counted below) and come out per refresh.
    const countersBefore = await database?.counters();
    let across: string | undefined;
    if (instances > 1) {
      across = await checkAcrossInstances(
        servers.map((server) => server.url),
        adminToken,
        wire,
      );
      options.log(`across servers: ${across}`);
    }
    let warmup: CannonRun[] | undefined;
    if (options.warmup > 0) {
      options.log(`warm-up ${options.warmup} s (discarded)`);
      const tokens = await mintAll(targets, adminToken, wire);
      warmup = await load(targets, tokens, wire, options.warmup, {
        first: new LatencyRecorder(),
      });
      // autocannon ends a run by resetting its connections; a connect that meets one of them
      // before the server has closed its side waits for a SYN retry (1 s). Let them settle.
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const tokens = await mintAll(targets, adminToken, wire);
    options.log(
      `measuring ${options.duration} s, ${options.connections} connections` +
        `${instances > 1 ? ` (${shares.join(' + ')} over ${instances} servers)` : ''}, ${wire.method} ${wire.path}`,
    );
    const recorder = new LatencyRecorder();
    const firstResponses = new LatencyRecorder();
    const stopActivity = database?.watchActivity(200);
    const stopMeter = startCpuMeter({
      serverPids: servers.map((server) => server.pid),
      database: database !== undefined,
    });
    const runs = await load(targets, tokens, wire, options.duration, {
      latency: recorder,
      first: firstResponses,
    });
    const cpu = stopMeter();
    const activity = await stopActivity?.();
    const errorKinds = mergeErrors(runs);
    const errors = Object.values(errorKinds).reduce((sum, n) => sum + n, 0);
    const refreshes = runs.reduce((sum, run) => sum + run.refreshes, 0);
    // The runs start together and last as long; the longest is the window of all of them.
    const elapsed = Math.max(...runs.map((run) => run.result.duration));
    let postgres: Record<string, unknown> | undefined;
    if (database !== undefined && countersBefore !== undefined && options.postgres !== undefined) {
      await Promise.all(servers.map((server) => server.stop()));
      // The children's backends exit (and report) once their connections have closed.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const countersAfter = await database.counters();
      const counted =
        (warmup?.reduce((sum, run) => sum + run.refreshes, 0) ?? 0) +
        refreshes +
        (across === undefined ? 0 : 2);
      postgres = {
        url: redactedUrl(options.postgres.url),
        schema: database.schema,
        poolSize: options.postgres.pool,
        instances,
        connectionsToPostgres: options.postgres.pool * instances,
        sharedSecret: true,
        ...(across === undefined ? {} : { acrossInstances: across }),
        perRefresh: database.perRefresh(countersBefore, countersAfter, counted),
        activity,
      };
    }
    const first = firstResponses.summary();
    return {
      scenario: options.scenario,
      kind: 'http',
      store: options.store,
      concurrency: options.connections,
      elapsed,
      refreshes,
      refreshesPerSecond: refreshes / elapsed,
      latency: recorder.summary(),
      errors,
      errorKinds,
      details: {
        server: { mode: options.command.mode, reason: options.command.reason },
        endpoint: `${wire.method} ${wire.path}`,
        instances,
        redis: WITH_REDIS.has(options.scenario) ? REDIS_URL : null,
        cpuCores: cpu,
        pipelining: 1,
        firstResponseMs: { p50: first.p50, max: first.max },
        warmup:
          warmup === undefined
            ? null
            : {
                refreshes: warmup.reduce((sum, run) => sum + run.refreshes, 0),
                errorKinds: mergeErrors(warmup),
              },
        ...(postgres === undefined ? {} : { postgres }),
        ...(instances === 1
          ? {
              autocannon: autocannonFigures((runs[0] as CannonRun).result),
              serverOutput: lastLines(servers[0] as ServerProcess),
            }
          : {
              perInstance: runs.map((run, i) => ({
                url: targets[i]?.server.url,
                pid: targets[i]?.server.pid,
                connections: targets[i]?.connections,
                refreshes: run.refreshes,
                refreshesPerSecond: run.refreshes / run.result.duration,
                errorKinds: run.errorKinds,
                cpuCores: cpu.servers?.[i] ?? null,
                autocannon: autocannonFigures(run.result),
                serverOutput: lastLines(targets[i]?.server as ServerProcess),
              })),
            }),
      },
    };
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
    if (dir !== undefined) removeTempDir(dir);
    await database?.drop();
  }
}
