import { idleEndOf, sessionStatus, type SessionStatus } from './session-status.js';
import type { SessionRecord } from './records.js';

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
  const idleExpiresAt = idleEndOf(session);
  const status = sessionStatus(session, now);
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
