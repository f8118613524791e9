/**
 * The refresh benchmark (`npm run bench`): refreshes with rotation on, in process through the
 * core and over HTTP against the real server, on the memory and the SQLite store, and on
 * PostgreSQL with one and two servers, next to a bare Fastify + pg rotation (the baseline), and
 * against peers (node-oidc-provider, a bare node:http floor) in alternated rounds with
 * `--only peers`. Prints a table and writes the full results to
 * bench/results/. `npm run bench -- --help` lists the options.
 */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCoreLoad } from './core-load.js';
import type { CpuUse } from './cpu-meter.js';
import { formatProfileSummary, summariseCpuProfile, type ProfileSummary } from './cpu-profile.js';
import {
  BenchUsageError,
  parseBenchOptions,
  PEER_ROUND,
  USAGE,
  type BenchOptions,
  type ScenarioName,
} from './options.js';
import {
  compareWithPeers,
  formatPeerRounds,
  formatRatios,
  peersChart,
  roundOrder,
  summarisePeers,
  type PeerRound,
} from './peers/rounds.js';
import { dropSchemasSync, redactedUrl } from './postgres.js';
import {
  checkTargets,
  commitInfo,
  compareWithBaseline,
  formatTable,
  machineInfo,
  writeResults,
} from './report.js';
import type { ScenarioResult, StoreKind } from './scenario-result.js';
import {
  baselineCommand,
  peerCommand,
  ROOT,
  serverCommand,
  type ServerCommand,
} from './server-process.js';
import { runSdk, SDK_SCENARIOS, type SdkScenario } from './sdk.js';
import { removeTempDirs } from './temp-dirs.js';
import { runBenchMain } from './run-main.js';

const say = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/** The store a scenario runs on, from its name (`http-sqlite-adid`, `http-postgres-2`, …). */
function storeOf(scenario: ScenarioName): StoreKind {
  if (scenario.includes('-sqlite')) return 'sqlite';
  if (scenario.includes('-postgres')) return 'postgres';
  return 'memory';
}

/** Runs the HTTP scenario with a CPU profile of the server; prints and returns its summary. */
async function profiled(
  run: (cpuProfDir: string | undefined) => Promise<ScenarioResult>,
  options: BenchOptions,
): Promise<{ result: ScenarioResult; profile?: { file: string; summary: ProfileSummary } }> {
  if (!options.cpuProf) return { result: await run(undefined) };
  // Not a temp dir that is cleaned up: the profiles are kept for inspection.
  const dir = mkdtempSync(join(tmpdir(), 'baton-cpuprof-'));
  const result = await run(dir);
  // One profile per thread (CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile); thread 0 serves.
  // With more than one server child, the first main thread is summarised; all are kept.
  const names = readdirSync(dir)
    .filter((file) => file.endsWith('.cpuprofile'))
    .sort();
  const name = names.find((file) => /\.\d+\.0\.\d+\.cpuprofile$/.test(file)) ?? names[0];
  if (name === undefined) {
    say(`  no CPU profile was written to ${dir}`);
    return { result };
  }
  const file = join(dir, name);
  // The main thread and the minting thread of the same process (the pid is the 4th field).
  const pid = name.split('.')[3];
  const threads = names.filter((other) => other.split('.')[3] === pid).map((n) => join(dir, n));
  const summary = summariseCpuProfile(threads);
  const cpu = result.details.cpuCores as CpuUse;
  const usPerRefresh =
    cpu.server !== null && cpu.servers === undefined && result.refreshesPerSecond > 0
      ? (cpu.server * 1e6) / result.refreshesPerSecond
      : undefined;
  say(`  CPU profile of all ${threads.length} threads of the server process ${pid ?? ''}:`);
  for (const line of formatProfileSummary(summary, usPerRefresh)) say(`  ${line}`);
  say(`  profiles kept in ${dir}, main thread ${name} (open in Chrome DevTools; delete when done)`);
  return { result, profile: { file, summary } };
}

/**
 * Runs one scenario (in process, or over HTTP against its server child) and logs its figures;
 * `label` names it in the log and in `profiles` (`http-sqlite`, `round 2 peer-floor`).
 */
async function runScenario(
  scenario: ScenarioName,
  label: string,
  options: BenchOptions,
  command: ServerCommand | undefined,
  profiles: Record<string, { file: string; summary: ProfileSummary }>,
): Promise<ScenarioResult> {
  const store = storeOf(scenario);
  const log = (line: string): void => say(`[${label}] ${line}`);
  let result: ScenarioResult;
  if (scenario.startsWith('core-')) {
    if (store === 'postgres') throw new Error(`${scenario}: no in-process PostgreSQL load`);
    result = await runCoreLoad({
      scenario,
      store,
      sessions: options.coreSessions,
      concurrency: options.concurrency,
      duration: options.duration,
      warmup: options.warmup,
      log,
    });
  } else {
    const server = scenario.startsWith('baseline-')
      ? baselineCommand()
      : scenario.startsWith('peer-')
        ? peerCommand(scenario)
        : (command as ServerCommand);
    // Loaded on demand so that in-process runs (and their profiles) do without autocannon.
    const { runHttpLoad } = await import('./http-load.js');
    const run = await profiled(
      (cpuProfDir) =>
        runHttpLoad({
          scenario,
          store,
          connections: options.concurrency,
          duration: options.duration,
          warmup: options.warmup,
          port: options.port,
          command: server,
          cpuProfDir,
          ...(store === 'postgres'
            ? { postgres: { url: options.pgUrl, pool: options.pgPool } }
            : {}),
          log,
        }),
      options,
    );
    result = run.result;
    if (run.profile !== undefined) profiles[label] = run.profile;
  }
  log(
    `${Math.round(result.refreshesPerSecond)} refreshes/s, p99 ${result.latency.p99.toFixed(2)} ms, ` +
      `${result.errors} errors${result.errors > 0 ? ` ${JSON.stringify(result.errorKinds)}` : ''}`,
  );
  const cpu = result.details.cpuCores as CpuUse;
  const servers =
    cpu.servers === undefined
      ? ''
      : ` (${cpu.servers.map((cores) => cores.toFixed(2)).join(' + ')})`;
  log(
    `CPU in cores: bench process ${cpu.bench.toFixed(2)}` +
      `${cpu.server === null ? '' : `, server ${cpu.server.toFixed(2)}${servers}`}` +
      `, other processes ${cpu.other.toFixed(2)}` +
      `${cpu.database === undefined ? '' : ` (PostgreSQL ${cpu.database.toFixed(2)})`}`,
  );
  // The database server is part of the scenario; only the rest competes with it.
  const foreign = cpu.other - (cpu.database ?? 0);
  if (foreign > 0.2) {
    log(`warning: other processes used ${foreign.toFixed(2)} cores meanwhile; figures are noisy`);
  }
  return result;
}

async function main(): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseBenchOptions(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof BenchUsageError)) throw error;
    if (error.message !== '') say(`bench: ${error.message}`);
    say(USAGE);
    return error.message === '' ? 0 : 2;
  }
  const startedAt = new Date();
  const machine = machineInfo();
  const commit = commitInfo(ROOT);
  let command: ServerCommand | undefined;
  if (options.peers || options.scenarios.some((name) => name.startsWith('http-'))) {
    command = serverCommand(options.server);
    say(`server child: ${command.mode} (${command.reason})`);
  }
  const planned = [
    ...options.scenarios,
    ...(options.peers ? [`peers (${PEER_ROUND.join(', ')}, ${options.rounds} rounds)`] : []),
  ];
  say(
    `refresh benchmark: ${planned.join(', ')}; ${options.duration} s each after a ${options.warmup} s warm-up; ` +
      `${options.concurrency} chains in flight; ${machine.cpus} × ${machine.cpuModel}, node ${machine.node}`,
  );

  const results: ScenarioResult[] = [];
  const profiles: Record<string, { file: string; summary: ProfileSummary }> = {};
  const isSdk = (name: string): name is SdkScenario =>
    (SDK_SCENARIOS as readonly string[]).includes(name);
  for (const scenario of options.scenarios.filter((name) => !isSdk(name))) {
    results.push(await runScenario(scenario, scenario, options, command, profiles));
  }
  const rounds: PeerRound[] = [];
  for (let round = 0; options.peers && round < options.rounds; round++) {
    const order = roundOrder(round);
    say(`peers round ${round + 1} of ${options.rounds}: ${order.join(', ')}`);
    const runs: ScenarioResult[] = [];
    for (const scenario of order) {
      const label = `round ${round + 1} ${scenario}`;
      runs.push(await runScenario(scenario, label, options, command, profiles));
    }
    rounds.push({ round: round + 1, order, results: runs, ratios: compareWithPeers(runs) });
  }
  const peers = rounds.length > 0 ? summarisePeers(rounds) : undefined;

  const sdk = await runSdk(options.scenarios.filter(isSdk), say);
  const targets = checkTargets(results);
  const againstBaseline = compareWithBaseline(results);
  if (results.length > 0) process.stdout.write(`\n${formatTable(results)}\n`);
  for (const comparison of againstBaseline) {
    process.stdout.write(
      `${comparison.scenario} against baseline-postgres (bare Fastify + pg rotation): ` +
        `${Math.round(comparison.throughputRatio * 100)} % of its refreshes/s, ` +
        `${comparison.p99Ratio.toFixed(2)}× its p99\n`,
    );
  }
  // A run of every scenario has Baton and its peers once each: one round's ratios.
  if (peers === undefined) {
    for (const line of formatRatios(compareWithPeers(results))) process.stdout.write(`${line}\n`);
  } else {
    process.stdout.write(
      `\npeers, ${options.rounds} alternated round(s):\n${formatPeerRounds(peers)}\n`,
    );
  }
  for (const check of targets) {
    process.stdout.write(
      `target ${check.scenario}: ${check.target}: ${check.met ? 'met' : 'NOT met'}\n`,
    );
  }
  if (options.save) {
    const argv = process.argv.slice(2);
    const files = writeResults(join(ROOT, 'bench/results'), startedAt, {
      benchmark: 'refresh',
      command: `npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      commit,
      machine,
      settings: {
        scenarios: options.scenarios,
        ...(options.peers ? { peers: { order: PEER_ROUND, rounds: options.rounds } } : {}),
        durationSeconds: options.duration,
        warmupSeconds: options.warmup,
        concurrency: options.concurrency,
        coreSessions: options.coreSessions,
        rotation: true,
        server: command ?? null,
        ...(options.scenarios.some((name) => storeOf(name) === 'postgres')
          ? { postgres: { url: redactedUrl(options.pgUrl), poolSize: options.pgPool } }
          : {}),
      },
      results,
      sdk,
      targets,
      againstBaseline,
      ...(peers === undefined ? {} : { peers }),
      profiles,
    });
    say(`results written to ${files.map((file) => file.slice(ROOT.length + 1)).join(' and ')}`);
    if (peers !== undefined) {
      const chart = join(ROOT, 'docs/images/bench-peers.svg');
      writeFileSync(
        chart,
        peersChart(peers, {
          concurrency: options.concurrency,
          duration: options.duration,
          commit: commit.commit,
        }),
      );
      say(`chart written to ${chart.slice(ROOT.length + 1)}`);
    }
  } else if (peers !== undefined) {
    say('--no-save: docs/images/bench-peers.svg left as it was');
  }
  const failed = [...results, ...rounds.flatMap((round) => round.results)];
  return failed.some((result) => result.errors > 0) ? 1 : 0;
}

runBenchMain('bench', main, () => {
  removeTempDirs();
  dropSchemasSync();
});
