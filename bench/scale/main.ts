/**
 * Cost at scale: for each store and session count, bulk-load live sessions into a fresh database
 * (the store's own migrations and INSERTs), start `baton serve` on it, drive refreshes of sessions
 * drawn uniformly from all of them over POST /oauth/token, and measure the data at rest and the
 * sweeper's time per million ended sessions. Prints a table, writes bench/results/scale-*.json
 * and docs/images/bench-scale.svg. `npm run bench:scale -- --help` lists the options.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { dropSchemasSync, redactedUrl } from '../postgres.js';
import { ROOT, serverCommand } from '../server-process.js';
import { measureSize, type SizeResult } from './measure-size.js';
import { formatCount, parseScaleOptions, type ScaleOptions } from './options.js';
import { formatScaleTable, scaleChart, scaleVerdicts, type SkippedSize } from './scale-report.js';
import { runBenchMain } from '../run-main.js';
import {
  freeBytes,
  postgresDataDirectory,
  postgresTarget,
  removeScaleDirs,
  sqliteTarget,
  type ScaleTarget,
} from './scale-targets.js';

const say = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/**
 * Disk a size needs, in bytes per session loaded (live and ended), with room to spare: what a
 * session takes as loaded with the default retry box (SQLite ≈ 1,520 B, PostgreSQL ≈ 1,890 B)
 * and a quarter more, for the WAL and the sessions refreshed during the run.
 */
const DISK_PER_SESSION = { sqlite: 1900, postgres: 2400 } as const;

async function freeFor(
  store: SizeResult['store'],
  options: ScaleOptions,
): Promise<number | undefined> {
  if (store === 'sqlite') return freeBytes(options.dir ?? tmpdir());
  const dataDirectory = await postgresDataDirectory(options.pgUrl);
  return dataDirectory === undefined ? undefined : freeBytes(dataDirectory);
}

async function main(): Promise<number> {
  let options: ScaleOptions;
  try {
    options = parseScaleOptions(process.argv.slice(2), process.env);
  } catch (error) {
    say(error instanceof Error ? error.message : String(error));
    return 2;
  }
  const startedAt = new Date();
  const command = serverCommand(options.server);
  say(`server: ${command.mode} (${command.reason})`);
  say(
    `sizes ${options.sizes.map(formatCount).join(', ')} on ${options.stores.join(', ')}; ` +
      `${options.warmup} s warm-up + ${options.duration} s at ${options.connections} connections per size`,
  );
  const results: SizeResult[] = [];
  const skipped: SkippedSize[] = [];
  const file = join(
    ROOT,
    'bench/results',
    `scale-${startedAt.toISOString().replace(/:/g, '-')}.json`,
  );
  const chart = join(ROOT, 'docs/images/bench-scale.svg');
  const save = (done: readonly SizeResult[], left: readonly SkippedSize[]) => {
    mkdirSync(dirname(file), { recursive: true });
    const report = {
      kind: 'scale',
      startedAt: startedAt.toISOString(),
      node: process.version,
      cpus: cpus().length,
      server: command,
      options: { ...options, pgUrl: redactedUrl(options.pgUrl) },
      results: done,
      skipped: left,
      verdicts: scaleVerdicts(done),
    };
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(chart, scaleChart(done));
    return { file, chart };
  };
  for (const store of options.stores) {
    for (const sessions of options.sizes) {
      const loaded = sessions + Math.min(options.sweep, sessions);
      const needed = loaded * DISK_PER_SESSION[store];
      const free = await freeFor(store, options);
      if (free !== undefined && free < needed) {
        const reason = `needs about ${(needed / 2 ** 30).toFixed(1)} GiB, ${(free / 2 ** 30).toFixed(1)} GiB free`;
        say(`${store} ${formatCount(sessions)}: SKIPPED, not enough disk (${reason})`);
        skipped.push({ store, sessions, reason });
        continue;
      }
      say(
        `${store} ${formatCount(sessions)}: loading ${sessions.toLocaleString('en-US')} sessions` +
          (free === undefined ? ' (free disk unknown)' : ''),
      );
      let target: ScaleTarget | undefined;
      try {
        target =
          store === 'sqlite'
            ? sqliteTarget(options.dir, options.cacheMib)
            : await postgresTarget(options.pgUrl, options.pgPool);
        results.push(await measureSize(store, target, sessions, { options, command, log: say }));
      } catch (error) {
        // One size failing (a full disk, a server that did not start) leaves the others to run.
        const reason = `failed: ${error instanceof Error ? error.message : String(error)}`;
        say(`${store} ${formatCount(sessions)}: ${reason}`);
        skipped.push({ store, sessions, reason });
      } finally {
        await target?.close().catch((error: unknown) => say(`cleanup failed: ${String(error)}`));
      }
      // Saved after every size, so that a long run that is cut short keeps what it measured.
      if (options.save && results.length > 0) save(results, skipped);
    }
  }

  if (results.length > 0) process.stdout.write(`\n${formatScaleTable(results)}\n\n`);
  for (const line of scaleVerdicts(results)) process.stdout.write(`${line}\n`);
  for (const skip of skipped)
    process.stdout.write(`skipped ${skip.store} ${formatCount(skip.sessions)}: ${skip.reason}\n`);

  if (options.save && results.length > 0) {
    const { file, chart } = save(results, skipped);
    say(
      `results written to ${file.slice(ROOT.length + 1)}, chart to ${chart.slice(ROOT.length + 1)}`,
    );
  }
  return skipped.some((skip) => skip.reason.startsWith('failed')) ||
    results.some((r) => r.refresh.errors > 0)
    ? 1
    : 0;
}

runBenchMain('bench:scale', main, () => {
  removeScaleDirs();
  dropSchemasSync();
});
