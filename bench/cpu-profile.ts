import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  /** Microseconds since the previous sample. */
  timeDeltas: number[];
}

/** Self time of one function or one group, in milliseconds and as a share of busy time. */
export interface SelfTime {
  name: string;
  ms: number;
  percent: number;
}

/** What a V8 `.cpuprofile` says about where the CPU went. */
export interface ProfileSummary {
  /** Milliseconds the profile covers, and those not spent idle. */
  totalMs: number;
  busyMs: number;
  functions: SelfTime[];
  /** Self time by origin: a package of node_modules, Baton's src/, Node internals, GC, … */
  groups: SelfTime[];
}

function origin(url: string, name: string): string {
  if (url === '') return name.startsWith('(') ? name : '(native)';
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules !== null) return modules[1] ?? url;
  if (url.startsWith('node:')) return 'node internals';
  const source = /\/(src|dist)\/(\w+)\//.exec(url);
  if (source !== null) return `baton ${source[2] ?? ''}`;
  return url;
}

function shortUrl(url: string): string {
  return url.replace(/^file:\/\//, '').replace(/^.*?\/(node_modules|src|dist)\//, '$1/');
}

/** Sums the self time of each function and each origin in a `.cpuprofile`. */
export function summariseCpuProfile(path: string, top = 20): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const byFunction = new Map<string, number>();
  const byGroup = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    const frame = nodes.get(id)?.callFrame;
    if (frame === undefined) return;
    totalUs += delta;
    if (frame.functionName === '(idle)') {
      idleUs += delta;
      return;
    }
    const name =
      frame.url === ''
        ? frame.functionName || '(anonymous)'
        : `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + delta);
    const group = origin(frame.url, frame.functionName);
    byGroup.set(group, (byGroup.get(group) ?? 0) + delta);
  });
  const busyUs = totalUs - idleUs;
  const rank = (map: Map<string, number>, limit: number): SelfTime[] =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([name, us]) => ({
        name,
        ms: us / 1000,
        percent: busyUs === 0 ? 0 : (100 * us) / busyUs,
      }));
  return {
    totalMs: totalUs / 1000,
    busyMs: busyUs / 1000,
    functions: rank(byFunction, top),
    groups: rank(byGroup, 12),
  };
}

/** The summary as printable lines. */
export function formatProfileSummary(summary: ProfileSummary): string[] {
  const row = (entry: SelfTime): string =>
    `${entry.percent.toFixed(1).padStart(6)}%  ${entry.ms.toFixed(0).padStart(7)} ms  ${entry.name}`;
  return [
    `profile: ${(summary.totalMs / 1000).toFixed(1)} s, busy ${(summary.busyMs / 1000).toFixed(1)} s (shares below are of busy time)`,
    'self time by origin:',
    ...summary.groups.map(row),
    'top functions by self time:',
    ...summary.functions.map(row),
  ];
}

// `node --import tsx bench/cpu-profile.ts <file.cpuprofile> [top]` prints one summary.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [file, top] = process.argv.slice(2);
  if (file === undefined) {
    process.stderr.write('usage: node --import tsx bench/cpu-profile.ts <file.cpuprofile> [top]\n');
    process.exitCode = 2;
  } else {
    const summary = summariseCpuProfile(file, top === undefined ? 20 : Number(top));
    process.stdout.write(`${formatProfileSummary(summary).join('\n')}\n`);
  }
}
