/**
 * Soak: `baton serve` on SQLite for a long run at full refresh load (one chain per connection)
 * while new sessions arrive through the admin API, sampling the server's RSS and heap, the
 * database's size and the live sessions. Tells whether memory is flat after the warm-up and what a
 * session costs on disk. Writes bench/results/soak-*.json and docs/images/bench-soak.svg.
 * `npm run bench:soak -- --help` lists the options.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { createChains, runRandomRefresh } from '../scale/random-refresh.js';
import { ROOT, serverCommand, startServerProcess } from '../server-process.js';
import { lineChart } from '../svg.js';
import { makeTempDir, removeTempDir, removeTempDirs } from '../temp-dirs.js';
import { startIssuer } from './issuer.js';
import {
  checkpointedBytes,
  createLiveCounter,
  databaseBytes,
  heapMetrics,
  memoryMap,
  residentBytes,
  type MemoryMap,
} from './samplers.js';
import { parseSoakOptions, type SoakOptions } from './soak-options.js';
import { formatGrowth, memoryGrowth, mib, rssFlatness, type Sample } from './memory-report.js';
import { runBenchMain } from '../run-main.js';

const say = (line: string): void => {
  process.stderr.write(`${line}\n`);
};
const MIB = 2 ** 20;

/** Starts one session per chain through the admin API; returns their refresh tokens. */
async function mintChains(url: string, adminToken: string, count: number): Promise<string[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const response = await fetch(`${url}/admin/sessions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ subject: `soak-chain-${i}` }),
      });
      const body = (await response.json()) as { refreshToken?: unknown };
      if (response.status !== 201 || typeof body.refreshToken !== 'string')
        throw new Error(`POST /admin/sessions answered ${response.status}`);
      return body.refreshToken;
    }),
  );
}

function formatSamples(samples: readonly Sample[]): string {
  const header = ['t s', 'RSS MiB', 'heap MiB', 'DB MiB', 'WAL MiB', 'live sessions'];
  const rows = samples.map((s) => [
    String(Math.round(s.t)),
    mib(s.rss),
    mib(s.heapUsed),
    mib(s.dbFile),
    mib(s.dbWal),
    s.liveSessions.toLocaleString('en-US'),
  ]);
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  return [header, ...rows]
    .map((row) => row.map((cell, i) => cell.padStart(widths[i] ?? 0)).join('  '))
    .join('\n');
}

async function run(options: SoakOptions): Promise<number> {
  const command = serverCommand(options.server);
  say(`server: ${command.mode} (${command.reason})`);
  const dir = makeTempDir('baton-soak-');
  const path = join(dir, 'soak.db');
  const adminToken = randomBytes(32).toString('base64url');
  const server = await startServerProcess({
    command,
    port: options.port,
    store: `sqlite:${path}`,
    adminToken,
    secret: randomBytes(32).toString('base64url'),
  });
  const live = createLiveCounter(path);
  const startedAt = new Date();
  const samples: Sample[] = [];
  try {
    say(`server pid ${server.pid} ready at ${server.url}`);
    const tokens = await mintChains(server.url, adminToken, options.connections);
    const chains = createChains(tokens.length, (index) => tokens[index] as string);
    say(
      `${options.duration} s: ${options.connections} refresh chains at full load, ` +
        `${options.issueRate} new sessions/s, a sample every ${options.sample} s`,
    );
    const started = Date.now();
    // The anonymous mappings at the first sample after the warm-up and at the last, to trace growth.
    let settledMap: MemoryMap | undefined;
    let lastMap: MemoryMap | undefined;
    const take = async (): Promise<void> => {
      const db = databaseBytes(path);
      const t = (Date.now() - started) / 1000;
      const map = memoryMap(server.pid);
      const heap = await heapMetrics(server.url);
      if (map !== undefined) {
        if (settledMap === undefined && t >= options.settle) settledMap = map;
        lastMap = map;
      }
      const sample: Sample = {
        t,
        rss: residentBytes(server.pid),
        heapUsed: heap.used,
        heapTotal: heap.total,
        external: heap.external,
        brkHeap: map?.brkHeap,
        anonymous: map?.anonymous,
        database: map?.database,
        libraries: map?.libraries,
        dbFile: db.file,
        dbWal: db.wal,
        liveSessions: live.count(),
      };
      samples.push(sample);
      say(
        `  t=${Math.round(sample.t)} s  RSS ${mib(sample.rss)} MiB  heap ${mib(sample.heapUsed)} MiB  ` +
          `DB ${mib(sample.dbFile + sample.dbWal)} MiB  live ${sample.liveSessions.toLocaleString('en-US')}`,
      );
    };
    await take();
    const sampler = setInterval(() => void take(), options.sample * 1000);
    const issuer = startIssuer(server.url, adminToken, options.issueRate);
    const load = await runRandomRefresh(
      server.url,
      chains,
      options.connections,
      options.duration,
      'per-connection',
    );
    clearInterval(sampler);
    const issued = await issuer.stop();
    if (Date.now() - started - (samples.at(-1)?.t ?? 0) * 1000 > 1000) await take();

    // At rest: the server stopped, the WAL copied into the file and emptied.
    await server.stop();
    live.close();
    const rest = checkpointedBytes(path);

    const last = samples.at(-1) as Sample;
    const dbBytes = last.dbFile + last.dbWal;
    const flatness = rssFlatness(samples, options.settle, options.window);
    const heapKnown = samples.some((s) => s.heapUsed !== undefined);
    const summary = {
      refreshesPerSecond: load.refreshesPerSecond,
      refreshErrors: load.errors,
      refreshErrorKinds: load.errorKinds,
      latency: load.latency,
      issued: issued.issued,
      issuedPerSecond: issued.issued / load.elapsed,
      issueFailures: issued.failures,
      liveSessions: last.liveSessions,
      dbBytes,
      bytesPerSession: last.liveSessions === 0 ? null : dbBytes / last.liveSessions,
      bytesAtRest: rest,
      bytesPerSessionAtRest: last.liveSessions === 0 ? null : rest / last.liveSessions,
      rss: flatness,
      heapFromMetrics: heapKnown,
      memoryGrowth: memoryGrowth(samples, options.settle, settledMap, lastMap),
    };

    process.stdout.write(`\n${formatSamples(samples)}\n\n`);
    process.stdout.write(
      `refreshes ${Math.round(load.refreshesPerSecond).toLocaleString('en-US')}/s (p99 ${load.latency.p99.toFixed(2)} ms, ${load.errors} errors); ` +
        `sessions issued ${issued.issued.toLocaleString('en-US')} (${summary.issuedPerSecond.toFixed(1)}/s of ${options.issueRate} asked, ${issued.failed} failed)\n`,
    );
    process.stdout.write(
      `database ${mib(dbBytes)} MiB for ${last.liveSessions.toLocaleString('en-US')} live sessions: ` +
        `${summary.bytesPerSessionAtRest === null ? '—' : Math.round(summary.bytesPerSessionAtRest)} bytes per session at rest ` +
        `(${mib(rest)} MiB checkpointed after the run; ${summary.bytesPerSession === null ? '—' : Math.round(summary.bytesPerSession)} with the WAL while running)\n`,
    );
    process.stdout.write(
      flatness.range === null
        ? `RSS flatness: fewer than two spans of ${options.window} s after ${options.settle} s\n`
        : `RSS after ${options.settle} s: samples ${mib(flatness.sampleMin)}–${mib(flatness.sampleMax)} MiB; ` +
            `means of ${options.window} s ${flatness.windows.map((w) => mib(w.meanRss)).join(', ')} MiB, ` +
            `range ${mib(flatness.range)} MiB: ` +
            `${flatness.flat === true ? 'flat (within 10 %)' : 'NOT flat (more than 10 %)'}\n`,
    );
    if (!heapKnown) process.stdout.write('heap: the server exposes no nodejs heap metric\n');
    process.stdout.write(formatGrowth(summary.memoryGrowth));

    if (options.save) {
      const results = join(ROOT, 'bench/results');
      mkdirSync(results, { recursive: true });
      const file = join(results, `soak-${startedAt.toISOString().replace(/:/g, '-')}.json`);
      writeFileSync(
        file,
        `${JSON.stringify(
          {
            kind: 'soak',
            startedAt: startedAt.toISOString(),
            node: process.version,
            cpus: cpus().length,
            server: command,
            options,
            summary,
            samples,
          },
          null,
          2,
        )}\n`,
      );
      const series = [
        { name: 'RSS', pick: (s: Sample) => s.rss },
        { name: 'V8 heap used', pick: (s: Sample) => s.heapUsed },
        { name: 'DB + WAL', pick: (s: Sample) => s.dbFile + s.dbWal },
      ].map(({ name, pick }) => ({
        name,
        points: samples
          .filter((s) => pick(s) !== undefined)
          .map((s) => ({ x: Math.round(s.t), y: (pick(s) as number) / MIB })),
      }));
      const chart = join(ROOT, 'docs/images/bench-soak.svg');
      writeFileSync(
        chart,
        lineChart({
          title: `Server memory and database size under load, ${options.issueRate} new sessions/s`,
          xLabel: 'seconds',
          yLabel: 'MiB',
          series: series.filter((s) => s.points.length > 0),
        }),
      );
      say(
        `results written to ${file.slice(ROOT.length + 1)}, chart to ${chart.slice(ROOT.length + 1)}`,
      );
    }
    return load.errors > 0 || issued.failed > 0 ? 1 : 0;
  } finally {
    if (live.open) live.close();
    await server.stop();
    removeTempDir(dir);
  }
}

async function main(): Promise<number> {
  let options: SoakOptions;
  try {
    options = parseSoakOptions(process.argv.slice(2));
  } catch (error) {
    say(error instanceof Error ? error.message : String(error));
    return 2;
  }
  return run(options);
}

runBenchMain('bench:soak', main, () => {
  removeTempDirs();
});
