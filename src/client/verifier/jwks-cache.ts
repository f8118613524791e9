import { importJWK, type CryptoKey, type JWK } from 'jose';
import type { Discovery } from './discovery.js';
import { fetchJson, isRecord } from './fetch-json.js';
import type { ResolvedVerifierOptions, VerifierAlgorithm } from './options.js';
import { VerifierError } from './verifier-error.js';

/** A key of the issuer's JWKS with the one algorithm it may verify. */
export interface TrustedKey {
  readonly kid: string;
  readonly alg: VerifierAlgorithm;
  readonly key: CryptoKey;
}

/** What {@link JwksCache.status} reports. */
export interface JwksStatus {
  /** Epoch seconds of the last successful fetch; `null` before the first. */
  fetchedAt: number | null;
  /** Fetches attempted (successful or not). */
  fetches: number;
  /** `kid`s currently trusted. */
  kids: string[];
}

/** The issuer's signing keys, fetched and cached. */
export interface JwksCache {
  /**
   * The key for `kid`, or `undefined` when the issuer does not publish it. A miss refetches
   * the JWKS at most once per cooldown. Rejects with `unavailable` when no JWKS was ever had or
   * the last good one is older than `jwksMaxStale`.
   */
  find(kid: string): Promise<TrustedKey | undefined>;
  /** The key for `kid` when it is cached and the JWKS is fresh; else `undefined` (use find). */
  peek(kid: string): TrustedKey | undefined;
  /** Fetches the JWKS now unless a fetch is under way or one was tried within the cooldown. */
  load(): Promise<void>;
  status(): JwksStatus;
}

/** The public members of each key type: a JWKS entry's private parts are never imported. */
const PUBLIC_MEMBERS: Record<string, readonly string[]> = {
  OKP: ['crv', 'x'],
  EC: ['crv', 'x', 'y'],
  RSA: ['n', 'e'],
};

/** The key's own `alg` decides what it verifies; entries without one cannot be pinned. */
async function trust(jwk: unknown, algorithms: readonly string[]): Promise<TrustedKey | undefined> {
  if (!isRecord(jwk)) return undefined;
  const { kid, alg, kty, use, key_ops: keyOps } = jwk;
  if (typeof kid !== 'string' || kid === '' || typeof alg !== 'string') return undefined;
  if (!algorithms.includes(alg) || typeof kty !== 'string') return undefined;
  if (use !== undefined && use !== 'sig') return undefined;
  if (keyOps !== undefined && !(Array.isArray(keyOps) && keyOps.includes('verify')))
    return undefined;
  const members = PUBLIC_MEMBERS[kty];
  if (members === undefined) return undefined;
  const publicJwk: Record<string, string> = { kty };
  for (const name of members) {
    const value = jwk[name];
    if (typeof value !== 'string') return undefined;
    publicJwk[name] = value;
  }
  try {
    // importJWK refuses a key whose type or curve does not fit `alg`.
    const key = await importJWK(publicJwk as JWK, alg, { extractable: false });
    if (key instanceof Uint8Array) return undefined;
    return { kid, alg: alg as VerifierAlgorithm, key };
  } catch {
    return undefined;
  }
}

async function parseJwks(
  body: unknown,
  algorithms: readonly string[],
): Promise<Map<string, TrustedKey>> {
  if (!isRecord(body) || !Array.isArray(body.keys))
    throw new VerifierError('unavailable', { detail: 'the JWKS has no "keys" list' });
  const trusted = await Promise.all(body.keys.map((jwk) => trust(jwk, algorithms)));
  const keys = new Map<string, TrustedKey>();
  const ambiguous = new Set<string>();
  for (const key of trusted) {
    if (key === undefined) continue;
    if (keys.has(key.kid)) ambiguous.add(key.kid);
    keys.set(key.kid, key);
  }
  // Two entries with one kid: which one the issuer meant is unknown, so neither is trusted.
  for (const kid of ambiguous) keys.delete(kid);
  return keys;
}

/**
 * Creates a {@link JwksCache}. Fetches are shared (concurrent misses wait for one request),
 * spaced by `jwksCooldownMs`, bounded by `timeoutMs`; a failed fetch keeps the last good keys.
 */
export function createJwksCache(options: ResolvedVerifierOptions, discovery: Discovery): JwksCache {
  const { clock } = options;
  let keys: Map<string, TrustedKey> | undefined;
  let fetchedAt: number | undefined;
  let attemptAt = Number.NEGATIVE_INFINITY;
  let fetches = 0;
  let lastError: unknown;
  let pending: Promise<void> | undefined;

  async function fetchKeys(): Promise<void> {
    const { jwksUri } = await discovery.endpoints();
    const next = await parseJwks(await fetchJson(options, jwksUri), options.algorithms);
    keys = next;
    fetchedAt = clock.now();
    lastError = undefined;
  }

  /** Starts a fetch unless one runs or the cooldown forbids; resolves when it has settled. */
  function load(): Promise<void> {
    if (pending === undefined && clock.now() - attemptAt >= options.jwksCooldownMs) {
      attemptAt = clock.now();
      fetches += 1;
      pending = fetchKeys()
        .catch((error: unknown) => {
          lastError = error;
        })
        .finally(() => {
          pending = undefined;
        });
    }
    return pending ?? Promise.resolve();
  }

  function unavailable(why: string): VerifierError {
    return lastError instanceof VerifierError
      ? new VerifierError('unavailable', { detail: `${why}: ${lastError.detail ?? ''}` })
      : new VerifierError('unavailable', { detail: why, cause: lastError });
  }

  async function usable(): Promise<Map<string, TrustedKey>> {
    if (keys === undefined || fetchedAt === undefined) {
      await load();
      if (keys === undefined) throw unavailable('the JWKS could not be fetched');
      return keys;
    }
    const age = clock.now() - fetchedAt;
    if (age > options.jwksMaxStaleMs) {
      await load();
      if (clock.now() - (fetchedAt ?? 0) > options.jwksMaxStaleMs)
        throw unavailable('the JWKS could not be refreshed and the last one is too old');
    } else if (age > options.jwksMaxAgeMs) {
      void load();
    }
    return keys;
  }

  return {
    async find(kid) {
      const current = await usable();
      const hit = current.get(kid);
      if (hit !== undefined) return hit;
      await load();
      return keys?.get(kid);
    },
    peek(kid) {
      if (fetchedAt === undefined || clock.now() - fetchedAt > options.jwksMaxAgeMs)
        return undefined;
      return keys?.get(kid);
    },
    load,
    status: () => ({
      fetchedAt: fetchedAt === undefined ? null : Math.floor(fetchedAt / 1000),
      fetches,
      kids: [...(keys?.keys() ?? [])],
    }),
  };
}
