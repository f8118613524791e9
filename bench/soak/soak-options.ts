/** What `npm run bench:soak` was asked to do. Durations in seconds. */
export interface SoakOptions {
  duration: number;
  /** Seconds between samples. */
  sample: number;
  /** Samples from this many seconds on count for the flatness of RSS (the first minute warms up). */
  settle: number;
  /** Seconds of samples averaged into one mean RSS (the means, not single samples, must be flat). */
  window: number;
  connections: number;
  /** New sessions a second through POST /admin/sessions. */
  issueRate: number;
  port: number;
  server: string;
  save: boolean;
}

export const SOAK_USAGE = `usage: npm run bench:soak -- [options]
  --duration <s>       length of the run (default 600)
  --sample <s>         seconds between samples (default 10)
  --settle <s>         RSS counts as flat when steady from this second on (default 60)
  --window <s>         RSS is averaged over spans of this length, which must agree within 10 %
                       (default 120: longer than the garbage collector's swings)
  --connections <n>    refresh chains at full load (default 50)
  --issue-rate <n>     new sessions a second through the admin API (default 100)
  --port <n>           server port (default 4620)
  --server <how>       auto, dist, tsx or a compiled cli/main.js (default auto)
  --no-save            print only; write neither bench/results/ nor docs/images/bench-soak.svg`;

function number(name: string, text: string | undefined, min: number): number {
  const value = Number(text);
  if (text === undefined || !Number.isFinite(value) || value < min)
    throw new Error(`${name} needs a number of at least ${min}`);
  return value;
}

/** Parses the command line of `npm run bench:soak`; throws with a message on bad input. */
export function parseSoakOptions(argv: string[]): SoakOptions {
  const options: SoakOptions = {
    duration: 600,
    sample: 10,
    settle: 60,
    window: 120,
    connections: 50,
    issueRate: 100,
    port: 4620,
    server: 'auto',
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
      case '--duration':
        options.duration = number(flag, value(), 1);
        break;
      case '--sample':
        options.sample = number(flag, value(), 1);
        break;
      case '--settle':
        options.settle = number(flag, value(), 0);
        break;
      case '--window':
        options.window = number(flag, value(), 1);
        break;
      case '--connections':
        options.connections = Math.round(number(flag, value(), 1));
        break;
      case '--issue-rate':
        options.issueRate = Math.round(number(flag, value(), 0));
        break;
      case '--port':
        options.port = Math.round(number(flag, value(), 1));
        break;
      case '--server':
        options.server = value();
        break;
      case '--no-save':
        options.save = false;
        break;
      case '--help':
      case '-h':
        throw new Error(SOAK_USAGE);
      default:
        throw new Error(`unknown option ${flag}\n${SOAK_USAGE}`);
    }
  }
  return options;
}
