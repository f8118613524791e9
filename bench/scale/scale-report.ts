import { formatNumber, lineChart } from '../svg.js';
import { formatCount } from './options.js';
import type { SizeResult } from './measure-size.js';

/** A size that was not measured, and why. */
export interface SkippedSize {
  store: SizeResult['store'];
  sessions: number;
  reason: string;
}

const pad = (text: string, width: number): string => text.padStart(width);

/** The results as a fixed-width table, one row per store and size. */
export function formatScaleTable(results: readonly SizeResult[]): string {
  const header = [
    'store',
    'sessions',
    'load s',
    'loaded/s',
    'start s',
    'refresh/s',
    'p50 ms',
    'p99 ms',
    'errors',
    'B/ses load',
    'B/ses run',
    'B/ses refr',
    'sweep s/M',
  ];
  const rows = results.map((r) => [
    r.store,
    formatCount(r.sessions),
    r.loadSeconds.toFixed(1),
    formatNumber(r.sessionsLoadedPerSecond),
    r.startupSeconds.toFixed(2),
    formatNumber(r.refresh.refreshesPerSecond),
    r.refresh.latency.p50.toFixed(2),
    r.refresh.latency.p99.toFixed(2),
    String(r.refresh.errors),
    formatNumber(r.loadedBytesPerSession),
    formatNumber(r.bytesPerSession),
    formatNumber(r.bytesPerRefreshedSession),
    r.sweep.secondsPerMillion.toFixed(1),
  ]);
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  return [header, ...rows]
    .map((row) => row.map((cell, i) => pad(cell, widths[i] ?? 0)).join('  '))
    .join('\n');
}

/** Per store: throughput at the largest size within 80 % of the smallest's, p99 at most 1.5×. */
export function scaleVerdicts(results: readonly SizeResult[]): string[] {
  const lines: string[] = [];
  for (const store of ['sqlite', 'postgres'] as const) {
    const own = results.filter((r) => r.store === store).sort((a, b) => a.sessions - b.sessions);
    const smallest = own[0];
    const largest = own.at(-1);
    if (smallest === undefined || largest === undefined || smallest === largest) continue;
    const throughput = largest.refresh.refreshesPerSecond / smallest.refresh.refreshesPerSecond;
    const p99 = largest.refresh.latency.p99 / smallest.refresh.latency.p99;
    const span = `${formatCount(largest.sessions)} vs ${formatCount(smallest.sessions)}`;
    lines.push(
      `${store} ${span}: throughput ${(throughput * 100).toFixed(0)} % of the smallest (target ≥ 80 %): ${throughput >= 0.8 ? 'yes' : 'NO'}; ` +
        `p99 ${p99.toFixed(2)}× (target ≤ 1.5×): ${p99 <= 1.5 ? 'yes' : 'NO'}`,
    );
  }
  return lines;
}

/** Two line charts in one SVG: refreshes/s and p99 against the session count, per store. */
export function scaleChart(results: readonly SizeResult[]): string {
  const series = (pick: (r: SizeResult) => number) =>
    (['sqlite', 'postgres'] as const)
      .map((store) => ({
        name: store === 'sqlite' ? 'SQLite' : 'PostgreSQL',
        points: results
          .filter((r) => r.store === store)
          .sort((a, b) => a.sessions - b.sessions)
          .map((r) => ({ x: r.sessions, y: pick(r) })),
      }))
      .filter((s) => s.points.length > 0);
  const common = { xLabel: 'live sessions in the store', logX: true, formatX: formatCount };
  const throughput = lineChart({
    ...common,
    title: 'Refreshes per second against stored sessions',
    yLabel: 'refreshes/s',
    series: series((r) => r.refresh.refreshesPerSecond),
  });
  const p99 = lineChart({
    ...common,
    title: 'p99 latency of a refresh against stored sessions',
    yLabel: 'p99 ms',
    series: series((r) => r.refresh.latency.p99),
  });
  // Each chart is a complete <svg> 760 × 360; nested, the second goes below the first.
  const inner = (svg: string, y: number): string => svg.replace('<svg ', `<svg x="0" y="${y}" `);
  return [
    '<svg xmlns="http://www.w3.org/2000/svg" width="760" height="720" viewBox="0 0 760 720" role="img" aria-label="Refresh throughput and p99 latency against stored sessions">',
    inner(throughput, 0).trimEnd(),
    inner(p99, 360).trimEnd(),
    '</svg>',
    '',
  ].join('\n');
}
