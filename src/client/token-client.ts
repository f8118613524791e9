import { resolveClientOptions, type TokenClientOptions } from './client-options.js';
import { jwtClaims } from './jwt-claims.js';
import { sendRefresh } from './refresh-attempts.js';
import { formRequest } from './refresh-wire.js';
import { serverReuseGrace } from './reuse-grace.js';
import { readSession, refreshDue, writeSession, type StoredSession } from './stored-session.js';
import { openTabChannel, type TabChannel } from './tab-channel.js';
import { createTabLock, LOCK_WAIT_MS } from './tab-lock.js';
import { TokenClientError } from './token-client-error.js';
import { tokenExpiry } from './token-expiry.js';
import { onWake } from './wake-events.js';

/** What {@link createTokenClient} returns. */
export interface TokenClient {
  /** A valid access token, refreshed first when it is within `refreshSkew` of expiry. */
  getAccessToken(): Promise<string>;
  /** `fetch` with `Authorization: Bearer`; on a 401 refreshes once and retries once. */
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;
  /** Revokes the session (RFC 7009) and ends it in every tab; true when the server confirmed. */
  signOut(): Promise<boolean>;
  /** Stops timers, event listeners and the tab channel; calls keep working, lazily. */
  close(): void;
}

const ended = (reason: string): TokenClientError =>
  new TokenClientError('ERR_SESSION_ENDED', `the session ended: ${reason}`, reason);

/**
 * A client that keeps one Baton session: it refreshes before expiry, shares one refresh among
 * concurrent callers and across tabs, resends a refresh whose answer was lost while the server's
 * reuse grace lasts, and reports why a session ended. Runs in browsers and Node 20+.
 *
 * @example
 * const client = createTokenClient({ baseUrl: 'https://auth.example.com', clientId: 'web',
 *   storage: localStorageAdapter(), onSessionEnd: () => location.assign('/login') });
 * const response = await client.fetch('/api/orders');
 */
export function createTokenClient(options: TokenClientOptions): TokenClient {
  const resolved = resolveClientOptions(options);
  const { storage, key, now, send, wire, tokens, baseUrl, identity } = resolved;
  const tabLock = storage.shared ? createTabLock(key, storage) : undefined;
  // The handlers below run only once the client is built.
  const tabs: TabChannel | undefined = storage.shared
    ? openTabChannel(key, (message) => {
        if (message.k === 'tokens' && (held === undefined || message.session.v > held.v))
          adopt(message.session);
        // A peer is refreshing: let its answer come rather than refresh alongside it.
        else if (message.k === 'start') wakeLater(LOCK_WAIT_MS);
        else if (message.k === 'end') void end(message.reason, false);
      })
    : undefined;

  let held: StoredSession | undefined;
  let due = 0;
  let loaded = false;
  let inflight: Promise<string> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  // An access token that met a 401 again right after a refresh: not worth another refresh.
  let refused: string | undefined;
  let closed = false;

  // One task at a time in this tab, and with the tab lock, in this origin.
  let tail: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(task: () => Promise<T>): Promise<T> => {
    const run = tail.then(() => (tabLock === undefined ? task() : tabLock(task)));
    tail = run.catch(() => undefined);
    return run;
  };
  const read = (): Promise<StoredSession | undefined> => readSession(storage, key);
  const write = (session: StoredSession): Promise<void> => writeSession(storage, key, session);

  const wakeLater = (ms: number): void => {
    clearTimeout(timer);
    if (held === undefined || closed) return;
    timer = setTimeout(() => void check(), Math.min(0x7fffffff, Math.max(0, ms)));
    (timer as { unref?: () => void }).unref?.();
  };
  const adopt = (next: StoredSession, tell = true): void => {
    const changed = next.a !== held?.a;
    held = next;
    due = refreshDue(next, resolved.skewMs);
    wakeLater(due - now());
    if (tell && changed) {
      resolved.onTokens?.({
        accessToken: next.a,
        refreshToken: next.r,
        expiresIn: Math.max(0, Math.floor((next.e - now()) / 1000)),
      });
    }
  };
  const end = async (reason: string, here = true): Promise<void> => {
    const had = held !== undefined;
    held = undefined;
    clearTimeout(timer);
    if (here) {
      await storage.remove(key).catch(() => undefined);
      tabs?.post({ k: 'end', reason });
    }
    if (had) resolved.onSessionEnd?.(reason);
  };

  // The newer of what this tab holds and what the storage holds (another tab may have written).
  const sync = async (): Promise<StoredSession | undefined> => {
    const stored = await read();
    if (stored === undefined) {
      if (held !== undefined) await end('signed_out', false);
    } else if (held === undefined || stored.v > held.v) adopt(stored);
    return held;
  };

  const renew = async (start: StoredSession): Promise<StoredSession> => {
    const graceMs = Math.min(resolved.graceMs, await serverReuseGrace(baseUrl, send));
    const resumed = start.p !== undefined;
    const startedAt = start.p ?? now();
    if (wire.byAccessToken && now() >= start.e && !(resumed && now() < startedAt + graceMs)) {
      await end('expired');
      throw ended('expired');
    }
    let current = start;
    if (!resumed) {
      // Written before it is sent: whoever comes next (a reload, another tab) resends it.
      current = { ...start, p: startedAt, v: start.v + 1 };
      await write(current);
      held = current;
    }
    const outcome = await sendRefresh(resolved, current, startedAt, graceMs, resumed);
    if (outcome.kind === 'tokens') {
      if (held === undefined) throw ended('signed_out');
      const next: StoredSession = {
        a: outcome.accessToken,
        r: outcome.refreshToken,
        e: outcome.expiresAt,
        s: startedAt,
        v: Math.max(current.v, held.v) + 1,
      };
      // The rotated refresh token is stored before the new access token is handed to anyone.
      await write(next);
      adopt(next);
      tabs?.post({ k: 'tokens', session: next });
      return next;
    }
    if (outcome.kind === 'ended') {
      // Another tab may have refreshed meanwhile, retiring what this one sent.
      const stored = await read().catch(() => undefined);
      if (stored !== undefined && stored.a !== current.a) {
        adopt(stored);
        return stored;
      }
      await end(outcome.reason);
      throw ended(outcome.reason);
    }
    if (!outcome.unsure && held === current) {
      // Nothing was committed: the next refresh starts a grace window of its own.
      held = { ...current, p: undefined, v: current.v + 1 };
      await write(held).catch(() => undefined);
    }
    throw outcome.error;
  };

  // Runs exclusively: re-reads the session, then refreshes only if that is still needed.
  const lead = async (stale: string | undefined): Promise<string> => {
    await tabs?.peerSettled();
    const current = await sync();
    if (current === undefined) throw new TokenClientError('ERR_NO_SESSION', 'no session');
    if (stale === undefined ? now() < due && current.p === undefined : current.a !== stale)
      return current.a;
    tabs?.post({ k: 'start' });
    try {
      return (await renew(current)).a;
    } catch (error) {
      tabs?.post({ k: 'failed' });
      throw error;
    }
  };

  /** One refresh at a time per tab; `stale` forces one unless that token was already replaced. */
  const refresh = (stale?: string): Promise<string> =>
    (inflight ??= (async () => {
      try {
        return await exclusive(() => lead(stale));
      } finally {
        inflight = undefined;
      }
    })());

  const check = async (): Promise<void> => {
    try {
      const current = await sync();
      if (current !== undefined && (now() >= due || current.p !== undefined)) await refresh();
      // A timer may fire a little before the clock reaches `due` (timers and wall clocks round
      // differently; an injected clock may lag): wait for the rest instead of not at all.
      else if (current !== undefined) wakeLater(due - now());
    } catch {
      // Tried again while the token works; a caller sees the error of its own attempt.
      if (held !== undefined && now() < held.e) wakeLater(LOCK_WAIT_MS);
    }
  };

  const unwake = onWake(() => void check());

  // `expiresIn` of the given tokens counts from now, not from when the storage answers.
  const createdAt = now();
  const ready = (async () => {
    const stored = await read();
    const sid = tokens === undefined ? undefined : jwtClaims(tokens.accessToken).sid;
    // Given tokens of the session the storage already holds are older than what it holds.
    if (tokens !== undefined && (sid === undefined || jwtClaims(stored?.a ?? '').sid !== sid)) {
      const first: StoredSession = {
        a: tokens.accessToken,
        r: tokens.refreshToken,
        e: tokenExpiry(tokens.accessToken, tokens.expiresIn, createdAt, null, createdAt, 0),
        s: createdAt,
        v: (stored?.v ?? 0) + 1,
      };
      await write(first);
      adopt(first, false);
      tabs?.post({ k: 'tokens', session: first });
    } else if (stored !== undefined) {
      adopt(stored, false);
      // A reload in the middle of a refresh: finish it while the grace lasts.
      if (stored.p !== undefined) void refresh().catch(() => undefined);
    }
    loaded = true;
  })();
  ready.catch(() => undefined);

  const getAccessToken = async (): Promise<string> => {
    if (!loaded) await ready;
    if (held !== undefined && now() < due && held.p === undefined) return held.a;
    try {
      return await refresh();
    } catch (error) {
      // Refreshing ahead of time failed, but the token in hand still works.
      if (held !== undefined && now() < held.e) return held.a;
      throw error;
    }
  };

  return {
    getAccessToken,
    async fetch(input, init) {
      const request = new Request(input, init);
      const call = (token: string): Promise<Response> => {
        const copy = request.clone();
        copy.headers.set('authorization', `Bearer ${token}`);
        return send(copy);
      };
      const token = await getAccessToken();
      const first = await call(token);
      if (first.status !== 401 || token === refused) return first;
      let next = await refresh(token);
      // The refresh under way when the 401 came may have started from this very token.
      if (next === token) next = await refresh(token);
      if (next === token) return first;
      void first.body?.cancel().catch(() => undefined);
      const second = await call(next);
      if (second.status === 401) refused = next;
      return second;
    },
    async signOut() {
      await ready.catch(() => undefined);
      return exclusive(async () => {
        const current = await sync().catch(() => held);
        let revoked = false;
        if (current !== undefined) {
          const fields =
            current.r === undefined
              ? { token: current.a, token_type_hint: 'access_token' }
              : { token: current.r, token_type_hint: 'refresh_token' };
          revoked = await send(`${baseUrl}/oauth/revoke`, {
            ...formRequest(fields, identity),
            signal: AbortSignal.timeout(LOCK_WAIT_MS),
          })
            .then((response) => response.ok)
            .catch(() => false);
        }
        await end('signed_out');
        return revoked;
      });
    },
    close() {
      closed = true;
      clearTimeout(timer);
      unwake();
      tabs?.close();
    },
  };
}
