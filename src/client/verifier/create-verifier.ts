import { jwtVerify, type CryptoKey, type JWTHeaderParameters } from 'jose';
import { readBearerToken, MAX_TOKEN_CHARS } from './bearer-token.js';
import { checkClaims, type AccessTokenClaims } from './claims.js';
import { createDiscovery } from './discovery.js';
import { createGenerationTracker } from './generation-tracker.js';
import { createIntrospection, type IntrospectionStatus } from './introspection.js';
import { toVerifierError } from './jose-error-code.js';
import { createJwksCache, type JwksStatus, type TrustedKey } from './jwks-cache.js';
import { resolveVerifierOptions, type VerifierOptions } from './options.js';
import { createRevocationFeed, type RevocationFeedStatus } from './revocation-feed.js';
import { VerifierError } from './verifier-error.js';

/** What {@link Verifier.status} reports, e.g. for a readiness probe. */
export interface VerifierStatus {
  jwks: JwksStatus;
  /** The revocation list, with `checkRevocation: 'feed'`. */
  feed: RevocationFeedStatus | null;
  /** Introspection, with `checkRevocation: 'introspect'`. */
  introspection: IntrospectionStatus | null;
}

/** Verifies Baton access tokens for a resource server. */
export interface Verifier {
  /**
   * Resolves to the claims of a valid token; rejects with a {@link VerifierError}.
   *
   * @example const claims = await verifier.verify(token)
   */
  verify(token: string): Promise<AccessTokenClaims>;
  /**
   * Like {@link verify}, from an `Authorization` header value (RFC 6750 §2.1), for frameworks
   * without a plugin. A missing header rejects with `missing_token`.
   *
   * @example const claims = await verifier.verifyAuthorization(req.headers.authorization)
   */
  verifyAuthorization(header: string | readonly string[] | undefined): Promise<AccessTokenClaims>;
  /** Counters and ages of the cached keys and revocation state. */
  status(): VerifierStatus;
  /** Stops polling; later verifications reject with `unavailable`. */
  close(): void;
}

/**
 * Creates a {@link Verifier} for the tokens of one Baton issuer. The JWKS (and, with
 * `checkRevocation: 'feed'`, the revocation list) is fetched at once; misconfiguration throws a
 * `TypeError` here, not at the first request.
 *
 * @example
 * const verifier = createVerifier({ issuer: 'https://auth.example.com', audience: 'api' })
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const resolved = resolveVerifierOptions(options);
  const { clock } = resolved;
  const discovery = createDiscovery(resolved);
  const jwks = createJwksCache(resolved, discovery);
  const feed =
    resolved.checkRevocation === 'feed' ? createRevocationFeed(resolved, discovery) : null;
  const generations = feed === null ? null : createGenerationTracker();
  const introspection =
    resolved.checkRevocation === 'introspect' ? createIntrospection(resolved, discovery) : null;
  let closed = false;
  void jwks.load();

  const verifyOptions = {
    issuer: resolved.issuer,
    audience: [...resolved.audience],
    algorithms: [...resolved.algorithms],
    typ: 'at+jwt', // jose also accepts application/at+jwt (RFC 9068 §4)
    clockTolerance: resolved.leeway,
  };

  function pinned(header: JWTHeaderParameters, key: TrustedKey | undefined): CryptoKey {
    if (key === undefined)
      throw new VerifierError('unknown_key', { detail: 'kid not in the JWKS' });
    // jose has checked `alg` against the accepted list; here it is pinned to the key's own.
    if (key.alg !== header.alg)
      throw new VerifierError('wrong_algorithm', { detail: 'alg is not the key’s own' });
    return key.key;
  }

  function keyFor(header: JWTHeaderParameters): CryptoKey | Promise<CryptoKey> {
    if (typeof header.kid !== 'string')
      throw new VerifierError('unknown_key', { detail: 'the token has no kid' });
    // The common case, a cached key of a fresh JWKS, is answered without a promise.
    const cached = jwks.peek(header.kid);
    if (cached !== undefined) return pinned(header, cached);
    return jwks.find(header.kid).then((key) => pinned(header, key));
  }

  async function verify(token: string): Promise<AccessTokenClaims> {
    if (closed) throw new VerifierError('unavailable', { detail: 'the verifier is closed' });
    if (typeof token !== 'string' || token.length > MAX_TOKEN_CHARS)
      throw new VerifierError('malformed', { detail: 'not a string of acceptable length' });
    const now = clock.now();
    let claims: AccessTokenClaims;
    try {
      const { payload } = await jwtVerify(token, keyFor, {
        ...verifyOptions,
        currentDate: new Date(now),
      });
      claims = checkClaims(payload, now / 1000, resolved.leeway);
    } catch (error) {
      throw toVerifierError(error);
    }
    if (feed !== null) {
      // Only the verifications before the first poll has settled get a promise to wait on.
      const first = feed.check(claims);
      if (first !== undefined) await first;
      generations?.check(claims);
    } else if (introspection !== null) {
      await introspection.check(token, claims);
    }
    return claims;
  }

  return {
    verify,
    verifyAuthorization: async (header) => verify(readBearerToken(header)),
    status: () => ({
      jwks: jwks.status(),
      feed: feed?.status() ?? null,
      introspection: introspection?.status() ?? null,
    }),
    close() {
      closed = true;
      feed?.close();
    },
  };
}
