/** Source of the current time, injected so that lifetimes can be tested without sleeping. */
export interface Clock {
  /** Current time in epoch seconds (whole seconds). */
  now(): number;
}

/** The wall clock. */
export const systemClock: Clock = {
  now: () => Math.floor(Date.now() / 1000),
};

/**
 * A clock that only moves when told to; for tests.
 *
 * @example const clock = createManualClock(1_700_000_000); clock.advance(11);
 */
export interface ManualClock extends Clock {
  /** Moves the clock forward by `seconds`. */
  advance(seconds: number): void;
  /** Sets the clock to `at` (epoch seconds). */
  set(at: number): void;
}

/** Creates a {@link ManualClock} starting at `start` (epoch seconds). */
export function createManualClock(start: number = Math.floor(Date.now() / 1000)): ManualClock {
  let current = start;
  return {
    now: () => current,
    advance: (seconds) => {
      current += seconds;
    },
    set: (at) => {
      current = at;
    },
  };
}
