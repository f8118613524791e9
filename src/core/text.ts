// A lone surrogate (`\ud800` in JSON) is not Unicode text: stores and encoders replace it with
// U+FFFD, so the same subject would read back differently than it was written.
const LONE_SURROGATE = /\p{Cs}/u;

/** True when `text` is well-formed Unicode (no lone surrogate). */
export function isWellFormed(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

/**
 * True when every string in `value` (object keys included, at any depth) is well-formed
 * Unicode. Stops after `budget` nodes (a body is small; anything deeper is refused).
 */
export function isWellFormedDeep(value: unknown, budget = 10_000): boolean {
  const pending: unknown[] = [value];
  for (let seen = 0; pending.length > 0; seen++) {
    if (seen >= budget) return false;
    const next = pending.pop();
    if (typeof next === 'string') {
      if (!isWellFormed(next)) return false;
    } else if (Array.isArray(next)) {
      pending.push(...(next as unknown[]));
    } else if (typeof next === 'object' && next !== null) {
      for (const [key, item] of Object.entries(next)) {
        if (!isWellFormed(key)) return false;
        pending.push(item);
      }
    }
  }
  return true;
}
