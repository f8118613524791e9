import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** CPU used during a run, in cores (CPU seconds per second of run). */
export interface CpuUse {
  /** Every process on the machine. */
  machine: number;
  /** This process: the load generator, or the core under test. */
  bench: number;
  /** The server children together, when there are any (Linux only; `null` elsewhere). */
  server: number | null;
  /** Each server child, in the order given, when there is more than one. */
  servers?: number[];
  /**
   * Everything else: other work on the machine competing with the benchmark, and the database
   * server of the postgres scenarios.
   */
  other: number;
  /** The PostgreSQL server processes (Linux only), when asked for; part of `other`. */
  database?: number;
}

// Linux reports process times in clock ticks, which are 100 per second on every common kernel.
const TICKS_PER_SECOND = 100;

/**
 * Busy milliseconds of all CPUs since boot. On Linux from /proc/stat, softirq included: loopback
 * TCP is mostly processed there, and os.cpus() leaves it out (so `other` came out too low).
 */
function machineBusyMs(): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    // cpu  user nice system idle iowait irq softirq steal …
    const [user, nice, system, , , irq, softirq] = line.trim().split(/\s+/).slice(1).map(Number);
    const ticks = [user, nice, system, irq, softirq];
    if (line.startsWith('cpu ') && ticks.every((n) => Number.isFinite(n))) {
      return ((ticks as number[]).reduce((sum, n) => sum + n, 0) * 1000) / TICKS_PER_SECOND;
    }
  } catch {
    // not Linux
  }
  let busy = 0;
  for (const cpu of cpus()) busy += cpu.times.user + cpu.times.nice + cpu.times.sys + cpu.times.irq;
  return busy;
}

/** CPU milliseconds used by process `pid` (all its threads), or `undefined` off Linux. */
function processMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/**
 * CPU milliseconds of every process named `name` (the command name of /proc/<pid>/stat), by pid;
 * empty off Linux. PostgreSQL's processes are all called `postgres`.
 */
function processesNamed(name: string): Map<number, number> {
  const found = new Map<number, number>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== name) continue;
    } catch {
      continue; // gone meanwhile
    }
    const ms = processMs(Number(entry));
    if (ms !== undefined) found.set(Number(entry), ms);
  }
  return found;
}

/**
 * CPU milliseconds used by the processes named `name` since `before` was taken: those that
 * started meanwhile count whole, those that ended meanwhile are missed.
 */
function namedMsSince(name: string, before: Map<number, number>): number {
  let ms = 0;
  for (const [pid, now] of processesNamed(name)) ms += now - (before.get(pid) ?? 0);
  return ms;
}

/** What {@link startCpuMeter} measures besides the machine and this process. */
export interface CpuMeterOptions {
  /** The server children; their sum is `server`. */
  serverPids?: readonly number[];
  /** Also report the CPU of the PostgreSQL server processes (`database`). */
  database?: boolean;
}

/** Starts measuring; the returned function stops and reports the CPU used meanwhile. */
export function startCpuMeter(options: CpuMeterOptions = {}): () => CpuUse {
  const pids = options.serverPids ?? [];
  const database = options.database === true ? processesNamed('postgres') : undefined;
  const started = process.hrtime.bigint();
  const machine = machineBusyMs();
  const bench = process.cpuUsage();
  const servers = pids.map(processMs);
  return () => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const benchUse = process.cpuUsage(bench);
    const benchMs = (benchUse.user + benchUse.system) / 1000;
    const serverMs = pids.map((pid, i) => {
      const before = servers[i];
      const now = processMs(pid);
      return before === undefined || now === undefined ? undefined : now - before;
    });
    const databaseMs = database === undefined ? undefined : namedMsSince('postgres', database);
    const machineMs = machineBusyMs() - machine;
    const cores = (ms: number): number => ms / 1000 / seconds;
    const measured = serverMs.length > 0 && serverMs.every((ms) => ms !== undefined);
    const serverSum = measured ? serverMs.reduce((sum: number, ms) => sum + (ms ?? 0), 0) : 0;
    return {
      machine: cores(machineMs),
      bench: cores(benchMs),
      server: measured ? cores(serverSum) : null,
      ...(measured && serverMs.length > 1 ? { servers: serverMs.map((ms) => cores(ms ?? 0)) } : {}),
      other: Math.max(0, cores(machineMs - benchMs - serverSum)),
      ...(databaseMs === undefined ? {} : { database: cores(databaseMs) }),
    };
  };
}
