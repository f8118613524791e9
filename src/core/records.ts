/**
 * The domain records: what the core keeps of clients, sessions, refresh tokens and signing keys.
 * Times are epoch seconds (names ending `At`, except `rotatedAtMs`); durations are seconds
 * (names ending `Ttl`). A record never holds a token in plain text.
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
  /**
   * Keyed hash of the access token of the current generation (`null` for sessions started
   * before it was kept): a presented token with this hash is that very token, genuine and current,
   * without a signature check.
   */
  accessHash: string | null;
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
