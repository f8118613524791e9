// Times as operators read them: relative ("3 min ago", "in 6 d") with the exact time a hover or
// a screen reader away.

const UNITS: readonly [number, string][] = [
  [86_400, 'd'],
  [3600, 'h'],
  [60, 'min'],
  [1, 's'],
];

/**
 * A duration in seconds in its largest unit, with the next one while the first is below 10:
 * `6 d 23 h`, `29 d`, `1 h 30 min`, `15 min`, `10 s`.
 */
export function duration(seconds: number): string {
  const size = Math.floor(Math.abs(seconds));
  for (const [index, [unit, name]] of UNITS.entries()) {
    if (size < unit) continue;
    const whole = Math.floor(size / unit);
    const next = UNITS[index + 1];
    if (whole >= 10 || next === undefined) return `${whole} ${name}`;
    const rest = Math.floor((size % unit) / next[0]);
    return rest === 0 ? `${whole} ${name}` : `${whole} ${name} ${rest} ${next[1]}`;
  }
  return '0 s';
}

/** `at` (epoch seconds) relative to `now`: `3 min ago`, `in 6 d`, `now`. */
export function relative(at: number, now: number): string {
  const delta = at - now;
  if (Math.abs(delta) < 5) return 'now';
  return delta < 0 ? `${duration(delta)} ago` : `in ${duration(delta)}`;
}

/** `at` (epoch seconds) as an exact local date and time. */
export function exact(at: number): string {
  return new Date(at * 1000).toLocaleString(undefined, {
    dateStyle: 'medium',
    timeStyle: 'medium',
  });
}

/** `at` (epoch seconds) in ISO 8601, for `<time datetime>`. */
export const iso = (at: number): string => new Date(at * 1000).toISOString();

/** The current time in epoch seconds. */
export const nowSeconds = (): number => Math.floor(Date.now() / 1000);
