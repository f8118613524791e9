import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The repository root (this file lives in bench/). */
export const ROOT = join(import.meta.dirname, '..');

/** Every server child still running; {@link killAllServers} ends them. */
const running = new Set<ChildProcess>();

/** Sends SIGKILL to every server child still running (safe to call from an `exit` handler). */
export function killAllServers(): void {
  for (const child of running) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  running.clear();
}

function newestMtime(dir: string, suffix: string, pick: (a: number, b: number) => number): number {
  let result = Number.NaN;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith(suffix)) continue;
    const mtime = statSync(join(entry.parentPath, entry.name)).mtimeMs;
    result = Number.isNaN(result) ? mtime : pick(result, mtime);
  }
  return result;
}

/** How the server child is started, and why. */
export interface ServerCommand {
  mode: 'dist' | 'tsx';
  args: string[];
  reason: string;
}

/**
 * `node dist/cli/main.js serve` when dist/ is a build of the current src/ (every compiled file is
 * newer than every source file), else `node --import tsx src/cli/main.ts serve`. `wanted` forces
 * `dist` or `tsx`, or names another compiled `cli/main.js`.
 */
export function serverCommand(wanted: string): ServerCommand {
  const distMain = join(ROOT, 'dist/cli/main.js');
  const tsx: ServerCommand = {
    mode: 'tsx',
    args: ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'serve'],
    reason: 'requested',
  };
  const dist: ServerCommand = { mode: 'dist', args: [distMain, 'serve'], reason: 'requested' };
  if (wanted === 'tsx') return tsx;
  if (wanted !== 'auto' && wanted !== 'dist') {
    const main = resolve(wanted);
    if (!existsSync(main)) throw new Error(`--server: ${main} does not exist`);
    return { mode: 'dist', args: [main, 'serve'], reason: `compiled build at ${main}` };
  }
  const built = existsSync(distMain) && existsSync(join(ROOT, 'dist/stores/sqlite/migrations'));
  if (wanted === 'dist') {
    if (!built) throw new Error('--server dist: dist/ is missing; run `npm run build` first');
    return dist;
  }
  if (!built) return { ...tsx, reason: 'dist/ not built' };
  // What tsc compiles from src/ (the console's bundle is content-named and rewritten only when
  // its content changes, so its time says nothing about the build).
  const oldestBuild = Math.min(
    ...['cli', 'client', 'core', 'http', 'stores'].map((part) =>
      newestMtime(join(ROOT, 'dist', part), '.js', Math.min),
    ),
  );
  const newestSource = Math.max(
    newestMtime(join(ROOT, 'src'), '.ts', Math.max),
    newestMtime(join(ROOT, 'src'), '.sql', Math.max),
  );
  return newestSource > oldestBuild
    ? { ...tsx, reason: 'dist/ is older than src/ (run `npm run build` to bench compiled JS)' }
    : { ...dist, reason: 'dist/ is newer than src/' };
}

/**
 * The bare Fastify + `pg` rotation of the `baseline-postgres` scenario (bench/baseline-server.ts),
 * through tsx: the yardstick the PostgreSQL figures of this machine are read against.
 */
export function baselineCommand(): ServerCommand {
  return {
    mode: 'tsx',
    args: ['--import', 'tsx', join(ROOT, 'bench/baseline-server.ts')],
    reason: 'bare Fastify + pg rotation (bench/baseline-server.ts), not Baton',
  };
}

/** The peer servers of the comparison, by scenario (bench/peers/). */
const PEERS: Record<string, { file: string; reason: string }> = {
  'peer-oidc-provider': {
    file: 'bench/peers/oidc-provider-server.ts',
    reason:
      'node-oidc-provider, in-memory adapter (bench/peers/oidc-provider-server.ts), not Baton',
  },
  'peer-floor': {
    file: 'bench/peers/floor-server.ts',
    reason: 'node:http + Map + one Ed25519 signature (bench/peers/floor-server.ts), not Baton',
  },
};

/** The server of a peer scenario (`peer-oidc-provider`, `peer-floor`), through tsx. */
export function peerCommand(scenario: string): ServerCommand {
  const peer = PEERS[scenario];
  if (peer === undefined) throw new Error(`${scenario} is not a peer scenario`);
  return { mode: 'tsx', args: ['--import', 'tsx', join(ROOT, peer.file)], reason: peer.reason };
}

/** Options of {@link startServerProcess}. */
export interface ServerProcessOptions {
  command: ServerCommand;
  port: number;
  /** `BATON_STORE`, e.g. `memory:` or `sqlite:/tmp/x/bench.db`. */
  store: string;
  adminToken: string;
  /**
   * `BATON_SECRET`, the master secret. Unset, the server generates one into the store on first
   * start; instances sharing a store must be given the same one (as an operator would).
   */
  secret?: string | undefined;
  /**
   * `BATON_REDIS_URL`. With Redis the failure limits stay on (every refresh checks its IP's and
   * its session's counters there); without it the IP limit is off, as every chain comes from
   * 127.0.0.1.
   */
  redisUrl?: string | undefined;
  /** Directory for a V8 CPU profile of the child, written when it exits. */
  cpuProfDir?: string | undefined;
}

/** A running server child. */
export interface ServerProcess {
  url: string;
  pid: number;
  /** Stops the child (SIGTERM, then SIGKILL after 10 s); resolves when it has exited. */
  stop(): Promise<void>;
  /** The last few KiB the child wrote to stdout and stderr. */
  output(): string;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function answers(url: string): Promise<number | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return undefined;
  }
}

/** Starts `baton serve` as a child process and waits until `/readyz` answers 200. */
export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const url = `http://127.0.0.1:${options.port}`;
  if ((await answers(`${url}/healthz`)) !== undefined) {
    throw new Error(`something already listens on ${url}; pick another --port`);
  }
  const nodeArgs = [
    ...(options.cpuProfDir === undefined
      ? []
      : ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`]),
    ...options.command.args,
  ];
  const child = spawn(process.execPath, nodeArgs, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      // Only the settings below: a BATON_* variable of the caller's shell must not change the run.
      ...Object.fromEntries(
        Object.entries(process.env).filter(([name]) => !name.startsWith('BATON_')),
      ),
      NODE_ENV: 'production',
      BATON_ROTATE: 'true',
      BATON_HOST: '127.0.0.1',
      BATON_PORT: String(options.port),
      BATON_STORE: options.store,
      BATON_ADMIN_TOKEN: options.adminToken,
      ...(options.secret === undefined ? {} : { BATON_SECRET: options.secret }),
      BATON_LOG_LEVEL: 'warn',
      BATON_DIALECTS: 'all',
      ...(options.redisUrl === undefined
        ? { BATON_RATE_LIMIT_IP: '0' }
        : { BATON_REDIS_URL: options.redisUrl }),
    },
  });
  running.add(child);
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', () => running.delete(child));

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    }
    running.delete(child);
  };

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the server exited during start-up:\n${output.trim()}`);
    }
    if ((await answers(`${url}/readyz`)) === 200) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the server did not become ready within 30 s:\n${output.trim()}`);
    }
    await sleep(100);
  }
  return { url, pid: child.pid ?? -1, stop, output: () => output };
}
