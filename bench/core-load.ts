import { join } from 'node:path';
import { BatonError } from '../src/core/errors.js';
import type { Store } from '../src/core/store.js';
import { createTokenService, type TokenService } from '../src/core/token-service.js';
import { createMemoryStore } from '../src/stores/memory/memory-store.js';
import { createSqliteStore } from '../src/stores/sqlite/sqlite-store.js';
import { startCpuMeter } from './cpu-meter.js';
import { LatencyRecorder } from './latency.js';
import type { ScenarioName } from './options.js';
import { countError, type ScenarioResult } from './scenario-result.js';
import { makeTempDir, removeTempDir } from './temp-dirs.js';

/** Parameters of {@link runCoreLoad}. Durations in seconds. */
export interface CoreLoadOptions {
  scenario: ScenarioName;
  store: 'memory' | 'sqlite';
  sessions: number;
  concurrency: number;
  duration: number;
  warmup: number;
  log: (line: string) => void;
}

/**
 * Closes the store while holding the event loop open: the SQLite store's close() waits for its
 * checkpoint thread, which is unref'd, so with nothing else pending Node would exit mid-close.
 */
async function closeStore(store: Store): Promise<void> {
  const hold = setInterval(() => undefined, 1000);
  try {
    await store.close();
  } finally {
    clearInterval(hold);
  }
}

/** Yields to the event loop, as a server does between requests. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

interface DriveResult {
  refreshes: number;
  elapsed: number;
}

/**
 * Runs `workers` refresh loops for `seconds`. `tokens[i]` is the current refresh token of session
 * `i`; worker `w` owns the sessions `i ≡ w (mod workers)` and refreshes them in turn, so every
 * session is a chain that presents the token its previous refresh returned, and no session is
 * ever refreshed twice at once. A failed refresh ends its chain (its token is left `undefined`).
 */
async function drive(
  service: TokenService,
  tokens: (string | undefined)[],
  workers: number,
  seconds: number,
  recorder: LatencyRecorder | undefined,
  errorKinds: Record<string, number>,
): Promise<DriveResult> {
  let refreshes = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(seconds * 1e9));

  async function worker(first: number): Promise<void> {
    const owned: number[] = [];
    for (let i = first; i < tokens.length; i += workers) owned.push(i);
    let alive = owned.length;
    for (let k = 0; alive > 0 && process.hrtime.bigint() < deadline; k = (k + 1) % owned.length) {
      const index = owned[k] as number;
      const refreshToken = tokens[index];
      if (refreshToken === undefined) continue;
      const sent = process.hrtime.bigint();
      try {
        const { tokens: issued } = await service.refresh({ refreshToken, ip: '127.0.0.1' });
        recorder?.recordSince(sent);
        if (issued.refreshToken === null) throw new Error('rotation is off: no new refresh token');
        tokens[index] = issued.refreshToken;
        refreshes++;
      } catch (error) {
        recorder?.recordSince(sent);
        countError(
          errorKinds,
          error instanceof BatonError ? error.code : `${(error as Error).name}: ${String(error)}`,
        );
        tokens[index] = undefined;
        alive--;
      }
      // Without this turn the chains would run entirely on microtasks and starve the timers a
      // server relies on (SQLite checkpoints, sweeps), which would flatter the numbers.
      await nextTurn();
    }
  }

  await Promise.all(Array.from({ length: Math.min(workers, tokens.length) }, (_, w) => worker(w)));
  return { refreshes, elapsed: Number(process.hrtime.bigint() - start) / 1e9 };
}

/**
 * Refresh throughput of the core alone: `createTokenService` over a memory or SQLite store (a
 * temporary file with background checkpoints, as `baton serve` opens it), chains of
 * `service.refresh` with rotation on.
 */
export async function runCoreLoad(options: CoreLoadOptions): Promise<ScenarioResult> {
  const dir = options.store === 'sqlite' ? makeTempDir('baton-bench-') : undefined;
  const store: Store =
    dir === undefined
      ? createMemoryStore()
      : createSqliteStore({ path: join(dir, 'core.db'), backgroundCheckpoints: true });
  try {
    // Minting on a worker thread, as `baton serve` does.
    const service = await createTokenService({
      store,
      issuer: 'http://127.0.0.1:8080',
      mintOnWorker: true,
    });
    if (!service.options.rotate) throw new Error('the benchmark needs rotation on');

    const minted = process.hrtime.bigint();
    const tokens: (string | undefined)[] = [];
    for (let i = 0; i < options.sessions; i++) {
      tokens.push((await service.issueSession({ subject: `bench-${i}` })).refreshToken);
    }
    const mintSeconds = Number(process.hrtime.bigint() - minted) / 1e9;
    options.log(`${options.sessions} sessions minted in ${mintSeconds.toFixed(2)} s`);

    const warmupErrors: Record<string, number> = {};
    if (options.warmup > 0) {
      options.log(`warm-up ${options.warmup} s (discarded)`);
      await drive(service, tokens, options.concurrency, options.warmup, undefined, warmupErrors);
    }
    options.log(`measuring ${options.duration} s`);
    const recorder = new LatencyRecorder();
    const errorKinds: Record<string, number> = {};
    const stopMeter = startCpuMeter();
    const run = await drive(
      service,
      tokens,
      options.concurrency,
      options.duration,
      recorder,
      errorKinds,
    );
    const cpu = stopMeter();
    const errors = Object.values(errorKinds).reduce((sum, n) => sum + n, 0);
    return {
      scenario: options.scenario,
      kind: 'core',
      store: options.store,
      concurrency: Math.min(options.concurrency, options.sessions),
      elapsed: run.elapsed,
      refreshes: run.refreshes,
      refreshesPerSecond: run.refreshes / run.elapsed,
      latency: recorder.summary(),
      errors,
      errorKinds,
      details: {
        cpuCores: cpu,
        sessions: options.sessions,
        sessionsMintedPerSecond: options.sessions / mintSeconds,
        warmupErrors,
        chainsAlive: tokens.filter((token) => token !== undefined).length,
        ...(dir === undefined
          ? {}
          : { sqlite: { synchronous: 'normal', checkpoints: 'background' } }),
      },
    };
  } finally {
    await closeStore(store);
    if (dir !== undefined) removeTempDir(dir);
  }
}
