import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import type { ScenarioResult } from './scenario-result.js';

/** The machine a run was measured on. */
export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  node: string;
  platform: string;
  release: string;
  /** Bytes. */
  totalMemory: number;
  /** 1, 5 and 15 minute load averages when the run started. */
  loadAverage: number[];
}

/** The commit measured, and whether the work tree had changes. */
export interface CommitInfo {
  commit: string | null;
  dirty: boolean | null;
}

export function machineInfo(): MachineInfo {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    node: process.version,
    platform: platform(),
    release: release(),
    totalMemory: totalmem(),
    loadAverage: loadavg(),
  };
}

export function commitInfo(root: string): CommitInfo {
  const git = (...args: string[]): string =>
    execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    return {
      commit: git('rev-parse', '--short', 'HEAD').trim(),
      dirty: git('status', '--porcelain', '--untracked-files=no').trim() !== '',
    };
  } catch {
    return { commit: null, dirty: null };
  }
}

const ms = (value: number): string => value.toFixed(value < 10 ? 2 : 1);

/** The results as a plain-text table. */
export function formatTable(results: ScenarioResult[]): string {
  const header = ['scenario', 'store', 'refreshes/s', 'p50 ms', 'p99 ms', 'max ms', 'errors'];
  const rows = results.map((result) => [
    result.scenario,
    result.store,
    Math.round(result.refreshesPerSecond).toLocaleString('en-US'),
    ms(result.latency.p50),
    ms(result.latency.p99),
    ms(result.latency.max),
    String(result.errors),
  ]);
  return textTable(header, rows);
}

/** A plain-text table: the first two columns aligned left, the others (figures) right. */
export function textTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]): string =>
    cells
      .map((cell, column) =>
        column < 2 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join('  ')
      .trimEnd();
  return [
    line(header),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...rows.map(line),
  ].join('\n');
}

/** A target the project aims at, checked against a run. */
export interface TargetCheck {
  scenario: string;
  target: string;
  met: boolean;
}

/** The speed targets of the refresh path (2-core machine, load generator on the same machine). */
export function checkTargets(results: ScenarioResult[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const result of results) {
    if (result.scenario === 'http-sqlite') {
      checks.push({
        scenario: result.scenario,
        target: '≥ 5,000 refreshes/s with p99 < 20 ms and no errors',
        met: result.refreshesPerSecond >= 5000 && result.latency.p99 < 20 && result.errors === 0,
      });
    }
    if (result.scenario === 'http-postgres') {
      checks.push({
        scenario: result.scenario,
        target: '≥ 3,500 refreshes/s with p99 < 25 ms and no errors',
        met: result.refreshesPerSecond >= 3500 && result.latency.p99 < 25 && result.errors === 0,
      });
    }
    if (result.scenario === 'core-memory') {
      checks.push({
        scenario: result.scenario,
        target: '≥ 15,000 refreshes/s and no errors',
        met: result.refreshesPerSecond >= 15_000 && result.errors === 0,
      });
    }
  }
  return checks;
}

/** A PostgreSQL scenario read against the bare rotation measured in the same run. */
export interface BaselineComparison {
  scenario: string;
  /** Refreshes/s of the scenario divided by those of `baseline-postgres`. */
  throughputRatio: number;
  /** p99 of the scenario divided by that of `baseline-postgres`. */
  p99Ratio: number;
}

/**
 * Each Baton-on-PostgreSQL scenario as a share of `baseline-postgres`, when both ran: the
 * machine's speed cancels out, so runs on different machines compare by these ratios.
 */
export function compareWithBaseline(results: ScenarioResult[]): BaselineComparison[] {
  const baseline = results.find((result) => result.scenario === 'baseline-postgres');
  if (baseline === undefined || baseline.refreshesPerSecond === 0) return [];
  return results
    .filter((result) => result.store === 'postgres' && result !== baseline)
    .map((result) => ({
      scenario: result.scenario,
      throughputRatio: result.refreshesPerSecond / baseline.refreshesPerSecond,
      p99Ratio: result.latency.p99 / baseline.latency.p99,
    }));
}

/** Writes `report` to bench/results/refresh-<timestamp>.json and bench/results/latest.json. */
export function writeResults(dir: string, startedAt: Date, report: unknown): string[] {
  mkdirSync(dir, { recursive: true });
  const json = `${JSON.stringify(report, null, 2)}\n`;
  const stamp = startedAt.toISOString().replace(/:/g, '-');
  const files = [join(dir, `refresh-${stamp}.json`), join(dir, 'latest.json')];
  for (const file of files) writeFileSync(file, json);
  return files;
}
