import { randomBytes } from 'node:crypto';
import { EVENT_RETENTION_TTL, SESSION_RETENTION_TTL } from '../../src/core/config.js';
import { KEY_RETENTION_TTL } from '../../src/core/keyring.js';
import { SWEEP_BATCH } from '../../src/core/sweep.js';
import { startCpuMeter, type CpuUse } from '../cpu-meter.js';
import { startServerProcess, type ServerCommand } from '../server-process.js';
import type { ScaleOptions } from './options.js';
import { createChains, runRandomRefresh, type RandomRefreshRun } from './random-refresh.js';
import type { ScaleTarget } from './scale-targets.js';
import { createSessionMaker, endedTimes, liveTimes } from './synthetic-sessions.js';

/** The figures of one store at one size. Times in seconds. */
export interface SizeResult {
  store: 'sqlite' | 'postgres';
  sessions: number;
  loadSeconds: number;
  sessionsLoadedPerSecond: number;
  /** PostgreSQL's ANALYZE after the load (0 on SQLite). */
  settleSeconds: number;
  /** Spawn of `baton serve` to the first 200 from /readyz (polled every 100 ms). */
  startupSeconds: number;
  refresh: RandomRefreshRun;
  warmup: { refreshes: number; errors: number } | null;
  cpuCores: CpuUse;
  /** On disk right after the load, checkpointed (SQLite: file + WAL). */
  loadedBytes: number;
  loadedBytesPerSession: number;
  /** On disk after the refresh load, checkpointed: refreshed sessions carry a retry box. */
  bytesAtRest: number;
  bytesPerSession: number;
  bytesParts: Record<string, number>;
  /** Sessions holding a retry box after the run, and its mean stored size in bytes. */
  retryBoxes: { count: number; meanBytes: number };
  /**
   * Bytes per session once every session has been refreshed: the loaded figure plus the retry
   * box its row then holds (the sealed answer of its last refresh).
   */
  bytesPerRefreshedSession: number;
  /** The growth at rest during the run per session refreshed (page splits included). */
  growthPerRefreshedSession: number;
  sweep: { sessions: number; seconds: number; secondsPerMillion: number; batches: number };
}

/** What {@link measureSize} needs besides the options. */
export interface MeasureContext {
  options: ScaleOptions;
  command: ServerCommand;
  log: (line: string) => void;
}

const seconds = (since: bigint): number => Number(process.hrtime.bigint() - since) / 1e9;

/**
 * Loads `sessions` live sessions into `target`, serves them with the real server and drives
 * refreshes of sessions drawn from all of them, measures the data at rest, then loads ended
 * sessions and times the store's sweep of them.
 */
export async function measureSize(
  store: SizeResult['store'],
  target: ScaleTarget,
  sessions: number,
  context: MeasureContext,
): Promise<SizeResult> {
  const { options, log } = context;
  const secret = randomBytes(32).toString('base64url');
  const make = createSessionMaker(secret, randomBytes(16).toString('base64url'));
  const now = Math.floor(Date.now() / 1000);
  const retryBox = options.retryBox > 0 ? randomBytes(options.retryBox) : null;

  let lastReport = Date.now();
  const loadStart = process.hrtime.bigint();
  await target.load({
    make,
    from: 0,
    count: sessions,
    times: liveTimes(now),
    batch: options.batch,
    retryBox,
    progress(written) {
      if (Date.now() - lastReport < 15_000) return;
      lastReport = Date.now();
      const elapsed = seconds(loadStart);
      log(`  loaded ${written.toLocaleString('en-US')} in ${elapsed.toFixed(0)} s`);
    },
  });
  const loadSeconds = seconds(loadStart);
  const settleStart = process.hrtime.bigint();
  await target.settle();
  const settleSeconds = seconds(settleStart);
  log(
    `  load ${loadSeconds.toFixed(1)} s (${Math.round(sessions / loadSeconds).toLocaleString('en-US')} sessions/s), ` +
      `flushed to disk${store === 'postgres' ? ' and ANALYZE' : ''} in ${settleSeconds.toFixed(1)} s`,
  );

  const loaded = await target.bytesAtRest();

  const adminToken = randomBytes(32).toString('base64url');
  const startStart = process.hrtime.bigint();
  const server = await startServerProcess({
    command: context.command,
    port: options.port,
    store: target.storeUrl,
    adminToken,
    secret,
  });
  const startupSeconds = seconds(startStart);
  log(`  server pid ${server.pid} ready in ${startupSeconds.toFixed(2)} s`);
  const chains = createChains(sessions, (index) => make(index).refreshToken);
  let warmup: SizeResult['warmup'] = null;
  let refresh: RandomRefreshRun;
  let cpuCores: CpuUse;
  try {
    if (options.warmup > 0) {
      const run = await runRandomRefresh(server.url, chains, options.connections, options.warmup);
      warmup = { refreshes: run.refreshes, errors: run.errors };
      // Let the connections autocannon reset at the end settle before the measured run.
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const stopMeter = startCpuMeter({ serverPids: [server.pid], database: store === 'postgres' });
    refresh = await runRandomRefresh(server.url, chains, options.connections, options.duration);
    cpuCores = stopMeter();
  } finally {
    await server.stop();
  }
  log(
    `  ${Math.round(refresh.refreshesPerSecond).toLocaleString('en-US')} refreshes/s, p99 ${refresh.latency.p99.toFixed(2)} ms, ${refresh.errors} errors`,
  );

  const rest = await target.bytesAtRest();
  const retryBoxes = await target.retryBoxes();

  // The sweeper's work: ended sessions past retention, deleted in the server's batches.
  const ended = Math.min(options.sweep, sessions);
  await target.load({
    make,
    from: sessions,
    count: ended,
    times: endedTimes(now),
    batch: options.batch,
    retryBox,
  });
  await target.settle();
  const storeApi = await target.openStore();
  let swept = 0;
  let batches = 0;
  const sweepStart = process.hrtime.bigint();
  try {
    for (;;) {
      const at = Math.floor(Date.now() / 1000);
      const result = await storeApi.sweep({
        sessionsEndedBefore: at - SESSION_RETENTION_TTL,
        accessTokensExpiredBefore: at,
        eventsBefore: at - EVENT_RETENTION_TTL,
        keysRetiredBefore: at - KEY_RETENTION_TTL,
        limit: SWEEP_BATCH,
      });
      swept += result.sessions;
      batches++;
      if (result.sessions < SWEEP_BATCH) break;
    }
  } finally {
    await storeApi.close();
  }
  const sweepSeconds = seconds(sweepStart);
  if (swept !== ended) log(`  the sweep removed ${swept} sessions of ${ended} ended ones`);
  log(
    `  ${loaded.bytes.toLocaleString('en-US')} bytes loaded (${Math.round(loaded.bytes / sessions)} per session), ` +
      `${rest.bytes.toLocaleString('en-US')} after the run (${Math.round(rest.bytes / sessions)} per session, ${refresh.sessionsTouched.toLocaleString('en-US')} sessions refreshed, retry box ${Math.round(retryBoxes.meanBytes)} B); sweep of ${ended.toLocaleString('en-US')} ended sessions ${sweepSeconds.toFixed(2)} s`,
  );
  return {
    store,
    sessions,
    loadSeconds,
    sessionsLoadedPerSecond: sessions / loadSeconds,
    settleSeconds,
    startupSeconds,
    refresh,
    warmup,
    cpuCores,
    loadedBytes: loaded.bytes,
    loadedBytesPerSession: loaded.bytes / sessions,
    bytesAtRest: rest.bytes,
    bytesPerSession: rest.bytes / sessions,
    bytesParts: rest.parts,
    retryBoxes,
    bytesPerRefreshedSession:
      loaded.bytes / sessions + (retryBox === null ? retryBoxes.meanBytes : 0),
    growthPerRefreshedSession:
      refresh.sessionsTouched === 0 ? 0 : (rest.bytes - loaded.bytes) / refresh.sessionsTouched,
    sweep: {
      sessions: swept,
      seconds: sweepSeconds,
      secondsPerMillion: swept === 0 ? 0 : (sweepSeconds / swept) * 1e6,
      batches,
    },
  };
}
