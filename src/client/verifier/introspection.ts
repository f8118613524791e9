import type { AccessTokenClaims } from './claims.js';
import { authorizationFor } from './credentials.js';
import type { Discovery } from './discovery.js';
import { fetchJson, isRecord } from './fetch-json.js';
import type { ResolvedVerifierOptions } from './options.js';
import { VerifierError } from './verifier-error.js';

/** Answers remembered; when full, the oldest is forgotten first. */
const MAX_ENTRIES = 10_000;

/** What {@link Introspection.status} reports. */
export interface IntrospectionStatus {
  /** Introspection requests sent. */
  requests: number;
  /** Answers currently cached. */
  cached: number;
}

/** Asks Baton's `POST /oauth/introspect` (RFC 7662) whether a verified token is still active. */
export interface Introspection {
  /** Refuses an inactive token (`revoked`); `unavailable` when Baton cannot be asked. */
  check(token: string, claims: AccessTokenClaims): Promise<void>;
  status(): IntrospectionStatus;
}

/**
 * Creates an {@link Introspection}. Concurrent checks of one token share a request. An active
 * answer is reused for `introspectionCacheMs` (never past `exp`); an inactive one until `exp`,
 * since a token never becomes active again. Entries are keyed by `jti`, which is unique per
 * token and checked under the issuer's signature before any lookup, so no token is kept.
 */
export function createIntrospection(
  options: ResolvedVerifierOptions,
  discovery: Discovery,
): Introspection {
  const { clock } = options;
  const authorization = authorizationFor(
    options.credentials as NonNullable<typeof options.credentials>,
  );
  const cache = new Map<string, { active: boolean; until: number }>();
  const inFlight = new Map<string, Promise<boolean>>();
  let requests = 0;

  function remember(jti: string, active: boolean, exp: number): void {
    const expMs = (exp + options.leeway) * 1000;
    const until = active ? Math.min(clock.now() + options.introspectionCacheMs, expMs) : expMs;
    if (until <= clock.now()) return;
    cache.delete(jti);
    cache.set(jti, { active, until });
    if (cache.size > MAX_ENTRIES) {
      const oldest = cache.keys().next();
      if (oldest.done !== true) cache.delete(oldest.value);
    }
  }

  async function ask(token: string, claims: AccessTokenClaims): Promise<boolean> {
    const { introspectionUri } = await discovery.endpoints();
    requests += 1;
    const answer = await fetchJson(options, introspectionUri, {
      method: 'POST',
      authorization,
      form: { token, token_type_hint: 'access_token' },
    });
    if (!isRecord(answer) || typeof answer.active !== 'boolean')
      throw new VerifierError('unavailable', { detail: 'the introspection answer has no active' });
    // An active answer about another token would be a confused issuer: trust it for nothing.
    const active = answer.active && (answer.jti === undefined || answer.jti === claims.jti);
    remember(claims.jti, active, claims.exp);
    return active;
  }

  return {
    async check(token, claims) {
      const cached = cache.get(claims.jti);
      let active: boolean;
      if (cached !== undefined && cached.until > clock.now()) {
        active = cached.active;
      } else {
        let pending = inFlight.get(claims.jti);
        if (pending === undefined) {
          pending = ask(token, claims).finally(() => inFlight.delete(claims.jti));
          inFlight.set(claims.jti, pending);
        }
        active = await pending;
      }
      if (!active)
        throw new VerifierError('revoked', { detail: 'introspection reports the token inactive' });
    },
    status: () => ({ requests, cached: cache.size }),
  };
}
