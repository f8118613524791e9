import { fullJitter, retryAfterMs } from './backoff.js';
import { browser, type BroadcastChannelLike } from './browser-globals.js';
import { jwtClaims } from './jwt-claims.js';
import { formRequest, REFRESH_WIRES, type Dialect } from './refresh-wire.js';
import { serverReuseGrace } from './reuse-grace.js';
import { createTabLock, LOCK_WAIT_MS } from './tab-lock.js';
import { TokenClientError } from './token-client-error.js';
import { tokenExpiry } from './token-expiry.js';
import { memoryStorage, type TokenStorage } from './token-storage.js';
import { onWake } from './wake-events.js';

/** A `fetch` function: the global one, or one a test or an application passes in. */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** The tokens a session starts from, as the application backend received them from Baton. */
export interface InitialTokens {
  accessToken: string;
  /** Needed by every face but payabli and transak, which refresh with the access token. */
  refreshToken?: string;
  /** Seconds the access token lives from now; read from its `exp` when left out. */
  expiresIn?: number;
}

/** The tokens `onTokens` reports after every refresh; `expiresIn` in whole seconds from now. */
export interface TokenSet {
  accessToken: string;
  refreshToken: string | undefined;
  expiresIn: number;
}

/** Options of {@link createTokenClient}. */
export interface TokenClientOptions {
  /** Where Baton and its dialect paths are served, e.g. `https://auth.example.com`. */
  baseUrl: string;
  clientId: string;
  /** A confidential client's secret, sent by HTTP Basic. Server-side only: refused in browsers. */
  clientSecret?: string;
  /** The face to refresh through: `oauth` (the default) or a dialect. */
  dialect?: Dialect;
  /** The session to start from; may be left out when `storage` already holds one (a reload). */
  tokens?: InitialTokens;
  /** Where the session is kept: {@link memoryStorage} by default, or `localStorageAdapter()`. */
  storage?: TokenStorage;
  /** Seconds before expiry at which the access token is refreshed (60; at most half its life). */
  refreshSkew?: number;
  /** This client's reuse grace in seconds, when it is shorter than the server's. */
  reuseGrace?: number;
  /** Called with the new tokens after each refresh, in this tab or another. */
  onTokens?: (tokens: TokenSet) => void;
  /** Called once when the session ends: Baton's reason (`reused`, `revoked`, …) or `signed_out`. */
  onSessionEnd?: (reason: string) => void;
  fetch?: FetchLike;
  /** Milliseconds since the epoch (`Date` by default). */
  clock?: { now(): number };
}

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

// The stored session. Times are local epoch milliseconds.
interface Held {
  /** access token */
  a: string;
  /** refresh token (absent for sessions refreshed by access token) */
  r?: string | undefined;
  /** access-token expiry */
  e: number;
  /** start of the access token's lifetime */
  s: number;
  /** version, one more than any version this tab has seen, so that tabs can tell newer state */
  v: number;
  /** a refresh of these credentials was sent at this time and its outcome is not known */
  p?: number | undefined;
}

// Tab messages: a refresh started (s), its tokens (t), it failed (d), the session ended (e).
type Message = { k: 't'; h: Held } | { k: 's' } | { k: 'd' } | { k: 'e'; w: string };

// How long a tab that got the lock waits for the answer of a peer that announced a refresh: the
// lock, the storage and the channel reach other tabs by separate ways, in no fixed order.
const PEER_WAIT_MS = 500;

const formEncode = (value: string): string => new URLSearchParams({ v: value }).toString().slice(2);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const fail = (code: TokenClientError['code'], message: string, reason?: string, status?: number) =>
  new TokenClientError(code, message, reason, status);

/**
 * A client that keeps one Baton session: it refreshes before expiry, shares one refresh among
 * concurrent callers and across tabs, retries lost refreshes inside the server's reuse grace and
 * reports why a session ended. Runs in browsers and Node 20+.
 *
 * @example
 * const client = createTokenClient({ baseUrl: 'https://auth.example.com', clientId: 'web',
 *   storage: localStorageAdapter(), onSessionEnd: () => location.assign('/login') });
 * const response = await client.fetch('/api/orders');
 */
export function createTokenClient(options: TokenClientOptions): TokenClient {
  const { clientId, clientSecret, tokens, onTokens, onSessionEnd } = options;
  const baseUrl = String(options.baseUrl ?? '').replace(/\/+$/, '');
  const wire = REFRESH_WIRES[options.dialect ?? 'oauth'];
  const storage = options.storage ?? memoryStorage();
  const skewMs = (options.refreshSkew ?? 60) * 1000;
  const clientGraceMs = (options.reuseGrace ?? Infinity) * 1000;
  if (!/^https?:\/\/[^/]/.test(baseUrl)) throw fail('ERR_CONFIG', 'baseUrl must be an http(s) URL');
  if (typeof clientId !== 'string' || clientId === '')
    throw fail('ERR_CONFIG', 'clientId is required');
  if (!Object.hasOwn(REFRESH_WIRES, options.dialect ?? 'oauth'))
    throw fail('ERR_CONFIG', 'unknown dialect');
  if (!(skewMs >= 0) || !(clientGraceMs >= 0))
    throw fail('ERR_CONFIG', 'refreshSkew and reuseGrace are seconds >= 0');
  if (clientSecret !== undefined && browser.document !== undefined)
    throw fail('ERR_CONFIG', 'clientSecret is for server-side clients only');
  if (
    tokens !== undefined &&
    (typeof tokens.accessToken !== 'string' ||
      (!wire.byAccessToken && typeof tokens.refreshToken !== 'string'))
  )
    throw fail('ERR_CONFIG', 'tokens need accessToken and, for this dialect, refreshToken');

  const clock = options.clock ?? Date;
  const now = (): number => clock.now();
  const send: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  const identity = {
    clientId,
    basic:
      clientSecret === undefined
        ? undefined
        : `Basic ${btoa(`${formEncode(clientId)}:${formEncode(clientSecret)}`)}`,
  };
  const key = `baton:${clientId}@${baseUrl}`;
  const tabLock = storage.shared ? createTabLock(key, storage) : undefined;
  let channel: BroadcastChannelLike | undefined;
  if (storage.shared && browser.BroadcastChannel !== undefined) {
    channel = new browser.BroadcastChannel(key);
    channel.unref?.();
  }
  const post = (message: Message): void => channel?.postMessage(message);

  let held: Held | undefined;
  let due = 0;
  let loaded = false;
  let inflight: Promise<string> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  // An access token that still met a 401 right after a refresh: not worth another refresh.
  let refused: string | undefined;
  let closed = false;
  // A peer tab announced a refresh whose outcome has not arrived yet.
  let peerBusy = false;
  let peerDone: (() => void) | undefined;

  let tail: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(task: () => Promise<T>): Promise<T> => {
    const run = tail.then(() => (tabLock === undefined ? task() : tabLock(task)));
    tail = run.catch(() => undefined);
    return run;
  };

  const read = async (): Promise<Held | undefined> => {
    let text: string | null | undefined;
    try {
      text = await storage.get(key);
    } catch {
      throw fail('ERR_STORAGE', 'the session could not be read from storage');
    }
    try {
      const found = JSON.parse(text ?? 'null') as Held | null;
      return typeof found?.a === 'string' && typeof found.e === 'number' ? found : undefined;
    } catch {
      return undefined;
    }
  };
  const write = async (next: Held): Promise<void> => {
    try {
      await storage.set(key, JSON.stringify(next));
    } catch {
      throw fail('ERR_STORAGE', 'the session could not be written to storage');
    }
  };

  const wakeLater = (ms: number): void => {
    clearTimeout(timer);
    if (held === undefined || closed) return;
    timer = setTimeout(() => void check(), Math.min(0x7fffffff, Math.max(0, ms)));
    (timer as { unref?: () => void }).unref?.();
  };
  const adopt = (next: Held, tell = true): void => {
    const changed = next.a !== held?.a;
    held = next;
    due = next.e - Math.min(skewMs, Math.max(0, next.e - next.s) / 2);
    wakeLater(due - now());
    if (tell && changed) {
      onTokens?.({
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
      post({ k: 'e', w: reason });
    }
    if (had) onSessionEnd?.(reason);
  };
  const ended = (reason: string): TokenClientError =>
    fail('ERR_SESSION_ENDED', `the session ended: ${reason}`, reason);

  // The newest of what this tab holds and what the storage holds (another tab may have written).
  const sync = async (): Promise<Held | undefined> => {
    const stored = await read();
    if (stored === undefined) {
      if (held !== undefined) await end('signed_out', false);
    } else if (held === undefined || stored.v > held.v) adopt(stored);
    return held;
  };

  const renew = async (start: Held): Promise<Held> => {
    let current = start;
    const graceMs = Math.min(clientGraceMs, await serverReuseGrace(baseUrl, send));
    const resumed = current.p !== undefined;
    const startedAt = current.p ?? now();
    if (wire.byAccessToken && now() >= current.e && !(resumed && now() < startedAt + graceMs)) {
      await end('expired');
      throw ended('expired');
    }
    if (!resumed) {
      current = { ...current, p: startedAt, v: current.v + 1 };
      await write(current);
      held = current;
    }
    // Abort a silent attempt only while a retry can still be sent inside the grace.
    const attemptMs = graceMs >= 2000 ? Math.min(5000, graceMs / 2) : 30_000;
    let unsure = resumed;
    for (let attempt = 1; ; attempt++) {
      let status: number;
      let body: Record<string, unknown> = {};
      let headers: Headers | undefined;
      try {
        const init = wire.request({ accessToken: current.a, refreshToken: current.r }, identity);
        const response = await send(baseUrl + wire.path, {
          ...init,
          signal: AbortSignal.timeout(attemptMs),
        });
        headers = response.headers;
        status = response.status;
        const text = await response.text();
        try {
          body = JSON.parse(text) as Record<string, unknown>;
        } catch {
          if (status === 200) throw new Error('unreadable');
        }
      } catch {
        status = 0;
      }

      if (status === 200) {
        const got = wire.read(body);
        if (typeof got.accessToken !== 'string' || got.accessToken === '')
          throw fail(
            'ERR_BAD_RESPONSE',
            'the refresh answer holds no access token',
            undefined,
            200,
          );
        if (held === undefined) throw ended('signed_out');
        const next: Held = {
          a: got.accessToken,
          r:
            typeof got.refreshToken === 'string' && got.refreshToken !== ''
              ? got.refreshToken
              : current.r,
          e: tokenExpiry(
            got.accessToken,
            got.expiresIn,
            startedAt,
            headers?.get('date') ?? null,
            now(),
            current.e - current.s,
          ),
          s: startedAt,
          v: Math.max(current.v, held.v) + 1,
        };
        // The rotated refresh token is stored before the new access token is handed to anyone.
        await write(next);
        adopt(next);
        post({ k: 't', h: next });
        return next;
      }

      let reason = status === 0 ? undefined : wire.ended(status, body);
      if (reason !== undefined) {
        // Another tab may have refreshed meanwhile, retiring what this one sent.
        const stored = await read().catch(() => undefined);
        if (stored !== undefined && stored.a !== current.a) {
          adopt(stored);
          return stored;
        }
        if (reason === 'rejected' && wire.byAccessToken && now() >= current.e) reason = 'expired';
        await end(reason);
        throw ended(reason);
      }
      // Baton's 503 and 429 change nothing, nor do refusals; anything else may have rotated.
      if (status === 0 || (status >= 500 && status !== 503)) unsure = true;
      // The last retry must reach the server inside the grace; keep a margin for the way there.
      const left = startedAt + graceMs - Math.min(1000, graceMs / 5) - now();
      const floor = retryAfterMs(headers?.get('retry-after'), now());
      const error =
        status === 0
          ? fail('ERR_NETWORK', 'the refresh did not reach the server')
          : status === 401 && wire === REFRESH_WIRES.oauth
            ? fail('ERR_INVALID_CLIENT', 'client authentication failed', undefined, 401)
            : status === 429
              ? fail('ERR_RATE_LIMITED', 'too many refreshes failed', undefined, 429)
              : status < 500
                ? fail('ERR_REFUSED', `the refresh was refused (${status})`, undefined, status)
                : fail('ERR_UNAVAILABLE', `the server answered ${status}`, undefined, status);
      if (left <= 0 || floor > left || (status > 0 && status < 500 && status !== 429)) {
        if (!unsure && held === current) {
          // Nothing was committed: the next attempt starts a grace window of its own.
          current = { ...current, p: undefined, v: current.v + 1 };
          await write(current).catch(() => undefined);
          held = current;
        }
        if (floor > 0) error.retryAfter = floor / 1000;
        throw error;
      }
      await sleep(Math.max(floor, Math.min(fullJitter(attempt), left)));
    }
  };

  // Runs in the tab lock: re-reads the session, then refreshes only if still needed.
  const lead = async (stale: string | undefined): Promise<string> => {
    if (peerBusy) {
      await new Promise<void>((resolve) => {
        peerDone = resolve;
        setTimeout(resolve, PEER_WAIT_MS);
      });
      peerBusy = false;
    }
    const current = await sync();
    if (current === undefined) throw fail('ERR_NO_SESSION', 'there is no session');
    if (stale === undefined ? now() < due && current.p === undefined : current.a !== stale)
      return current.a;
    post({ k: 's' });
    try {
      return (await renew(current)).a;
    } catch (error) {
      post({ k: 'd' });
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
    } catch {
      // Tried again while the token works; a caller then sees the error of its own attempt.
      if (held !== undefined && now() < held.e) wakeLater(LOCK_WAIT_MS);
    }
  };

  if (channel !== undefined) {
    channel.onmessage = ({ data }) => {
      const message = data as Message;
      peerBusy = message.k === 's';
      if (!peerBusy) peerDone?.();
      if (message.k === 't' && (held === undefined || message.h.v > held.v)) adopt(message.h);
      // A peer is refreshing: let its answer arrive rather than refresh alongside it.
      else if (message.k === 's') wakeLater(LOCK_WAIT_MS);
      else if (message.k === 'e') void end(message.w, false);
    };
  }
  const unwake = onWake(() => void check());

  // `expiresIn` of the given tokens counts from now, not from when the storage answers.
  const t = now();
  const ready = (async () => {
    const stored = await read();
    const sid = tokens === undefined ? undefined : jwtClaims(tokens.accessToken).sid;
    if (
      tokens !== undefined &&
      (sid === undefined || stored === undefined || jwtClaims(stored.a).sid !== sid)
    ) {
      const first: Held = {
        a: tokens.accessToken,
        r: tokens.refreshToken,
        e: tokenExpiry(tokens.accessToken, tokens.expiresIn, t, null, t, 0),
        s: t,
        v: (stored?.v ?? 0) + 1,
      };
      await write(first);
      adopt(first, false);
      post({ k: 't', h: first });
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
      // Refreshing ahead of time failed, but the token in hand is still good.
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
          const token = current.r ?? current.a;
          const init = formRequest(
            { token, token_type_hint: current.r === undefined ? 'access_token' : 'refresh_token' },
            identity,
          );
          revoked = await send(`${baseUrl}/oauth/revoke`, {
            ...init,
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
      channel?.close();
    },
  };
}
