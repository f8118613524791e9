/** Source of the current time, injected so that lifetimes can be tested without sleeping. */
export interface Clock {
  /** Current time in epoch seconds (whole seconds). */
  now(): number;
  /** Current time in epoch milliseconds; `now()` is this divided by 1000, rounded down. */
  nowMs(): number;
}

/** The wall clock. */
export const systemClock: Clock = {
  now: () => Math.floor(Date.now() / 1000),
  nowMs: () => Date.now(),
};

/**
 * A clock that only moves when told to; for tests.
 *
 * @example const clock = createManualClock(1_700_000_000); clock.advance(11);
 */
export interface ManualClock extends Clock {
  /** Moves the clock forward by `seconds` (fractions move it by milliseconds). */
  advance(seconds: number): void;
  /** Sets the clock to `at` (epoch seconds, fractions allowed). */
  set(at: number): void;
}

/** Creates a {@link ManualClock} starting at `start` (epoch seconds). */
export function createManualClock(start: number = Math.floor(Date.now() / 1000)): ManualClock {
  let currentMs = Math.round(start * 1000);
  return {
    now: () => Math.floor(currentMs / 1000),
    nowMs: () => currentMs,
    advance: (seconds) => {
      currentMs += Math.round(seconds * 1000);
    },
    set: (at) => {
      currentMs = Math.round(at * 1000);
    },
  };
}
