/**
 * The storage contract. Every backend (memory, SQLite, PostgreSQL) implements {@link Store};
 * `test/stores/conformance.ts` pins the contract down against each of them.
 *
 * All times are epoch seconds (names ending `At`); durations are seconds (names ending `Ttl`).
 * A store never sees a token in plain text: refresh tokens arrive as keyed hashes, and the
 * retry box is ciphertext under a key only the presented token can derive.
 */

import type {
  ClientRecord,
  RefreshTokenRecord,
  SessionRecord,
  SigningKeyRecord,
} from './records.js';
import type {
  NewSecurityEvent,
  SecurityEvent,
  SecurityEventType,
  SessionEventTemplate,
} from './security-events.js';

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
  /** Keyed hash of the new generation's access token: the new `accessHash`. */
  accessHash: string;
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
  /** Inserts a client; false (changing nothing) when one of the same id exists. */
  insertClient(client: ClientRecord): Promise<boolean>;
  /** Inserts a client, or overwrites the one of the same id. */
  replaceClient(client: ClientRecord): Promise<void>;
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
  /** Adds the first active key; false (changing nothing) when there is an active key already. */
  addFirstKey(key: SigningKeyRecord): Promise<boolean>;
  /** Retires every active key at `key.createdAt` and makes `key` the active one, atomically. */
  rotateKey(key: SigningKeyRecord): Promise<void>;

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
