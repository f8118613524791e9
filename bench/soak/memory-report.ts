// What the soak makes of its samples: how each part of the server's memory moved after the
// warm-up, and whether resident memory stayed flat.
import type { MemoryMap } from './samplers.js';

const MIB = 2 ** 20;
export const mib = (bytes: number | undefined): string =>
  bytes === undefined ? '—' : (bytes / MIB).toFixed(1);

/** One sample of the run; `t` in seconds since the load started, sizes in bytes. */
export interface Sample {
  t: number;
  rss: number | undefined;
  heapUsed: number | undefined;
  heapTotal: number | undefined;
  external: number | undefined;
  /** RSS by kind of mapping (see `MemoryMap`), without the per-mapping detail. */
  brkHeap: number | undefined;
  anonymous: number | undefined;
  database: number | undefined;
  libraries: number | undefined;
  dbFile: number;
  dbWal: number;
  liveSessions: number;
}

const GROWTH_PARTS: readonly { name: string; pick: (s: Sample) => number | undefined }[] = [
  { name: 'RSS', pick: (s) => s.rss },
  { name: 'V8 heap committed', pick: (s) => s.heapTotal },
  { name: 'V8 heap used', pick: (s) => s.heapUsed },
  { name: 'external (Buffers)', pick: (s) => s.external },
  { name: 'allocator main arena [heap]', pick: (s) => s.brkHeap },
  { name: 'anonymous mappings', pick: (s) => s.anonymous },
  {
    name: 'anonymous outside the V8 heap',
    pick: (s) =>
      s.anonymous === undefined || s.heapTotal === undefined
        ? undefined
        : s.anonymous - s.heapTotal,
  },
  { name: 'SQLite files mapped (-shm)', pick: (s) => s.database },
  { name: 'binary and libraries', pick: (s) => s.libraries },
];

/**
 * How each part of the server's memory moved from the first sample after `settle` seconds to the
 * last, and the anonymous mappings that grew most, so that growth in RSS is traced to a part.
 */
export function memoryGrowth(
  samples: readonly Sample[],
  settle: number,
  settledMap: MemoryMap | undefined,
  lastMap: MemoryMap | undefined,
) {
  const settled = samples.filter((s) => s.t >= settle);
  const first = settled[0];
  const last = settled.at(-1);
  if (first === undefined || last === undefined || first === last) return null;
  const parts = GROWTH_PARTS.map(({ name, pick }) => {
    const from = pick(first);
    const to = pick(last);
    return { name, from, to, change: from === undefined || to === undefined ? null : to - from };
  });
  const regions =
    settledMap === undefined || lastMap === undefined
      ? []
      : Object.entries(lastMap.regions)
          .map(([start, region]) => ({
            start,
            size: region.size,
            rss: region.rss,
            change: region.rss - (settledMap.regions[start]?.rss ?? 0),
            isNew: settledMap.regions[start] === undefined,
          }))
          .sort((a, b) => b.change - a.change)
          .slice(0, 8);
  return { from: first.t, to: last.t, parts, regions };
}

export function formatGrowth(growth: ReturnType<typeof memoryGrowth>): string {
  if (growth === null) return 'memory growth: not enough samples after the warm-up\n';
  const signed = (bytes: number | null): string =>
    bytes === null ? '—' : `${bytes >= 0 ? '+' : ''}${mib(bytes)}`;
  const lines = [
    `\nmemory from t=${Math.round(growth.from)} s to t=${Math.round(growth.to)} s (MiB):`,
    ...growth.parts.map(
      (p) =>
        `  ${p.name.padEnd(32)} ${mib(p.from).padStart(7)} → ${mib(p.to).padStart(7)}  ${signed(p.change)}`,
    ),
    'anonymous mappings that grew most:',
    ...growth.regions.map(
      (r) =>
        `  ${r.start.padStart(12)}  size ${mib(r.size).padStart(7)}  RSS ${mib(r.rss).padStart(7)}  ${signed(r.change)}${r.isNew ? ' (new)' : ''}`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * Whether RSS stayed flat from `settle` seconds on: the mean RSS of each complete span of
 * `window` seconds, and flat when the largest mean is within 10 % of the smallest. Single samples
 * swing with the garbage collector (the V8 heap in use rises and falls by tens of MiB); the means
 * show a trend. The range of the single samples is reported too.
 */
export function rssFlatness(samples: readonly Sample[], settle: number, window: number) {
  const settled = samples.filter((s) => s.t >= settle && s.rss !== undefined);
  const values = settled.map((s) => s.rss as number);
  const last = settled.at(-1)?.t ?? settle;
  const windows: { from: number; to: number; meanRss: number }[] = [];
  for (let from = settle; from + window <= last + 1; from += window) {
    const inside = settled.filter((s) => s.t >= from && s.t < from + window);
    if (inside.length === 0) continue;
    const mean = inside.reduce((sum, s) => sum + (s.rss as number), 0) / inside.length;
    windows.push({ from, to: from + window, meanRss: mean });
  }
  if (windows.length < 2)
    return { samples: values.length, windows, min: null, max: null, range: null, flat: null };
  const means = windows.map((w) => w.meanRss);
  const lowest = Math.min(...means);
  const highest = Math.max(...means);
  return {
    samples: values.length,
    sampleMin: Math.min(...values),
    sampleMax: Math.max(...values),
    windows,
    min: lowest,
    max: highest,
    range: highest - lowest,
    flat: highest - lowest <= 0.1 * lowest,
  };
}
