/** The scenarios `npm run bench` knows, in the order they run. */
export const SCENARIOS = [
  'core-memory',
  'core-sqlite',
  'http-memory',
  'http-sqlite',
  'http-sqlite-payabli',
  'http-sqlite-adid',
  'baseline-postgres',
  'http-postgres',
  'http-postgres-2',
  'http-postgres-redis',
  // Not Baton: the peers of `--only peers` (bench/peers/), driven like http-sqlite.
  'peer-oidc-provider',
  'peer-floor',
  // The client side: the SDK's overhead and bundle size, the verifier's throughput.
  'client-overhead',
  'client-size',
  'verifier',
] as const;
/** One of {@link SCENARIOS}. */
export type ScenarioName = (typeof SCENARIOS)[number];

/** Settings of one benchmark run. Durations in seconds. */
export interface BenchOptions {
  /** The scenarios run once each, in order. */
  scenarios: ScenarioName[];
  /**
   * Run the peer comparison (`--only peers`): {@link PEER_ROUND} in alternated rounds, after the
   * scenarios above.
   */
  peers: boolean;
  /** Rounds of the peer comparison. */
  rounds: number;
  duration: number;
  warmup: number;
  /** Refresh chains in flight at once: core workers, or autocannon connections. */
  concurrency: number;
  /** Sessions minted for the in-process scenarios. */
  coreSessions: number;
  port: number;
  /**
   * How the server child runs: compiled `dist/`, source through tsx, `auto`, or the path of a
   * compiled `cli/main.js` (e.g. a build made elsewhere with `tsc --outDir`).
   */
  server: string;
  /** Write a V8 CPU profile of each server child and print its top functions. */
  cpuProf: boolean;
  /** Write results to bench/results/. */
  save: boolean;
  /**
   * The PostgreSQL server of the postgres scenarios (a database URL; each run works in a fresh
   * schema of it and drops it afterwards).
   */
  pgUrl: string;
  /** Connections in the pool of each server child (`&pool=` of `BATON_STORE`). */
  pgPool: number;
}

/**
 * The peer comparison: Baton on SQLite (OAuth face) and its peers, run in this order in the first
 * round and rotated by one in each next round, so that none always runs first or last.
 */
export const PEER_ROUND = ['http-sqlite', 'peer-oidc-provider', 'peer-floor'] as const;

/** The database the postgres scenarios use unless BENCH_PG_URL or --pg-url says otherwise. */
export const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
/**
 * Pool size of each server child in the postgres scenarios: the server's own default, and the
 * fastest of 5, 8, 10, 15, 20 and 50 for http-postgres on the 2-core machine, where PostgreSQL
 * shares the cores with the server (more backends cost it more CPU per refresh).
 */
export const DEFAULT_PG_POOL = 10;

export const USAGE = `usage: npm run bench -- [--only <scenario>[,<scenario>…]] [--duration <s>] [--warmup <s>]
                       [--rounds <n>] [--concurrency <n>] [--sessions <n>] [--port <n>] [--server auto|dist|tsx|<main.js>]
                       [--cpu-prof] [--no-save] [--pg-url <url>] [--pg-pool <n>]
scenarios: ${SCENARIOS.join(', ')}
           (a full name picks one; parts pick all that have them: --only http, --only sqlite,
           --only postgres, --only payabli; --only peers runs ${PEER_ROUND.join(', ')}
           in --rounds alternated rounds and prints Baton's ratio to each peer)
environment: BENCH_ONLY, BENCH_DURATION (10), BENCH_WARMUP (2), BENCH_ROUNDS (3), BENCH_CONCURRENCY (50),
             BENCH_SESSIONS (1000), BENCH_PORT (18080; http-postgres-2 also uses the next port),
             BENCH_SERVER (auto), BENCH_CPU_PROF=1,
             BENCH_PG_URL (${DEFAULT_PG_URL}), BENCH_PG_POOL (${DEFAULT_PG_POOL})`;

/** A bad option: the run stops with usage. */
export class BenchUsageError extends Error {
  override readonly name = 'BenchUsageError';
}

function number(name: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < min) {
    throw new BenchUsageError(`${name} must be a number ≥ ${min} (got ${JSON.stringify(value)})`);
  }
  return parsed;
}

function integer(name: string, value: string | undefined, fallback: number, min: number): number {
  const parsed = number(name, value, fallback, min);
  if (!Number.isSafeInteger(parsed)) throw new BenchUsageError(`${name} must be an integer`);
  return parsed;
}

function selectScenarios(value: string | undefined): {
  scenarios: ScenarioName[];
  peers: boolean;
} {
  if (value === undefined || value.trim() === '' || value === 'all') {
    return { scenarios: [...SCENARIOS], peers: false };
  }
  const picked = new Set<ScenarioName>();
  let peers = false;
  for (const word of value.split(',').map((part) => part.trim())) {
    if (word === 'peers') {
      peers = true;
      continue;
    }
    // A full name picks that scenario alone (http-postgres, not http-postgres-2 as well).
    const exact = SCENARIOS.find((name) => name === word);
    if (exact !== undefined) {
      picked.add(exact);
      continue;
    }
    const matches = SCENARIOS.filter(
      (name) =>
        name === word ||
        name.startsWith(`${word}-`) ||
        name.endsWith(`-${word}`) ||
        name.includes(`-${word}-`),
    );
    if (matches.length === 0) {
      throw new BenchUsageError(
        `unknown scenario ${JSON.stringify(word)} (known: ${SCENARIOS.join(', ')})`,
      );
    }
    for (const name of matches) picked.add(name);
  }
  return { scenarios: SCENARIOS.filter((name) => picked.has(name)), peers };
}

function postgresUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new BenchUsageError(`pg-url must be a postgres:// URL (got ${JSON.stringify(value)})`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new BenchUsageError(`pg-url must be a postgres:// URL (got ${JSON.stringify(value)})`);
  }
  if (url.searchParams.has('schema') || url.searchParams.has('pool')) {
    throw new BenchUsageError('pg-url must not set schema or pool: the benchmark chooses them');
  }
  return value;
}

function poolSize(value: string | undefined): number {
  const pool = integer('pg-pool', value, DEFAULT_PG_POOL, 1);
  // What the server accepts in `&pool=`.
  if (pool > 1000) throw new BenchUsageError('pg-pool must be at most 1000');
  return pool;
}

/** Reads the options from argv (`--name value` or `--name=value`) over BENCH_* variables. */
export function parseBenchOptions(argv: string[], env: NodeJS.ProcessEnv): BenchOptions {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('--')) throw new BenchUsageError(`unexpected argument ${arg}`);
    const [name = '', inline] = arg.slice(2).split(/=(.*)/s, 2);
    if (name === 'cpu-prof' || name === 'no-save' || name === 'help') {
      flags.set(name, inline ?? 'true');
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new BenchUsageError(`--${name} needs a value`);
    flags.set(name, value);
  }
  const known = [
    'only',
    'duration',
    'warmup',
    'rounds',
    'concurrency',
    'sessions',
    'port',
    'server',
    'cpu-prof',
    'no-save',
    'help',
    'pg-url',
    'pg-pool',
  ];
  for (const name of flags.keys()) {
    if (!known.includes(name)) throw new BenchUsageError(`unknown option --${name}`);
  }
  if (flags.has('help')) throw new BenchUsageError('');
  const get = (flag: string, variable: string): string | undefined =>
    flags.get(flag) ?? env[variable];

  const server = get('server', 'BENCH_SERVER') ?? 'auto';
  const cpuProf = get('cpu-prof', 'BENCH_CPU_PROF');
  return {
    ...selectScenarios(get('only', 'BENCH_ONLY')),
    rounds: integer('rounds', get('rounds', 'BENCH_ROUNDS'), 3, 1),
    duration: number('duration', get('duration', 'BENCH_DURATION'), 10, 1),
    warmup: number('warmup', get('warmup', 'BENCH_WARMUP'), 2, 0),
    concurrency: integer('concurrency', get('concurrency', 'BENCH_CONCURRENCY'), 50, 1),
    coreSessions: integer('sessions', get('sessions', 'BENCH_SESSIONS'), 1000, 1),
    port: integer('port', get('port', 'BENCH_PORT'), 18080, 1),
    server,
    cpuProf: cpuProf !== undefined && /^(1|true|yes|on)$/i.test(cpuProf),
    save: !flags.has('no-save'),
    pgUrl: postgresUrl(get('pg-url', 'BENCH_PG_URL') || DEFAULT_PG_URL),
    pgPool: poolSize(get('pg-pool', 'BENCH_PG_POOL')),
  };
}
