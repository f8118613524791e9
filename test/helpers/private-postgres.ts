import { execFile, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './server-process.js';

const run = promisify(execFile);
const PG_ROOT = '/usr/lib/postgresql';
const RUNUSER = '/usr/sbin/runuser';

/** The newest PostgreSQL installation under /usr/lib/postgresql with initdb and pg_ctl. */
function findBinDir(): string | undefined {
  if (!existsSync(PG_ROOT)) return undefined;
  const versions = readdirSync(PG_ROOT)
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const bin = join(PG_ROOT, version, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl'))) return bin;
  }
  return undefined;
}

const isRoot = (): boolean => process.getuid?.() === 0;

/** The uid and gid of the `postgres` user, when there is one. */
function postgresUser(): { uid: number; gid: number } | undefined {
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/**
 * Why a private cluster cannot be run here, or `undefined` when it can. As root, the cluster
 * runs as the `postgres` user through runuser (initdb refuses root); otherwise as ourselves.
 */
export function privatePostgresUnavailable(): string | undefined {
  if (findBinDir() === undefined) return `no initdb/pg_ctl under ${PG_ROOT}/<version>/bin`;
  if (isRoot()) {
    if (!existsSync(RUNUSER)) return `running as root but ${RUNUSER} is missing`;
    if (postgresUser() === undefined) return 'running as root but there is no postgres user';
  }
  return undefined;
}

/** A PostgreSQL cluster of its own, in a temporary directory, that a test may stop and start. */
export interface PrivatePostgres {
  port: number;
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication). */
  url: string;
  /** `pg_ctl start` (waits until it accepts connections). */
  start(): Promise<void>;
  /** `pg_ctl stop -m immediate`: every backend is killed at once, like a crash. */
  stopImmediate(): Promise<void>;
  /** The server's log file. */
  log(): string;
  /** Stops the cluster if it runs and removes its directory; safe to call more than once. */
  destroy(): Promise<void>;
}

const clusters = new Set<{ kill(): void }>();
let exitHookInstalled = false;

/** Creates (initdb) and starts a private cluster on a free port of 127.0.0.1. */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const reason = privatePostgresUnavailable();
  if (reason !== undefined) throw new Error(`cannot run a private PostgreSQL: ${reason}`);
  const bin = findBinDir() as string;
  const dir = mkdtempSync(join(tmpdir(), 'baton-pg-'));
  const data = join(dir, 'data');
  const logFile = join(dir, 'postgres.log');
  const root = isRoot();
  if (root) {
    const user = postgresUser() as { uid: number; gid: number };
    chownSync(dir, user.uid, user.gid);
  }
  const command = (tool: string, args: string[]): [string, string[]] =>
    root ? [RUNUSER, ['-u', 'postgres', '--', join(bin, tool), ...args]] : [join(bin, tool), args];
  const pgCtl = async (args: string[]): Promise<void> => {
    const [file, argv] = command('pg_ctl', args);
    await run(file, argv, { timeout: 60_000 });
  };
  const pgCtlSync = (args: string[]): void => {
    const [file, argv] = command('pg_ctl', args);
    spawnSync(file, argv, { timeout: 30_000, stdio: 'ignore' });
  };

  let port = 0;
  let destroyed = false;
  const entry = {
    kill: () => {
      pgCtlSync(['-D', data, '-m', 'immediate', '-w', 'stop']);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  clusters.add(entry);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // Last resort if the worker goes away without running afterAll: no postmaster is left behind.
    process.on('exit', () => {
      for (const cluster of clusters) cluster.kill();
    });
  }

  const start = async (): Promise<void> => {
    await pgCtl([
      '-D',
      data,
      '-l',
      logFile,
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
      '-w',
      '-t',
      '30',
      'start',
    ]);
  };
  const destroy = async (): Promise<void> => {
    if (destroyed) return;
    destroyed = true;
    clusters.delete(entry);
    await pgCtl(['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const [file, argv] = command('initdb', [
      '-D',
      data,
      '-A',
      'trust',
      '-U',
      'postgres',
      '--no-sync',
    ]);
    await run(file, argv, { timeout: 60_000 });
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      try {
        await start();
        break;
      } catch (error) {
        // Another process may have taken the port in between: try another one.
        if (attempt >= 3) throw error;
      }
    }
  } catch (error) {
    const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
    await destroy();
    throw new Error(`private PostgreSQL did not start: ${String(error)}\n${log}`, {
      cause: error,
    });
  }

  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stopImmediate: () => pgCtl(['-D', data, '-m', 'immediate', '-w', 'stop']),
    log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
    destroy,
  };
}
