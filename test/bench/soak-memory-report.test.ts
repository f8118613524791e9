import { describe, expect, it } from 'vitest';
import { rssFlatness, type Sample } from '../../bench/soak/memory-report.js';

const MIB = 2 ** 20;

/** Samples every 10 s for `seconds`, with the RSS (MiB) `rssAt(t)` gives. */
function samples(seconds: number, rssAt: (t: number) => number): Sample[] {
  return Array.from({ length: seconds / 10 + 1 }, (_, i) => ({
    t: i * 10,
    rss: rssAt(i * 10) * MIB,
    heapUsed: undefined,
    heapTotal: undefined,
    external: undefined,
    brkHeap: undefined,
    anonymous: undefined,
    database: undefined,
    libraries: undefined,
    dbFile: 0,
    dbWal: 0,
    liveSessions: 0,
  }));
}

describe('the soak flatness rule', () => {
  it('calls a steady garbage-collection sawtooth flat although single samples spread by 20 %', () => {
    // 250–300 MiB every 30 s: single samples 20 % apart, every two-minute mean the same.
    const result = rssFlatness(
      samples(1200, (t) => (t % 30 === 0 ? 300 : 250)),
      60,
      120,
    );
    expect(result.flat).toBe(true);
    expect(result.windows.length).toBeGreaterThanOrEqual(8);
    expect((result.sampleMax ?? 0) / (result.sampleMin ?? 1)).toBeCloseTo(1.2);
  });

  it('calls a steady rise of 15 % over the run not flat', () => {
    const result = rssFlatness(
      samples(1200, (t) => 250 + (t / 1200) * 40),
      60,
      120,
    );
    expect(result.flat).toBe(false);
    expect(result.range ?? 0).toBeGreaterThan(25 * MIB);
  });

  it('gives no verdict with fewer than two whole spans after the warm-up', () => {
    const result = rssFlatness(
      samples(200, () => 250),
      60,
      120,
    );
    expect(result.flat).toBeNull();
    expect(result.windows).toHaveLength(1);
  });
});
