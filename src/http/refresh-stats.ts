import { systemClock, type Clock } from '../core/index.js';

/** The outcomes a refresh is counted under, in the order of {@link RefreshStats.snapshot}. */
export const REFRESH_OUTCOMES = [
  'ok',
  'replayed',
  'reused',
  'expired',
  'invalid',
  'error',
] as const;

/** One of {@link REFRESH_OUTCOMES}. */
export type RefreshOutcome = (typeof REFRESH_OUTCOMES)[number];

/** Minutes the stats keep: the last hour, the current minute included. */
export const STATS_MINUTES = 60;

/** One minute of counts; `at` is its first second (epoch seconds). */
export type MinuteCounts = { at: number; reuseDetections: number } & Record<RefreshOutcome, number>;

/** What `GET /admin/stats` answers. */
export interface StatsSnapshot {
  /** The current time, epoch seconds. */
  now: number;
  /** When this instance began counting (its start), epoch seconds. */
  countingSince: number;
  /** The last {@link STATS_MINUTES} minutes, oldest first; the last one is still running. */
  minutes: MinuteCounts[];
}

/**
 * Refreshes per minute by outcome and reuse detections per minute, over the last hour, of this
 * instance only: a ring of {@link STATS_MINUTES} rows of counters.
 */
export interface RefreshStats {
  /** Counts one refresh under the outcome its result or failure reason maps to. */
  refresh(outcome: string): void;
  /** Counts one reuse detection (a session revoked because a used refresh token came back). */
  reuseDetected(): void;
  snapshot(): StatsSnapshot;
}

/**
 * The bucket of a refresh outcome as `Metrics.refresh` names it (`rotated`, `replayed`, or the
 * failure reason): `idle` is counted as `expired`, a store outage or a fault as `error`, every
 * other refusal (unknown, revoked, wrong client, rate-limited, bad request) as `invalid`.
 */
export function outcomeIndex(outcome: string): number {
  switch (outcome) {
    case 'rotated':
      return 0;
    case 'replayed':
      return 1;
    case 'reused':
      return 2;
    case 'expired':
    case 'idle':
      return 3;
    case 'store_unavailable':
    case 'internal':
      return 5;
    default:
      return 4;
  }
}

// A row per minute: one counter per outcome, then the reuse detections.
const COLUMNS = REFRESH_OUTCOMES.length + 1;
const REUSE_COLUMN = REFRESH_OUTCOMES.length;

/** Creates empty stats; `clock` tells the minute (the wall clock by default). */
export function createRefreshStats(clock: Clock = systemClock): RefreshStats {
  // Preallocated once: counting a refresh is an index computation and an increment.
  const counts = new Float64Array(STATS_MINUTES * COLUMNS);
  // The minute (epoch seconds / 60) each row holds; -1 for a row never used.
  const minuteOf = new Float64Array(STATS_MINUTES).fill(-1);
  const countingSince = clock.now();

  function rowOf(minute: number): number {
    const row = minute % STATS_MINUTES;
    if (minuteOf[row] !== minute) {
      // The row held a minute more than an hour ago: start it again.
      counts.fill(0, row * COLUMNS, (row + 1) * COLUMNS);
      minuteOf[row] = minute;
    }
    return row;
  }

  function count(column: number): void {
    const index = rowOf(Math.floor(clock.now() / 60)) * COLUMNS + column;
    counts[index] = (counts[index] ?? 0) + 1;
  }

  return {
    refresh: (outcome) => count(outcomeIndex(outcome)),
    reuseDetected: () => count(REUSE_COLUMN),
    snapshot() {
      const now = clock.now();
      const current = Math.floor(now / 60);
      const minutes: MinuteCounts[] = [];
      for (let minute = current - STATS_MINUTES + 1; minute <= current; minute++) {
        const row = minute % STATS_MINUTES;
        const held = minuteOf[row] === minute;
        const at = (column: number) => (held ? (counts[row * COLUMNS + column] ?? 0) : 0);
        minutes.push({
          at: minute * 60,
          ok: at(0),
          replayed: at(1),
          reused: at(2),
          expired: at(3),
          invalid: at(4),
          error: at(5),
          reuseDetections: at(REUSE_COLUMN),
        });
      }
      return { now, countingSince, minutes };
    },
  };
}
