import { fetchJson, isRecord } from './fetch-json.js';
import type { ResolvedVerifierOptions } from './options.js';
import { VerifierError } from './verifier-error.js';

/** The issuer's endpoints the verifier calls. */
export interface IssuerEndpoints {
  jwksUri: string;
  revocationsUri: string;
  introspectionUri: string;
}

/** Finds the issuer's endpoints, fetching its metadata only for those not configured. */
export interface Discovery {
  endpoints(): Promise<IssuerEndpoints>;
}

/** The RFC 8414 §3.1 metadata URL: the well-known path goes between the host and the path. */
export function metadataUrl(issuer: string): string {
  const url = new URL(issuer);
  const path = url.pathname.replace(/\/+$/, '');
  return `${url.origin}/.well-known/oauth-authorization-server${path}`;
}

function stringField(metadata: Record<string, unknown>, name: string): string | undefined {
  const value = metadata[name];
  return typeof value === 'string' && /^https?:\/\//.test(value) ? value : undefined;
}

/**
 * Creates a {@link Discovery}. The metadata is fetched once; a failure is remembered for
 * `jwksCooldownMs` so that a metadata outage costs one request per cooldown, not one per token.
 */
export function createDiscovery(options: ResolvedVerifierOptions): Discovery {
  const base = options.issuer.replace(/\/+$/, '');
  const configured = {
    jwksUri: options.jwksUri,
    revocationsUri: options.revocationsUri,
    introspectionUri: options.introspectionUri,
  };
  let found: IssuerEndpoints | undefined;
  let pending: Promise<IssuerEndpoints> | undefined;
  let failure: { at: number; error: unknown } | undefined;

  if (
    configured.jwksUri !== undefined &&
    (options.checkRevocation === false ||
      (options.checkRevocation === 'feed' && configured.revocationsUri !== undefined) ||
      (options.checkRevocation === 'introspect' && configured.introspectionUri !== undefined))
  ) {
    found = {
      jwksUri: configured.jwksUri,
      revocationsUri: configured.revocationsUri ?? `${base}/oauth/revocations`,
      introspectionUri: configured.introspectionUri ?? `${base}/oauth/introspect`,
    };
  }

  async function discover(): Promise<IssuerEndpoints> {
    const metadata = await fetchJson(options, metadataUrl(options.issuer));
    if (!isRecord(metadata) || metadata.issuer !== options.issuer) {
      throw new VerifierError('unavailable', {
        detail: 'the issuer metadata is not an object naming the configured issuer (RFC 8414 §3.3)',
      });
    }
    const jwksUri = configured.jwksUri ?? stringField(metadata, 'jwks_uri');
    if (jwksUri === undefined)
      throw new VerifierError('unavailable', { detail: 'the issuer metadata has no jwks_uri' });
    return {
      jwksUri,
      revocationsUri:
        configured.revocationsUri ??
        stringField(metadata, 'baton_revocation_list_endpoint') ??
        `${base}/oauth/revocations`,
      introspectionUri:
        configured.introspectionUri ??
        stringField(metadata, 'introspection_endpoint') ??
        `${base}/oauth/introspect`,
    };
  }

  return {
    async endpoints() {
      if (found !== undefined) return found;
      if (failure !== undefined && options.clock.now() - failure.at < options.jwksCooldownMs)
        throw failure.error;
      pending ??= discover()
        .then((endpoints) => {
          found = endpoints;
          failure = undefined;
          return endpoints;
        })
        .catch((error: unknown) => {
          failure = { at: options.clock.now(), error };
          throw error;
        })
        .finally(() => {
          pending = undefined;
        });
      return pending;
    },
  };
}
