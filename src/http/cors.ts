import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  onRequestAsyncHookHandler,
} from 'fastify';
import { BatonError, isDialectName, type TokenService } from '../core/index.js';
import type { ErrorRenderer } from './errors.js';

// CORS (https://fetch.spec.whatwg.org/#http-cors-protocol) for the endpoints a browser calls:
// the token, revocation and dialect endpoints, the metadata and the JWKS. Never the admin API,
// introspection or the revocation list, which browsers have no business calling.

/** Paths (or, for metadata under an issuer path, prefixes) of the OAuth face open to browsers. */
const OAUTH_CORS_PATHS = ['/oauth/token', '/oauth/revoke', '/.well-known/jwks.json'];
const METADATA_PREFIX = '/.well-known/oauth-authorization-server';

/** Request headers a page may send: what the OAuth face and the dialects read. */
const ALLOWED_HEADERS = 'authorization, content-type, requesttoken, version';
/** Response headers a page may read besides the safelisted ones (the client SDK uses all three). */
const EXPOSED_HEADERS = 'date, retry-after, www-authenticate';
/** Seconds a browser may reuse a preflight answer. */
export const PREFLIGHT_MAX_AGE = 600;

interface CorsRoute {
  url: string;
  methods: string[];
  /** The route's face and error format, which its preflight answers in too. */
  config: { face?: string; renderError?: ErrorRenderer };
}

function isCorsRoute(url: string, face: string | undefined): boolean {
  return (
    OAUTH_CORS_PATHS.includes(url) ||
    url.startsWith(METADATA_PREFIX) ||
    (face !== undefined && isDialectName(face))
  );
}

function refused(): BatonError {
  return new BatonError('ERR_ORIGIN_NOT_ALLOWED', 'this origin may not call Baton', {
    detail: 'origin not allowed',
  });
}

/**
 * Makes the browser endpoints CORS-aware. Call before registering the faces; then call the
 * returned function after them, which adds the preflight (`OPTIONS`) routes.
 *
 * An allowed origin gets `Access-Control-Allow-Origin` on every answer, errors included, so a
 * page can read why it failed. A disallowed origin gets no CORS headers; its requests to the
 * token, revocation and dialect endpoints are refused with 403 before anything happens (a form
 * POST needs no preflight, so the header check is what protects them); the public documents
 * (metadata, JWKS) are still served, without CORS headers.
 */
export function installCors(app: FastifyInstance, service: TokenService): () => void {
  const routes: CorsRoute[] = [];

  const check: onRequestAsyncHookHandler = async (request: FastifyRequest, reply: FastifyReply) => {
    reply.header('vary', 'Origin');
    const origin = request.headers.origin;
    if (origin === undefined) return;
    if (await service.isOriginAllowed(origin)) {
      reply.header('access-control-allow-origin', origin);
      reply.header('access-control-expose-headers', EXPOSED_HEADERS);
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') throw refused();
  };

  app.addHook('onRoute', (route) => {
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).filter(
      (method) => method !== 'HEAD' && method !== 'OPTIONS',
    );
    if (methods.length === 0 || !isCorsRoute(route.url, route.config?.face)) return;
    const existing = route.onRequest;
    route.onRequest = [
      ...(existing === undefined ? [] : Array.isArray(existing) ? existing : [existing]),
      check,
    ];
    const { face, renderError } = route.config ?? {};
    routes.push({
      url: route.url,
      methods,
      config: {
        ...(face === undefined ? {} : { face }),
        ...(renderError === undefined ? {} : { renderError }),
      },
    });
  });

  return () => {
    for (const route of routes) {
      const allow = [...route.methods, 'OPTIONS'].join(', ');
      app.options(route.url, { config: route.config }, async (request, reply) => {
        reply.header(
          'vary',
          'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
        );
        reply.header('allow', allow);
        const origin = request.headers.origin;
        // Not a preflight: say which methods the path has.
        if (origin === undefined) return reply.code(204).send();
        if (!(await service.isOriginAllowed(origin))) throw refused();
        return reply
          .code(204)
          .headers({
            'access-control-allow-origin': origin,
            'access-control-allow-methods': route.methods.join(', '),
            'access-control-allow-headers': ALLOWED_HEADERS,
            'access-control-max-age': String(PREFLIGHT_MAX_AGE),
          })
          .send();
      });
    }
  };
}
