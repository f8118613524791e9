// The core's front door: everything the HTTP faces, the stores and the CLI may use. ESLint
// refuses their imports of any other file of src/core, so that what lies behind this file can
// change without them noticing.

export { resetAdminToken, ADMIN_TOKEN_RELOAD_TTL, MIN_ADMIN_TOKEN_LENGTH } from './admin-token.js';
export {
  DEFAULT_CLIENT_ID,
  type ClientCredentials,
  type ClientIdentity,
  type ClientInput,
  type ClientSettingsInput,
  type ClientView,
} from './clients.js';
export { createManualClock, systemClock, type Clock, type ManualClock } from './clock.js';
export {
  MAX_ACCESS_TTL,
  MAX_REFRESH_TTL,
  MAX_REUSE_GRACE,
  SERVICE_DEFAULTS,
  SIGNING_ALGS,
  type RateLimitOptions,
  type ResolvedServiceOptions,
  type ServiceOptions,
  type SigningAlg,
} from './config.js';
export { DIALECT_NAMES, isDialectName, type DialectName } from './dialects.js';
export {
  BatonError,
  ERROR_CODES,
  isBatonError,
  type BatonErrorOptions,
  type ErrorCode,
} from './errors.js';
export { silentEventSink, type EventHub, type EventSink } from './events.js';
export type { Introspection, IntrospectionCaller } from './introspect.js';
export type { Invalidation, InvalidationBus } from './invalidations.js';
export { MAX_CLAIMS_BYTES, MAX_SUBJECT_LENGTH, type IssueSessionInput } from './issue-session.js';
export { MAX_ORIGINS, normaliseOrigin } from './origins.js';
export { createMemoryRateLimiter, type RateLimiter } from './rate-limiter.js';
export type {
  ClientRecord,
  RefreshTokenRecord,
  SessionRecord,
  SigningKeyRecord,
} from './records.js';
export type { AccessTokenRefreshRequest } from './refresh/refresh-by-access-token.js';
export type { RefreshRequest } from './refresh/refresh.js';
export type { RefreshResult } from './refresh/run-refresh.js';
export type { RevocationList, RevocationListCaller } from './revocation-list.js';
export type { RevokeReason } from './revoke.js';
export {
  REVOCATION_EVENT_TYPES,
  SECURITY_EVENT_TYPES,
  type NewSecurityEvent,
  type SecurityEvent,
  type SecurityEventType,
  type SessionEventTemplate,
} from './security-events.js';
export { sessionEndOf, type SessionStatus } from './session-status.js';
export type { SessionView } from './session-view.js';
export type {
  EventQuery,
  RevocationQuery,
  RevocationRecord,
  RevokedSession,
  RotateOperation,
  SessionFilter,
  SessionQuery,
  Store,
  SweepCutoffs,
  SweepResult,
  TokenChange,
} from './store.js';
export { isWellFormed, isWellFormedDeep } from './text.js';
export {
  createTokenService,
  type KeyView,
  type TokenService,
  type TokenServiceOptions,
} from './token-service.js';
export type { TokenSet } from './mint/token-set.js';
export { updateClient } from './update-client.js';
