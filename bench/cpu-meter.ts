import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** CPU used during a run, in cores (CPU seconds per second of run). */
export interface CpuUse {
  /** Every process on the machine. */
  machine: number;
  /** This process: the load generator, or the core under test. */
  bench: number;
  /** The server child, when there is one (Linux only; `null` elsewhere). */
  server: number | null;
  /** Everything else: other work on the machine competing with the benchmark. */
  other: number;
}

/** Busy milliseconds of all CPUs since boot. */
function machineBusyMs(): number {
  let busy = 0;
  for (const cpu of cpus()) busy += cpu.times.user + cpu.times.nice + cpu.times.sys + cpu.times.irq;
  return busy;
}

// Linux reports process times in clock ticks, which are 100 per second on every common kernel.
const TICKS_PER_SECOND = 100;

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

/** Starts measuring; the returned function stops and reports the CPU used meanwhile. */
export function startCpuMeter(serverPid?: number): () => CpuUse {
  const started = process.hrtime.bigint();
  const machine = machineBusyMs();
  const bench = process.cpuUsage();
  const server = serverPid === undefined ? undefined : processMs(serverPid);
  return () => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const benchUse = process.cpuUsage(bench);
    const benchMs = (benchUse.user + benchUse.system) / 1000;
    const serverNow = serverPid === undefined ? undefined : processMs(serverPid);
    const serverMs =
      server === undefined || serverNow === undefined ? undefined : serverNow - server;
    const machineMs = machineBusyMs() - machine;
    const cores = (ms: number): number => ms / 1000 / seconds;
    return {
      machine: cores(machineMs),
      bench: cores(benchMs),
      server: serverMs === undefined ? null : cores(serverMs),
      other: Math.max(0, cores(machineMs - benchMs - (serverMs ?? 0))),
    };
  };
}
