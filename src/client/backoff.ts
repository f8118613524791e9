/** First backoff step and its cap, in milliseconds. */
const BASE_MS = 200;
const CAP_MS = 4000;

/**
 * Milliseconds to wait before retry number `attempt` (1, 2, …): "full jitter", a uniform draw
 * below an exponentially growing cap, so that many clients failing together do not come back
 * together.
 */
export function fullJitter(attempt: number, random: () => number = Math.random): number {
  return random() * Math.min(CAP_MS, BASE_MS * 2 ** attempt);
}

/** `Retry-After` (RFC 9110 §10.2.3) in milliseconds from `now`; 0 when absent or malformed. */
export function retryAfterMs(value: string | null | undefined, now: number): number {
  if (value === null || value === undefined) return 0;
  const ms = /^\s*\d+\s*$/.test(value) ? Number(value) * 1000 : Date.parse(value) - now;
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
}
