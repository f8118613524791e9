import { browser } from './browser-globals.js';
import { REFRESH_WIRES, type Dialect, type RefreshWire } from './refresh-wire.js';
import { TokenClientError } from './token-client-error.js';
import { memoryStorage, type TokenStorage } from './token-storage.js';

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

/** Options of `createTokenClient`. */
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
  /** Where the session is kept: `memoryStorage()` by default, or `localStorageAdapter()`. */
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

/** The client's identity on the OAuth face: HTTP Basic for a confidential client. */
export interface ClientIdentity {
  clientId: string;
  basic: string | undefined;
}

/** {@link TokenClientOptions} validated, with defaults, times in milliseconds. */
export interface ResolvedClientOptions {
  baseUrl: string;
  identity: ClientIdentity;
  wire: RefreshWire;
  storage: TokenStorage;
  skewMs: number;
  /** The client's own grace (`Infinity` when it follows the server's). */
  graceMs: number;
  tokens: InitialTokens | undefined;
  /** Where this client keeps its session, and the name of its tab lock and channel. */
  key: string;
  send: FetchLike;
  now: () => number;
  onTokens: ((tokens: TokenSet) => void) | undefined;
  onSessionEnd: ((reason: string) => void) | undefined;
}

const formEncode = (value: string): string => new URLSearchParams({ v: value }).toString().slice(2);
const invalid = (message: string): TokenClientError => new TokenClientError('ERR_CONFIG', message);

/** Validates the options (`ERR_CONFIG` naming the first bad one) and fills in the defaults. */
export function resolveClientOptions(options: TokenClientOptions): ResolvedClientOptions {
  const { clientId, clientSecret, tokens, dialect = 'oauth' } = options;
  const baseUrl = String(options.baseUrl ?? '').replace(/\/+$/, '');
  const skewMs = (options.refreshSkew ?? 60) * 1000;
  const graceMs = (options.reuseGrace ?? Infinity) * 1000;
  if (!/^https?:\/\/[^/]/.test(baseUrl)) throw invalid('baseUrl must be an http(s) URL');
  if (typeof clientId !== 'string' || clientId === '') throw invalid('clientId is required');
  if (!Object.hasOwn(REFRESH_WIRES, dialect)) throw invalid('unknown dialect');
  const wire = REFRESH_WIRES[dialect];
  if (!(skewMs >= 0) || !(graceMs >= 0))
    throw invalid('refreshSkew and reuseGrace are seconds, at least 0');
  if (clientSecret !== undefined && browser.document !== undefined)
    throw invalid('clientSecret is for server-side clients only');
  if (
    tokens !== undefined &&
    (typeof tokens.accessToken !== 'string' ||
      (!wire.byAccessToken && typeof tokens.refreshToken !== 'string'))
  )
    throw invalid('tokens need accessToken and, for this dialect, refreshToken');
  const clock = options.clock ?? Date;
  return {
    baseUrl,
    identity: {
      clientId,
      basic:
        clientSecret === undefined
          ? undefined
          : `Basic ${btoa(`${formEncode(clientId)}:${formEncode(clientSecret)}`)}`,
    },
    wire,
    storage: options.storage ?? memoryStorage(),
    skewMs,
    graceMs,
    tokens,
    key: `baton:${clientId}@${baseUrl}`,
    send: options.fetch ?? ((input, init) => fetch(input, init)),
    now: () => clock.now(),
    onTokens: options.onTokens,
    onSessionEnd: options.onSessionEnd,
  };
}
