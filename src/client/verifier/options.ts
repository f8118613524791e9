/** Algorithms the verifier can accept: the asymmetric ones Baton signs with. */
export const VERIFIER_ALGORITHMS = ['EdDSA', 'ES256', 'RS256'] as const;
/** One of {@link VERIFIER_ALGORITHMS}. */
export type VerifierAlgorithm = (typeof VERIFIER_ALGORITHMS)[number];

/** How {@link createVerifier} learns of revocations. */
export type RevocationCheck = false | 'feed' | 'introspect';

/**
 * Credentials for Baton's revocation list and introspection endpoints: a confidential client's
 * id and secret (sent as HTTP Basic, RFC 6749 §2.3.1) or the admin token (sent as Bearer).
 */
export type VerifierCredentials =
  { clientId: string; clientSecret: string } | { adminToken: string };

/** A source of the current time in epoch milliseconds (`Date` fits). */
export interface VerifierClock {
  now(): number;
}

/** The `fetch` the verifier calls: the global one by default. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** What a user passes to {@link createVerifier}. Durations are in seconds. */
export interface VerifierOptions {
  /** Baton's issuer URL, exactly as in the tokens' `iss`, e.g. `https://auth.example.com`. */
  issuer: string;
  /** Accepted `aud` value(s). Default: the issuer, which Baton uses for clients without one. */
  audience?: string | readonly string[];
  /** JWKS URL. Default: `jwks_uri` of the issuer's RFC 8414 metadata. */
  jwksUri?: string;
  /** Accepted `alg`s. Default all of EdDSA, ES256, RS256; HS256 and `none` are never accepted. */
  algorithms?: readonly VerifierAlgorithm[];
  /** Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds. Default 5. */
  leeway?: number;
  /** Revocation check: `false` (default), `'feed'` (polled list) or `'introspect'` (per token). */
  checkRevocation?: RevocationCheck;
  /** Seconds between polls of the revocation list. Default 5. */
  revocationPollInterval?: number;
  /**
   * Seconds the last revocation list may be old before tokens are refused as `unavailable`
   * (polls keep failing). Default 60 or three poll intervals, whichever is longer.
   */
  revocationMaxAge?: number;
  /** Revocation list URL. Default: from the metadata, else `<issuer>/oauth/revocations`. */
  revocationsUri?: string;
  /** Introspection URL. Default: `introspection_endpoint` of the metadata. */
  introspectionUri?: string;
  /** Seconds an active introspection answer is reused. Default 2; 0 asks every time. */
  introspectionCacheTtl?: number;
  /** Credentials for the revocation list and introspection; required when those are used. */
  credentials?: VerifierCredentials;
  /** Seconds between JWKS refetches caused by unknown `kid`s. Default 5. */
  jwksCooldown?: number;
  /** Seconds after which the JWKS is refreshed in the background. Default 600. */
  jwksMaxAge?: number;
  /** Seconds the last good JWKS is served while refetches fail. Default 3600. */
  jwksMaxStale?: number;
  /** Seconds before any request to Baton is abandoned. Default 5. */
  timeout?: number;
  /** The `fetch` to use. Default the global `fetch`. */
  fetch?: FetchLike;
  /** The clock, in epoch milliseconds. Default `Date`. */
  clock?: VerifierClock;
}

/** Validated, frozen {@link VerifierOptions}; durations in milliseconds. */
export interface ResolvedVerifierOptions {
  readonly issuer: string;
  readonly audience: readonly string[];
  readonly jwksUri: string | undefined;
  readonly algorithms: readonly VerifierAlgorithm[];
  readonly leeway: number;
  readonly checkRevocation: RevocationCheck;
  readonly pollIntervalMs: number;
  readonly revocationMaxAgeMs: number;
  readonly revocationsUri: string | undefined;
  readonly introspectionUri: string | undefined;
  readonly introspectionCacheMs: number;
  readonly credentials: VerifierCredentials | undefined;
  readonly jwksCooldownMs: number;
  readonly jwksMaxAgeMs: number;
  readonly jwksMaxStaleMs: number;
  readonly timeoutMs: number;
  readonly fetch: FetchLike;
  readonly clock: VerifierClock;
}

function fail(message: string): never {
  throw new TypeError(`createVerifier: ${message}`);
}

function seconds(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback * 1000;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min)
    fail(`${name} must be a number of seconds ≥ ${min}`);
  return value * 1000;
}

function httpUrl(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return fail(`${name} must be an absolute URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') fail(`${name} must be http(s)`);
  return value;
}

function resolveCredentials(
  value: VerifierCredentials | undefined,
): VerifierCredentials | undefined {
  if (value === undefined) return undefined;
  if ('adminToken' in value) {
    if (typeof value.adminToken !== 'string' || value.adminToken === '')
      fail('credentials.adminToken must be a non-empty string');
    return Object.freeze({ adminToken: value.adminToken });
  }
  if (typeof value.clientId !== 'string' || value.clientId === '')
    fail('credentials.clientId must be a non-empty string');
  if (typeof value.clientSecret !== 'string' || value.clientSecret === '')
    fail('credentials.clientSecret must be a non-empty string');
  return Object.freeze({ clientId: value.clientId, clientSecret: value.clientSecret });
}

function resolveAlgorithms(value: readonly string[] | undefined): readonly VerifierAlgorithm[] {
  if (value === undefined) return VERIFIER_ALGORITHMS;
  if (!Array.isArray(value) || value.length === 0) fail('algorithms must be a non-empty list');
  for (const alg of value) {
    if (!(VERIFIER_ALGORITHMS as readonly string[]).includes(alg)) {
      fail(
        `algorithm ${String(alg)} is not accepted (only ${VERIFIER_ALGORITHMS.join(', ')}; ` +
          'HS256 tokens can only be checked by Baton itself)',
      );
    }
  }
  return Object.freeze([...new Set(value as VerifierAlgorithm[])]);
}

/** Validates {@link VerifierOptions}; a mistake throws a `TypeError` naming the option. */
export function resolveVerifierOptions(options: VerifierOptions): ResolvedVerifierOptions {
  if (typeof options !== 'object' || options === null) fail('options are required');
  const issuer = httpUrl('issuer', options.issuer) ?? fail('issuer is required');
  const audience =
    options.audience === undefined
      ? [issuer]
      : typeof options.audience === 'string'
        ? [options.audience]
        : [...options.audience];
  if (audience.length === 0 || audience.some((aud) => typeof aud !== 'string' || aud === ''))
    fail('audience must be a non-empty string or list of strings');
  const checkRevocation = options.checkRevocation ?? false;
  if (checkRevocation !== false && checkRevocation !== 'feed' && checkRevocation !== 'introspect')
    fail("checkRevocation must be false, 'feed' or 'introspect'");
  const credentials = resolveCredentials(options.credentials);
  if (checkRevocation !== false && credentials === undefined)
    fail(`checkRevocation '${checkRevocation}' needs credentials`);
  const fetchImpl = options.fetch ?? globalThis.fetch;
  if (typeof fetchImpl !== 'function') fail('no fetch available: pass options.fetch');
  const clock = options.clock ?? Date;
  if (typeof clock.now !== 'function') fail('clock must have a now() method');
  const pollIntervalMs = seconds('revocationPollInterval', options.revocationPollInterval, 5, 0.01);
  const revocationMaxAgeMs = seconds(
    'revocationMaxAge',
    options.revocationMaxAge,
    Math.max(60, (3 * pollIntervalMs) / 1000),
    0.01,
  );
  if (revocationMaxAgeMs <= pollIntervalMs)
    fail('revocationMaxAge must be longer than revocationPollInterval');
  return Object.freeze<ResolvedVerifierOptions>({
    issuer,
    audience: Object.freeze(audience),
    jwksUri: httpUrl('jwksUri', options.jwksUri),
    algorithms: resolveAlgorithms(options.algorithms),
    leeway: seconds('leeway', options.leeway, 5, 0) / 1000,
    checkRevocation,
    pollIntervalMs,
    revocationMaxAgeMs,
    revocationsUri: httpUrl('revocationsUri', options.revocationsUri),
    introspectionUri: httpUrl('introspectionUri', options.introspectionUri),
    introspectionCacheMs: seconds('introspectionCacheTtl', options.introspectionCacheTtl, 2, 0),
    credentials,
    jwksCooldownMs: seconds('jwksCooldown', options.jwksCooldown, 5, 0),
    jwksMaxAgeMs: seconds('jwksMaxAge', options.jwksMaxAge, 600, 0),
    jwksMaxStaleMs: seconds('jwksMaxStale', options.jwksMaxStale, 3600, 0),
    timeoutMs: seconds('timeout', options.timeout, 5, 0.01),
    fetch: (url: string, init: RequestInit) => fetchImpl(url, init),
    clock,
  });
}
