import { BatonError } from './errors.js';
import type { SessionRecord } from './records.js';

/** Whether a session can still be refreshed, and if not, why. */
export type SessionStatus = 'active' | 'revoked' | 'expired' | 'idle';

/** When a session ends unless refreshed before (epoch seconds): the idle limit. */
export const idleEndOf = (session: SessionRecord): number => session.lastActiveAt + session.idleTtl;

/**
 * When a session ends if nothing changes (epoch seconds): at its revocation, or at the earlier of
 * its absolute end and its idle end.
 */
export const sessionEndOf = (session: SessionRecord): number =>
  session.revokedAt ?? Math.min(session.expiresAt, idleEndOf(session));

/**
 * The one liveness rule: a session is revoked, past its absolute expiry, idle (no refresh for
 * `idleTtl` seconds), or active, at `now` (epoch seconds).
 */
export function sessionStatus(session: SessionRecord, now: number): SessionStatus {
  if (session.revokedAt !== null) return 'revoked';
  if (now >= session.expiresAt) return 'expired';
  if (now >= idleEndOf(session)) return 'idle';
  return 'active';
}

/** Throws the error of {@link sessionStatus} unless the session is active at `now`. */
export function checkSessionLive(session: SessionRecord, now: number): void {
  switch (sessionStatus(session, now)) {
    case 'active':
      return;
    case 'revoked':
      throw new BatonError('ERR_SESSION_REVOKED', 'the session has been revoked');
    case 'expired':
      throw new BatonError('ERR_SESSION_EXPIRED', 'the session has expired');
    case 'idle':
      throw new BatonError(
        'ERR_SESSION_IDLE',
        'the session expired after a period without refreshes',
      );
  }
}
