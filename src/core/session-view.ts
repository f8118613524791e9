import type { SessionRecord } from './store.js';

/** Whether a session can still be refreshed, and if not, why. */
export type SessionStatus = 'active' | 'revoked' | 'expired' | 'idle';

/** A session as operators see it (no token material). Times are epoch seconds. */
export interface SessionView {
  id: string;
  subject: string;
  clientId: string;
  scope: string;
  claims: Record<string, unknown>;
  status: SessionStatus;
  createdAt: number;
  expiresAt: number;
  idleTtl: number;
  /** When the session ends unless refreshed before. */
  idleExpiresAt: number;
  accessTtl: number;
  rotate: boolean;
  lastActiveAt: number;
  generation: number;
  revokedAt: number | null;
  revokeReason: string | null;
}

/** The operator's view of a session at `now` (epoch seconds). */
export function describeSession(session: SessionRecord, now: number): SessionView {
  const idleExpiresAt = session.lastActiveAt + session.idleTtl;
  let status: SessionStatus = 'active';
  if (session.revokedAt !== null) status = 'revoked';
  else if (now >= session.expiresAt) status = 'expired';
  else if (now >= idleExpiresAt) status = 'idle';
  return {
    id: session.id,
    subject: session.subject,
    clientId: session.clientId,
    scope: session.scope,
    claims: session.claims,
    status,
    createdAt: session.createdAt,
    expiresAt: session.expiresAt,
    idleTtl: session.idleTtl,
    idleExpiresAt,
    accessTtl: session.accessTtl,
    rotate: session.rotate,
    lastActiveAt: session.lastActiveAt,
    generation: session.generation,
    revokedAt: session.revokedAt,
    revokeReason: session.revokeReason,
  };
}
