/**
 * Redraws docs/images/bench-scale.svg, and prints the table and verdicts, from saved
 * `npm run bench:scale` results: for a store and size measured in more than one file, the later
 * file on the command line wins (say, a rerun of one store after a fix).
 *
 *   node --import tsx bench/scale/chart.ts bench/results/scale-A.json bench/results/scale-B.json
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT } from '../server-process.js';
import type { SizeResult } from './measure-size.js';
import { formatScaleTable, scaleChart, scaleVerdicts } from './scale-report.js';

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write('usage: node --import tsx bench/scale/chart.ts <scale-*.json>…\n');
  process.exit(2);
}
const merged = new Map<string, SizeResult & { from: string }>();
for (const file of files) {
  const report = JSON.parse(readFileSync(file, 'utf8')) as {
    kind?: string;
    results?: SizeResult[];
  };
  if (report.kind !== 'scale' || !Array.isArray(report.results)) {
    process.stderr.write(`${file}: not a bench:scale result\n`);
    process.exit(2);
  }
  for (const result of report.results)
    merged.set(`${result.store}:${result.sessions}`, { ...result, from: file });
}
const results = [...merged.values()].sort(
  (a, b) => a.store.localeCompare(b.store) * -1 || a.sessions - b.sessions,
);
const chart = join(ROOT, 'docs/images/bench-scale.svg');
writeFileSync(chart, scaleChart(results));
process.stdout.write(`${formatScaleTable(results)}\n\n`);
for (const line of scaleVerdicts(results)) process.stdout.write(`${line}\n`);
for (const r of results)
  process.stdout.write(`${r.store} ${r.sessions}: ${relative(ROOT, r.from)}\n`);
process.stdout.write(`chart written to ${relative(ROOT, chart)}\n`);
