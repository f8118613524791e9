/** The security events Baton records: an append-only trail of what happened to sessions and keys. */

/** Types of security events. */
export const SECURITY_EVENT_TYPES = [
  'refresh_token.reused',
  'refresh.failed',
  'session.revoked',
  'access_token.revoked',
  'key.rotated',
  'client.created',
  'client.deleted',
] as const;

/** One of {@link SECURITY_EVENT_TYPES}. */
export type SecurityEventType = (typeof SECURITY_EVENT_TYPES)[number];

/** An append-only security record. */
export interface SecurityEvent {
  /** Increasing id assigned by the store (0 before it is stored). */
  id: number;
  type: SecurityEventType;
  at: number;
  sessionId: string | null;
  subject: string | null;
  clientId: string | null;
  ip: string | null;
  /** Short machine-readable detail such as a failure reason or a key id. */
  detail: string | null;
}

/** An event as the core hands it to the store. */
export type NewSecurityEvent = Omit<SecurityEvent, 'id'>;

/** The part of a session event a bulk revocation fills in per session. */
export type SessionEventTemplate = Omit<NewSecurityEvent, 'sessionId' | 'subject' | 'clientId'>;

/** Event types that record a revocation, as {@link Store.listRevocations} reads them. */
export const REVOCATION_EVENT_TYPES = [
  'session.revoked',
  'refresh_token.reused',
  'access_token.revoked',
] as const satisfies readonly SecurityEventType[];
