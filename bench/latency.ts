/** Latency percentiles of one run, in milliseconds. */
export interface LatencySummary {
  samples: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/**
 * Keeps every latency sample (a 10 s run holds at most a few hundred thousand) and computes exact
 * percentiles from the sorted samples, at sub-millisecond resolution.
 */
export class LatencyRecorder {
  private samples = new Float64Array(1 << 16);
  private count = 0;

  /** Records one latency in milliseconds. */
  record(ms: number): void {
    if (this.count === this.samples.length) {
      const grown = new Float64Array(this.samples.length * 2);
      grown.set(this.samples);
      this.samples = grown;
    }
    this.samples[this.count++] = ms;
  }

  /** Records the time since `start` (from `process.hrtime.bigint()`). */
  recordSince(start: bigint): void {
    this.record(Number(process.hrtime.bigint() - start) / 1e6);
  }

  summary(): LatencySummary {
    const sorted = this.samples.slice(0, this.count).sort();
    const at = (percentile: number): number =>
      sorted.length === 0
        ? 0
        : (sorted[Math.max(0, Math.ceil((percentile / 100) * sorted.length) - 1)] ?? 0);
    let sum = 0;
    for (const value of sorted) sum += value;
    return {
      samples: sorted.length,
      mean: sorted.length === 0 ? 0 : sum / sorted.length,
      p50: at(50),
      p90: at(90),
      p99: at(99),
      p999: at(99.9),
      max: sorted.length === 0 ? 0 : (sorted[sorted.length - 1] ?? 0),
    };
  }
}
