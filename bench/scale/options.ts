import { DEFAULT_PG_URL } from '../options.js';

/** What `npm run bench:scale` was asked to do. Durations in seconds. */
export interface ScaleOptions {
  sizes: number[];
  stores: ('sqlite' | 'postgres')[];
  duration: number;
  warmup: number;
  connections: number;
  /** Ended sessions loaded and swept to time the sweeper (per store and size, at most N). */
  sweep: number;
  /** Sessions per load transaction (SQLite) or statement (PostgreSQL). */
  batch: number;
  /** Bytes of the stand-in retry box each loaded session holds; 0 loads them as issued. */
  retryBox: number;
  /** Page cache of the SQLite loading connection, MiB. */
  cacheMib: number;
  /** Where the SQLite files go (a fresh directory inside). */
  dir: string | undefined;
  port: number;
  server: string;
  pgUrl: string;
  pgPool: number;
  save: boolean;
}

export const SCALE_USAGE = `usage: npm run bench:scale -- [options]
  --sizes <n,…>        session counts, k and m suffixes (default 10k,1m,10m)
  --stores <s,…>       sqlite, postgres (default both)
  --duration <s>       measured refresh load per size (default 30)
  --warmup <s>         discarded load before it (default 5)
  --connections <n>    concurrent refreshes (default 50)
  --sweep <n>          ended sessions loaded and swept to time the sweeper (default 100k, at most the size)
  --batch <n>          sessions per load transaction / INSERT (default 20000)
  --retry-box <bytes>  load sessions as after a refresh, each holding a sealed answer of this size
                       (default 875, what a refresh with the default claims stores); 0: as issued
  --cache-mib <n>      SQLite page cache while loading (default 1024)
  --dir <path>         where the SQLite files go (default the system temp directory)
  --port <n>           server port (default 4610)
  --server <how>       auto, dist, tsx or a compiled cli/main.js (default auto)
  --pg-url <url>       PostgreSQL database (default $BENCH_PG_URL or ${DEFAULT_PG_URL})
  --pg-pool <n>        the server's pool size (default 10)
  --no-save            print only; write neither bench/results/ nor docs/images/bench-scale.svg`;

/** A session count: 10000, 10k, 1.5m. */
export function parseCount(text: string): number {
  const match = /^(\d+(?:\.\d+)?)([km]?)$/i.exec(text.trim());
  if (match === null) throw new Error(`not a count: ${JSON.stringify(text)}`);
  const unit = { '': 1, k: 1e3, m: 1e6 }[(match[2] ?? '').toLowerCase()] ?? 1;
  const value = Math.round(Number(match[1]) * unit);
  if (!(value >= 1)) throw new Error(`not a count: ${JSON.stringify(text)}`);
  return value;
}

/** 10k, 1m, 2.5m: the inverse of {@link parseCount} for round values. */
export function formatCount(value: number): string {
  if (value >= 1e6 && value % 1e5 === 0) return `${value / 1e6}m`;
  if (value >= 1e3 && value % 100 === 0) return `${value / 1e3}k`;
  return String(value);
}

function positive(name: string, text: string | undefined): number {
  const value = Number(text);
  if (text === undefined || !Number.isFinite(value) || value < 0)
    throw new Error(`${name} needs a number`);
  return value;
}

/** Parses the command line of `npm run bench:scale`; throws with a message on bad input. */
export function parseScaleOptions(argv: string[], env: NodeJS.ProcessEnv): ScaleOptions {
  const options: ScaleOptions = {
    sizes: [10_000, 1_000_000, 10_000_000],
    stores: ['sqlite', 'postgres'],
    duration: 30,
    warmup: 5,
    connections: 50,
    sweep: 100_000,
    batch: 20_000,
    retryBox: 875,
    cacheMib: 1024,
    dir: undefined,
    port: 4610,
    server: 'auto',
    pgUrl: env.BENCH_PG_URL ?? DEFAULT_PG_URL,
    pgPool: 10,
    save: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case '--sizes':
        options.sizes = value().split(',').map(parseCount);
        break;
      case '--stores':
        options.stores = value()
          .split(',')
          .map((store) => {
            if (store !== 'sqlite' && store !== 'postgres')
              throw new Error(`--stores: unknown store ${JSON.stringify(store)}`);
            return store;
          });
        break;
      case '--duration':
        options.duration = positive(flag, value());
        break;
      case '--warmup':
        options.warmup = positive(flag, value());
        break;
      case '--connections':
        options.connections = Math.max(1, Math.round(positive(flag, value())));
        break;
      case '--sweep':
        options.sweep = parseCount(value());
        break;
      case '--batch':
        options.batch = parseCount(value());
        break;
      case '--retry-box':
        options.retryBox = Math.round(positive(flag, value()));
        break;
      case '--cache-mib':
        options.cacheMib = Math.max(2, Math.round(positive(flag, value())));
        break;
      case '--dir':
        options.dir = value();
        break;
      case '--port':
        options.port = Math.round(positive(flag, value()));
        break;
      case '--server':
        options.server = value();
        break;
      case '--pg-url':
        options.pgUrl = value();
        break;
      case '--pg-pool':
        options.pgPool = Math.max(1, Math.round(positive(flag, value())));
        break;
      case '--no-save':
        options.save = false;
        break;
      case '--help':
      case '-h':
        throw new Error(SCALE_USAGE);
      default:
        throw new Error(`unknown option ${flag}\n${SCALE_USAGE}`);
    }
  }
  if (options.duration <= 0) throw new Error('--duration must be more than 0');
  options.sizes.sort((a, b) => a - b);
  return options;
}
