import type { AccessTokenClaims } from './claims.js';
import { VerifierError } from './verifier-error.js';

/** Sessions remembered; the oldest-seen is forgotten first, which only loses coverage. */
const MAX_SESSIONS = 100_000;

/**
 * Remembers the newest generation seen per session. A refresh raises the generation and Baton
 * then refuses the session's earlier access tokens; once this verifier has seen a token of
 * generation n, it refuses the same session's tokens below n as `revoked` without asking.
 */
export interface GenerationTracker {
  /** Refuses `claims` if a newer generation of its session was seen; else records it. */
  check(claims: AccessTokenClaims): void;
  size(): number;
}

/** Creates a {@link GenerationTracker} bounded to {@link MAX_SESSIONS} sessions. */
export function createGenerationTracker(maxSessions = MAX_SESSIONS): GenerationTracker {
  const newest = new Map<string, number>();
  return {
    check({ sid, gen }) {
      const seen = newest.get(sid);
      if (seen !== undefined && gen < seen)
        throw new VerifierError('revoked', { detail: 'a refresh replaced the access token' });
      if (seen === undefined || gen > seen) {
        newest.delete(sid);
        newest.set(sid, gen);
        if (newest.size > maxSessions) {
          const oldest = newest.keys().next();
          if (oldest.done !== true) newest.delete(oldest.value);
        }
      }
    },
    size: () => newest.size,
  };
}
