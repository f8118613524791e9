/**
 * `baton/verifier/fastify`: a Fastify plugin that verifies the bearer token of every request.
 * Fastify is imported for its types only; the plugin adds no runtime dependency.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { bearerChallenge } from './bearer-challenge.js';
import { hasScopes, type AccessTokenClaims } from './claims.js';
import { createVerifier, type Verifier } from './create-verifier.js';
import type { VerifierOptions } from './options.js';
import { VerifierError } from './verifier-error.js';

/** A route's verifier settings: `false` opts out; `scope` lists the scopes it requires. */
export type RouteVerifierConfig = false | { scope?: string | readonly string[] };

declare module 'fastify' {
  interface FastifyRequest {
    /** Claims of the verified access token; `null` on routes that opted out. */
    claims: AccessTokenClaims | null;
  }
  interface FastifyContextConfig {
    /** `false` serves the route without a token; `{ scope }` requires those scopes. */
    verifier?: RouteVerifierConfig;
  }
}

/** Settings of the plugin besides the verifier itself. */
export interface FastifyVerifierSettings {
  /** `realm` of the `WWW-Authenticate` challenge. */
  realm?: string;
  /** Scopes every route requires unless its own `config.verifier.scope` says otherwise. */
  scope?: string | readonly string[];
}

/**
 * Options of {@link fastifyVerifier}: a {@link Verifier} to use (the caller closes it), or
 * {@link VerifierOptions} to create one that closes with the app.
 */
export type FastifyVerifierOptions = FastifyVerifierSettings &
  ({ verifier: Verifier } | VerifierOptions);

function scopeList(scope: string | readonly string[] | undefined): readonly string[] {
  if (scope === undefined) return [];
  return typeof scope === 'string' ? scope.split(' ').filter((s) => s !== '') : scope;
}

async function plugin(app: FastifyInstance, options: FastifyVerifierOptions): Promise<void> {
  const { realm } = options;
  const ownVerifier = !('verifier' in options);
  const verifier = 'verifier' in options ? options.verifier : createVerifier(options);
  if (ownVerifier) app.addHook('onClose', async () => verifier.close());
  const defaultScope = scopeList(options.scope);

  app.decorateRequest('claims', null);
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const config = request.routeOptions.config.verifier;
    if (config === false) return;
    const scope = config?.scope === undefined ? defaultScope : scopeList(config.scope);
    try {
      const claims = await verifier.verifyAuthorization(request.headers.authorization);
      if (!hasScopes(claims, scope)) throw new VerifierError('insufficient_scope');
      request.claims = claims;
    } catch (error) {
      if (!(error instanceof VerifierError)) throw error;
      const level = error.code === 'unavailable' ? 'warn' : 'debug';
      request.log[level]({ code: error.code, detail: error.detail }, 'access token refused');
      const answer = bearerChallenge(error, {
        ...(realm === undefined ? {} : { realm }),
        ...(scope.length === 0 ? {} : { scope }),
      });
      return reply.code(answer.status).headers(answer.headers).send(answer.body);
    }
  });
}

// What fastify-plugin would set: the hook applies to the scope that registers the plugin.
Object.assign(plugin, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: 'baton-verifier',
  [Symbol.for('plugin-meta')]: { name: 'baton-verifier', fastify: '5.x' },
});

/**
 * The Fastify plugin: every request needs a valid bearer token, whose claims become
 * `request.claims`; a refused one gets the RFC 6750 §3 answer (401 `invalid_token`, 400, 403
 * `insufficient_scope`, 503). Routes opt out with `config: { verifier: false }`.
 *
 * @example
 * await app.register(fastifyVerifier, { issuer: 'https://auth.example.com', audience: 'api' })
 * app.get('/healthz', { config: { verifier: false } }, () => 'ok')
 */
export const fastifyVerifier: FastifyPluginAsync<FastifyVerifierOptions> = plugin;
export default fastifyVerifier;
