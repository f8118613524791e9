/**
 * The storage contract. Every backend (memory, SQLite, PostgreSQL) implements {@link Store};
 * `test/stores/conformance.ts` pins the contract down against each of them.
 *
 * All times are epoch seconds (names ending `At`); durations are seconds (names ending `Ttl`).
 * A store never sees a token in plain text: refresh tokens arrive as keyed hashes, and the
 * retry box is ciphertext under a key only the presented token can derive.
 */

/** A registered application. Nullable settings fall back to the service defaults. */
export interface ClientRecord {
  id: string;
  /** HMAC-SHA-256 of the client secret (base64url); `null` for a public client. */
  secretHash: string | null;
  /** Access-token lifetime in seconds for new sessions of this client. */
  accessTtl: number | null;
  /** Absolute session lifetime in seconds for new sessions of this client. */
  refreshTtl: number | null;
  /** Idle lifetime in seconds for new sessions of this client. */
  idleTtl: number | null;
  /** Reuse-grace window in seconds for this client's refreshes. */
  reuseGrace: number | null;
  /** Whether new sessions of this client rotate refresh tokens. */
  rotate: boolean | null;
  /** `aud` of this client's access tokens; the issuer when `null`. */
  audience: string | null;
  /**
   * Dialects through which this client's sessions may be refreshed; `null` for the default
   * (every dialect for a public client, none for a confidential one).
   */
  dialects: string[] | null;
  /**
   * Browser origins (`https://app.example.com`) this client's sessions may be refreshed from, on
   * top of the service-wide list; `null` for none.
   */
  allowedOrigins: string[] | null;
  createdAt: number;
}

/** One sign-in of one subject on one client: the refresh-token family. */
export interface SessionRecord {
  id: string;
  subject: string;
  clientId: string;
  /** Space-delimited scope granted at sign-in. */
  scope: string;
  /** Custom claims copied into every access token of the session. */
  claims: Record<string, unknown>;
  createdAt: number;
  /** Absolute end of the session (epoch seconds); never extended. */
  expiresAt: number;
  /** Seconds without a refresh after which the session ends. */
  idleTtl: number;
  /** Lifetime in seconds of the session's access tokens. */
  accessTtl: number;
  /** Whether refreshes rotate the refresh token (fixed when the session starts). */
  rotate: boolean;
  /** Time of the last refresh (or of the sign-in). */
  lastActiveAt: number;
  /** Number of refreshes so far; access tokens of earlier generations are inactive. */
  generation: number;
  /**
   * Time of the last refresh in epoch **milliseconds** (`null` before the first): the reuse grace
   * is measured from it to the millisecond.
   */
  rotatedAtMs: number | null;
  revokedAt: number | null;
  revokeReason: string | null;
}

/** A refresh token as stored: only its keyed hash. */
export interface RefreshTokenRecord {
  /** HMAC-SHA-256 of the token under the server pepper (base64url). */
  hash: string;
  sessionId: string;
  /** Session generation the token was issued at; it is used once the session moves past it. */
  generation: number;
  createdAt: number;
}

/** A signing key. `privateKey` is a JWK, sealed when a master secret is configured. */
export interface SigningKeyRecord {
  kid: string;
  alg: string;
  /** Public JWK as JSON (`null` for HS256, whose key is secret). */
  publicJwk: string | null;
  /** Private JWK as JSON, or `sealed:…` ciphertext of it. */
  privateKey: string;
  createdAt: number;
  /** When the key stopped signing; `null` for the active key. */
  retiredAt: number | null;
}

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

/**
 * What a refresh does to the session's refresh tokens:
 * - `rotate`: insert `next`, the successor (the presented token becomes used);
 * - `carry`: move the current token (the one at `fromGeneration`) to `toGeneration`, so that it
 *   stays current: a refresh made with an access token does not use it up;
 * - `keep`: leave the tokens alone (a session without rotation keeps its one token).
 *
 * With `rotate` and `carry`, tokens older than `fromGeneration` are deleted in the same atomic
 * step: a session keeps only its current token and the one just used (whose retry the grace may
 * still answer). Older tokens are still recognised as Baton's by their tag (see
 * `refresh-token.ts`), so presenting one is still reuse.
 */
export type TokenChange =
  { kind: 'rotate'; next: RefreshTokenRecord } | { kind: 'carry' } | { kind: 'keep' };

/** What a refresh changes, applied only if the session is still at `fromGeneration`. */
export interface RotateOperation {
  sessionId: string;
  fromGeneration: number;
  toGeneration: number;
  /** Time of the refresh (epoch seconds); also the new `lastActiveAt`. */
  at: number;
  /** The same time in epoch milliseconds: the new `rotatedAtMs`. */
  atMs: number;
  retryBox: Uint8Array;
  tokens: TokenChange;
}

/** Filter of {@link Store.listSessions}. */
export interface SessionQuery {
  subject?: string;
  clientId?: string;
  /** Only sessions whose id sorts after this one (pagination cursor). */
  after?: string;
  limit: number;
}

/** Filter of {@link Store.listEvents}. */
export interface EventQuery {
  type?: SecurityEventType;
  /** Only events at or after this time (epoch seconds). */
  since?: number;
  /** Only events with a larger id (for following). */
  afterId?: number;
  limit: number;
}

/** The part of a session event a bulk revocation fills in per session. */
export type SessionEventTemplate = Omit<NewSecurityEvent, 'sessionId' | 'subject' | 'clientId'>;

/** Filter of {@link Store.listRevocations}. */
export interface RevocationQuery {
  /** Only events with a larger id. */
  afterId: number;
  /** Only events at or after this time (epoch seconds). */
  since: number;
  /** Only events of these clients; all when absent. */
  clientIds?: readonly string[];
  limit: number;
}

/** One revocation: of a session, or of one access token by `jti`. */
export type RevocationRecord =
  | { id: number; at: number; kind: 'session'; sessionId: string }
  | { id: number; at: number; kind: 'jti'; jti: string; expiresAt: number };

/** Event types that record a revocation, as {@link Store.listRevocations} reads them. */
export const REVOCATION_EVENT_TYPES = [
  'session.revoked',
  'refresh_token.reused',
  'access_token.revoked',
] as const satisfies readonly SecurityEventType[];

/** A session ended by a bulk revocation. */
export type RevokedSession = Pick<SessionRecord, 'id' | 'subject' | 'clientId'>;

/** Which sessions a bulk revocation ends. */
export type SessionFilter = { subject: string } | { clientId: string };

/** Rows removed by one {@link Store.sweep} call. */
export interface SweepResult {
  sessions: number;
  revokedAccessTokens: number;
  events: number;
  keys: number;
}

/** Cut-offs of one {@link Store.sweep} call, in epoch seconds. */
export interface SweepCutoffs {
  /** Delete sessions (and their refresh tokens) that ended before this time. */
  sessionsEndedBefore: number;
  /** Delete revoked access-token ids whose token expired before this time. */
  accessTokensExpiredBefore: number;
  /** Delete events older than this time. */
  eventsBefore: number;
  /** Delete keys retired before this time. */
  keysRetiredBefore: number;
  /** At most this many rows of each kind. */
  limit: number;
}

/**
 * The adapter contract between the core and a database. Each method is one atomic operation.
 * Methods reject with `BatonError('ERR_STORE_UNAVAILABLE')` when the database cannot be reached.
 */
export interface Store {
  /** Backend name for logs and `/readyz` (`memory`, `sqlite`, …). */
  readonly kind: string;
  /** Resolves when the database can commit a write (what `/readyz` reports). */
  ping(): Promise<void>;
  close(): Promise<void>;

  /** Value of a metadata key. */
  getMeta(key: string): Promise<string | undefined>;
  /** Stores `value` under `key` unless a value is already there; returns the stored value. */
  initMeta(key: string, value: string): Promise<string>;
  /** Replaces the value of a metadata key. */
  setMeta(key: string, value: string): Promise<void>;

  getClient(id: string): Promise<ClientRecord | undefined>;
  listClients(): Promise<ClientRecord[]>;
  /** Inserts a client; with `replace`, overwrites one of the same id. False if it exists. */
  putClient(client: ClientRecord, replace: boolean): Promise<boolean>;
  /** Removes a client; false when there was none. */
  deleteClient(id: string): Promise<boolean>;

  /** Inserts a session together with its first refresh token. */
  createSession(session: SessionRecord, token: RefreshTokenRecord): Promise<void>;
  getSession(id: string): Promise<SessionRecord | undefined>;
  /** Sessions ordered by id. */
  listSessions(query: SessionQuery): Promise<SessionRecord[]>;
  /**
   * The retry box stored by the refresh that moved the session to `generation`: the response,
   * sealed under a key derived from the presented token. `undefined` when the session is no
   * longer (or not yet) at that generation. Read only when a retry is answered, so that the
   * common path never loads it.
   */
  getRetryBox(sessionId: string, generation: number): Promise<Uint8Array | undefined>;
  /** The refresh token of session `sessionId` with this hash, and the session. */
  findRefreshToken(
    sessionId: string,
    hash: string,
  ): Promise<{ token: RefreshTokenRecord; session: SessionRecord } | undefined>;
  /**
   * The refresh, atomically: if the session is at `fromGeneration`, not revoked, not expired and
   * not idle at `at`, move it to `toGeneration`, store the retry box and apply `tokens` (see
   * {@link TokenChange}).
   * Returns false (changing nothing) when any condition fails: exactly one of many concurrent
   * rotations of one generation succeeds.
   */
  rotate(operation: RotateOperation): Promise<boolean>;
  /**
   * Revokes a session if it is not revoked yet, appending `event` in the same transaction.
   * Returns false when it was already revoked or does not exist.
   */
  revokeSession(id: string, at: number, reason: string, event?: NewSecurityEvent): Promise<boolean>;
  /**
   * Revokes every unrevoked session matching the filter and, in the same transaction, appends
   * `event` for each one with its `sessionId`, `subject` and `clientId` filled in. Returns the
   * revoked sessions, ordered by id.
   */
  revokeSessions(
    filter: SessionFilter,
    at: number,
    reason: string,
    event: SessionEventTemplate,
  ): Promise<RevokedSession[]>;

  /**
   * Marks an access token id revoked until `expiresAt` and appends `event` in the same
   * transaction. False (changing nothing) when the id was revoked already.
   */
  revokeAccessToken(jti: string, expiresAt: number, event: NewSecurityEvent): Promise<boolean>;
  isAccessTokenRevoked(jti: string): Promise<boolean>;

  /** All stored signing keys, newest first. */
  listKeys(): Promise<SigningKeyRecord[]>;
  /**
   * Adds an active key. With `retire`, first retires the active keys at `key.createdAt`;
   * without it, adds the key only when there is no active key (returns false otherwise).
   */
  addKey(key: SigningKeyRecord, retire: boolean): Promise<boolean>;

  appendEvent(event: NewSecurityEvent): Promise<void>;
  /** Events ordered by id, oldest first. */
  listEvents(query: EventQuery): Promise<SecurityEvent[]>;
  /**
   * Revocations recorded as events (`session.revoked`, `refresh_token.reused`,
   * `access_token.revoked`), ordered by event id. An access-token revocation whose row was swept
   * (its token expired) is left out.
   */
  listRevocations(query: RevocationQuery): Promise<RevocationRecord[]>;

  /**
   * Sessions not revoked, expired or idle at `now`: a scan of the live sessions, which the
   * sweeper samples every few minutes for the metrics (never per request).
   */
  countLiveSessions(now: number): Promise<number>;

  /** Deletes rows past their retention; bounded by `cutoffs.limit` per kind. */
  sweep(cutoffs: SweepCutoffs): Promise<SweepResult>;
}
