import type { AccessTokenClaims } from './claims.js';
import { authorizationFor } from './credentials.js';
import type { Discovery } from './discovery.js';
import { fetchJson, isRecord } from './fetch-json.js';
import type { ResolvedVerifierOptions } from './options.js';
import { VerifierError } from './verifier-error.js';

/**
 * Seconds after its revocation a session entry can still matter: every token of the session
 * was issued before it and lives at most Baton's longest access-token lifetime (1 day).
 */
const SESSION_ENTRY_TTL = 86_400;

/** Pages read in one poll at most, so one poll cannot run on without end. */
const MAX_PAGES_PER_POLL = 20;

/** What {@link RevocationFeed.status} reports. */
export interface RevocationFeedStatus {
  /** Epoch seconds at which the last successful poll was sent; `null` before the first. */
  fetchedAt: number | null;
  /** Polls completed, successful or not. */
  polls: number;
  /** Polls that failed in a row (0 after a success). */
  failures: number;
  /** Revoked sessions and `jti`s currently held. */
  sessions: number;
  jtis: number;
}

/** Baton's revocation list, polled: revoked sessions and access-token `jti`s. */
export interface RevocationFeed {
  /**
   * Refuses claims whose `sid` or `jti` is listed (`revoked`), or when the list is missing or
   * older than `revocationMaxAge` (`unavailable`). Waits for the first poll to settle.
   */
  check(claims: AccessTokenClaims): Promise<void> | void;
  status(): RevocationFeedStatus;
  /** Stops polling. */
  close(): void;
}

interface Page {
  cursor: string;
  sessions: { sid: string; revokedAt: number }[];
  jtis: { jti: string; exp: number }[];
}

function parsePage(body: unknown): Page {
  const bad = (what: string): never => {
    throw new VerifierError('unavailable', { detail: `the revocation list ${what}` });
  };
  if (!isRecord(body)) return bad('is not an object');
  const { cursor, sessions, jtis } = body;
  if (typeof cursor !== 'string') return bad('has no cursor');
  if (!Array.isArray(sessions) || !Array.isArray(jtis)) return bad('has no sessions or jtis');
  for (const entry of sessions) {
    if (!isRecord(entry) || typeof entry.sid !== 'string' || typeof entry.revokedAt !== 'number')
      bad('has a malformed session entry');
  }
  for (const entry of jtis) {
    if (!isRecord(entry) || typeof entry.jti !== 'string' || typeof entry.exp !== 'number')
      bad('has a malformed jti entry');
  }
  return body as unknown as Page;
}

/**
 * Starts polling `GET /oauth/revocations` every `pollIntervalMs`, the first time at once. The
 * lists are sets (an entry may come twice); entries are dropped once no token they refuse can
 * still be valid. A failed poll keeps the last list; the next poll comes at the usual interval.
 */
export function createRevocationFeed(
  options: ResolvedVerifierOptions,
  discovery: Discovery,
): RevocationFeed {
  const { clock } = options;
  const authorization = authorizationFor(
    options.credentials as NonNullable<typeof options.credentials>,
  );
  const sessions = new Map<string, number>();
  const jtis = new Map<string, number>();
  let cursor: string | undefined;
  let fetchedAt: number | undefined;
  let polls = 0;
  let failures = 0;
  let closed = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  function prune(nowSeconds: number): void {
    const horizon = nowSeconds - options.leeway;
    for (const [jti, exp] of jtis) if (exp < horizon) jtis.delete(jti);
    for (const [sid, revokedAt] of sessions)
      if (revokedAt + SESSION_ENTRY_TTL < horizon) sessions.delete(sid);
  }

  /** Fetches one page after `cursor`; true when the cursor moved on (more may follow). */
  async function fetchPage(revocationsUri: string): Promise<boolean> {
    const url = new URL(revocationsUri);
    if (cursor !== undefined) url.searchParams.set('after', cursor);
    const page = parsePage(await fetchJson(options, url.href, { authorization }));
    for (const { sid, revokedAt } of page.sessions) sessions.set(sid, revokedAt);
    for (const { jti, exp } of page.jtis) jtis.set(jti, exp);
    // The cursor is opaque: before the first answer, "moved" can only mean "held something".
    const moved =
      cursor === undefined ? page.sessions.length + page.jtis.length > 0 : page.cursor !== cursor;
    cursor = page.cursor;
    return moved;
  }

  async function pollOnce(): Promise<void> {
    const sentAt = clock.now();
    const { revocationsUri } = await discovery.endpoints();
    // Baton answers in pages and holds its cursor back behind the newest revocations: follow
    // the cursor while it moves, so a burst is read at once rather than a page per interval.
    for (let page = 0; page < MAX_PAGES_PER_POLL; page++) {
      if (!(await fetchPage(revocationsUri))) break;
    }
    fetchedAt = sentAt;
    prune(clock.now() / 1000);
  }

  function schedule(): void {
    if (closed) return;
    timer = setTimeout(() => void poll(), options.pollIntervalMs);
    // In Node, a pending poll alone must not keep the process alive.
    (timer as { unref?: () => void }).unref?.();
  }

  async function poll(): Promise<void> {
    try {
      await pollOnce();
      failures = 0;
    } catch {
      failures += 1;
    } finally {
      polls += 1;
      schedule();
    }
  }

  const first = poll();

  function checkNow(claims: AccessTokenClaims): void {
    if (fetchedAt === undefined)
      throw new VerifierError('unavailable', { detail: 'the revocation list was never fetched' });
    if (clock.now() - fetchedAt > options.revocationMaxAgeMs)
      throw new VerifierError('unavailable', { detail: 'the revocation list is too old' });
    if (sessions.has(claims.sid))
      throw new VerifierError('revoked', { detail: 'the session is on the revocation list' });
    if (jtis.has(claims.jti))
      throw new VerifierError('revoked', { detail: 'the jti is on the revocation list' });
  }

  return {
    check(claims) {
      // Only the verifications before the first poll has settled wait for it.
      if (polls === 0) return first.then(() => checkNow(claims));
      checkNow(claims);
      return undefined;
    },
    status: () => ({
      fetchedAt: fetchedAt === undefined ? null : Math.floor(fetchedAt / 1000),
      polls,
      failures,
      sessions: sessions.size,
      jtis: jtis.size,
    }),
    close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}
