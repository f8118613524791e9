import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BatonError } from '../core/index.js';
import type { RouteMethods } from './route-methods.js';

/** How a face writes an error: status, headers and body in its own wire format. */
export interface RenderedError {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** Renders a core error in a face's format. Set per route as `config.renderError`. */
export type ErrorRenderer = (error: BatonError) => RenderedError;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The face serving the route (`oauth`, `admin`, `operations`, a dialect): metrics label. */
    face?: string;
    /** Writes this route's errors; the admin format when absent. */
    renderError?: ErrorRenderer;
    /** `Cache-Control` of this route's 200 answers; `no-store` (as for everything) when absent. */
    cacheControl?: string;
  }
}

/** Headers every face adds for some errors: the retry hint of 429 and 503. */
export function retryHeaders(error: BatonError): Record<string, string> {
  if (error.code === 'ERR_RATE_LIMITED') return { 'retry-after': String(error.retryAfter ?? 1) };
  if (error.code === 'ERR_STORE_UNAVAILABLE') return { 'retry-after': '2' };
  return {};
}

/** The admin API's (and the default) error format: `{error, error_description, code}`. */
export const renderAdminError: ErrorRenderer = (error) => ({
  status: error.status,
  body: { error: error.oauthError, error_description: error.message, code: error.code },
  headers: {
    ...retryHeaders(error),
    ...(error.code === 'ERR_ADMIN_UNAUTHORIZED'
      ? { 'www-authenticate': 'Bearer realm="baton-admin"' }
      : {}),
  },
});

/**
 * Milliseconds between two log lines for an unreachable store; `since` on a line counts the
 * failures not logged since the previous one.
 */
export const OUTAGE_LOG_INTERVAL_MS = 10_000;

/** `detail` of the error for a body that is not valid JSON. */
export const INVALID_JSON = 'invalid_json';

/** Turns anything thrown while serving a request into a {@link BatonError}. */
export function toBatonError(error: unknown): BatonError {
  if (error instanceof BatonError) return error;
  const fastifyError = error as Partial<FastifyError> & {
    validation?: unknown;
    validationContext?: string;
  };
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new BatonError('ERR_BODY_TOO_LARGE', 'the request body is larger than 16 KiB');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new BatonError(
        'ERR_UNSUPPORTED_MEDIA_TYPE',
        'unsupported content type; send application/x-www-form-urlencoded or application/json',
      );
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new BatonError('ERR_INVALID_REQUEST', 'the JSON body is empty');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      // The detail lets a face that names JSON errors its own way (aisquare) recognise them.
      return new BatonError('ERR_INVALID_REQUEST', 'the body is not valid JSON', {
        detail: INVALID_JSON,
      });
    default:
      break;
  }
  if (fastifyError.validation !== undefined) {
    // Ajv's message names the field and the rule; it never echoes a value.
    return new BatonError(
      'ERR_INVALID_REQUEST',
      `${fastifyError.validationContext ?? 'request'}: ${fastifyError.message ?? 'invalid'}`,
    );
  }
  if (error instanceof SyntaxError || fastifyError.statusCode === 400) {
    return new BatonError('ERR_INVALID_REQUEST', 'malformed request', {
      detail: fastifyError.code ?? 'syntax',
    });
  }
  const status = fastifyError.statusCode ?? 500;
  if (status === 413) return new BatonError('ERR_BODY_TOO_LARGE', 'the request body is too large');
  if (status === 415)
    return new BatonError('ERR_UNSUPPORTED_MEDIA_TYPE', 'unsupported content type');
  if (status >= 400 && status < 500) {
    return new BatonError('ERR_INVALID_REQUEST', 'malformed request', {
      detail: String(fastifyError.code),
    });
  }
  return new BatonError('ERR_INTERNAL', 'internal error', { cause: error });
}

/** Sends a core error through the route's renderer. */
export function sendError(
  request: FastifyRequest,
  reply: FastifyReply,
  error: BatonError,
): FastifyReply {
  const render = request.routeOptions.config.renderError ?? renderAdminError;
  const rendered = render(error);
  return reply
    .code(rendered.status)
    .headers(rendered.headers ?? {})
    .send(rendered.body);
}

/** Which renderer answers unknown paths under a prefix (e.g. OAuth errors under `/oauth/`). */
export interface PrefixRenderer {
  prefix: string;
  render: ErrorRenderer;
}

/** The renderer of the face owning `path`: the first matching prefix, else the admin format. */
export function rendererFor(path: string, renderers: readonly PrefixRenderer[]): ErrorRenderer {
  return renderers.find((entry) => path.startsWith(entry.prefix))?.render ?? renderAdminError;
}

/**
 * Installs the one error handler: every failure becomes a {@link BatonError}, is logged without
 * token material (5xx as errors, at most one line per 10 s for an unreachable store; 4xx at
 * debug), and is written in the route's face format.
 * Unknown paths are answered in the format of the face owning their prefix.
 */
export function installErrorHandling(
  app: FastifyInstance,
  notFound: readonly PrefixRenderer[] = [],
  routes?: RouteMethods,
  onError: (error: BatonError) => void = () => undefined,
): void {
  // During an outage every request fails the same way: one line per interval, with a count.
  let outageLoggedAt = 0;
  let outageSuppressed = 0;
  app.setErrorHandler((thrown, request, reply) => {
    const error = toBatonError(thrown);
    onError(error);
    const log = {
      code: error.code,
      detail: error.detail,
      route: request.routeOptions.url,
      method: request.method,
    };
    if (error.code === 'ERR_STORE_UNAVAILABLE') {
      const now = Date.now();
      if (now - outageLoggedAt < OUTAGE_LOG_INTERVAL_MS) {
        outageSuppressed++;
      } else {
        request.log.error({ ...log, since: outageSuppressed }, error.message);
        outageLoggedAt = now;
        outageSuppressed = 0;
      }
    } else if (error.status >= 500) {
      request.log.error(
        { ...log, err: error.code === 'ERR_INTERNAL' ? thrown : undefined },
        error.message,
      );
    } else {
      request.log.debug(log, error.message);
    }
    return sendError(request, reply, error);
  });
  app.setNotFoundHandler((request, reply) => {
    const fullPath = request.url.split('?')[0] ?? '';
    const path = fullPath.slice(0, 100);
    // A known path asked with another method is a 405 naming the methods it has (RFC 9110
    // §15.5.6); anything else is a 404.
    const allowed = routes?.allowed(fullPath) ?? [];
    const error =
      allowed.length > 0
        ? new BatonError('ERR_METHOD_NOT_ALLOWED', `${path} does not answer ${request.method}`)
        : new BatonError('ERR_NOT_FOUND', `no route ${request.method} ${path}`);
    const rendered = rendererFor(path, notFound)(error);
    return reply
      .code(rendered.status)
      .headers({
        ...rendered.headers,
        ...(allowed.length > 0 ? { allow: allowed.join(', ') } : {}),
      })
      .send(rendered.body);
  });
}
