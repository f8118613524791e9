// What the admin API answers, as the console reads it (see /openapi.json). The console is
// browser code built on its own: it knows the server only through HTTP.

/** A session (`GET /admin/sessions`). Times are epoch seconds. */
export interface Session {
  id: string;
  subject: string;
  clientId: string;
  scope: string;
  status: 'active' | 'revoked' | 'expired' | 'idle';
  createdAt: number;
  expiresAt: number;
  idleExpiresAt: number;
  lastActiveAt: number;
  generation: number;
  revokedAt: number | null;
  revokeReason: string | null;
}

/** A security event (`GET /admin/events`, the event stream). */
export interface SecurityEvent {
  id: number;
  type: string;
  at: number;
  sessionId: string | null;
  subject: string | null;
  clientId: string | null;
  ip: string | null;
  detail: string | null;
}

/** A signing key (`GET /admin/keys`). */
export interface SigningKey {
  kid: string;
  alg: string;
  status: 'active' | 'retired';
  createdAt: number;
  retiredAt: number | null;
  publishedUntil: number | null;
}

/** A client's own settings; `null` takes the service default. */
export interface ClientSettings {
  accessTtl: number | null;
  refreshTtl: number | null;
  idleTtl: number | null;
  reuseGrace: number | null;
  rotate: boolean | null;
  audience: string | null;
  dialects: string[] | null;
  allowedOrigins: string[] | null;
}

/** A client (`GET /admin/clients`). */
export interface Client extends ClientSettings {
  id: string;
  confidential: boolean;
  createdAt: number;
}

/** The outcomes `GET /admin/stats` counts refreshes under. */
export const OUTCOMES = ['ok', 'replayed', 'reused', 'expired', 'invalid', 'error'] as const;

/** One of {@link OUTCOMES}. */
export type Outcome = (typeof OUTCOMES)[number];

/** One minute of `GET /admin/stats`. */
export type MinuteCounts = { at: number; reuseDetections: number } & Record<Outcome, number>;

/** `GET /admin/stats`. */
export interface Stats {
  now: number;
  countingSince: number;
  minutes: MinuteCounts[];
}

/** The security event types, as the admin API names them. */
export const EVENT_TYPES = [
  'refresh_token.reused',
  'refresh.failed',
  'session.revoked',
  'access_token.revoked',
  'key.rotated',
  'client.created',
  'client.deleted',
] as const;

/** The wire dialects a client may allow. */
export const DIALECTS = ['payabli', 'transak', 'sevenG', 'aisquare', 'adid'] as const;
