/**
 * `baton/verifier`: verifies Baton access tokens in a resource server, with JWKS caching, pinned
 * algorithms and optional revocation checks. Runs in Node 20+ and browser-compatible runtimes.
 */
export { createVerifier, type Verifier, type VerifierStatus } from './create-verifier.js';
export {
  bearerChallenge,
  type BearerChallenge,
  type BearerChallengeOptions,
} from './bearer-challenge.js';
export { readBearerToken } from './bearer-token.js';
export { hasScopes, type AccessTokenClaims } from './claims.js';
export type { IntrospectionStatus } from './introspection.js';
export type { JwksStatus } from './jwks-cache.js';
export {
  VERIFIER_ALGORITHMS,
  type FetchLike,
  type RevocationCheck,
  type VerifierAlgorithm,
  type VerifierClock,
  type VerifierCredentials,
  type VerifierOptions,
} from './options.js';
export type { RevocationFeedStatus } from './revocation-feed.js';
export {
  isVerifierError,
  VERIFIER_ERROR_CODES,
  VerifierError,
  type VerifierErrorCode,
} from './verifier-error.js';
