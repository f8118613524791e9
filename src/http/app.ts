import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { TokenService } from '../core/token-service.js';
import { installErrorHandling, sendError, toBatonError } from './errors.js';
import { adminFace } from './faces/admin.js';
import { oauthFace } from './faces/oauth.js';
import { renderOAuthError } from './faces/oauth-wire.js';
import { operationsFace } from './faces/operations.js';
import { addFormBodyParser } from './form-body.js';
import { loggerOptions } from './logger.js';
import { createMetrics } from './metrics.js';
import { collectRoutes } from './openapi.js';

/** Largest accepted request body, in bytes (16 KiB). */
export const BODY_LIMIT = 16 * 1024;

const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

/** Headers of every response. */
const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  pragma: 'no-cache',
  'x-content-type-options': 'nosniff',
} as const;

/**
 * Answers requests Node cannot even parse (oversized headers, broken HTTP) on the raw socket,
 * in the admin error format and with the same headers as every other response.
 */
function writeClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) return;
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? 431 : 400;
  const body = JSON.stringify({
    error: 'invalid_request',
    error_description: tooLarge ? 'the request headers are too large' : 'malformed HTTP request',
    code: 'ERR_INVALID_REQUEST',
  });
  socket.end(
    [
      `HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}`,
      'content-type: application/json; charset=utf-8',
      `content-length: ${Buffer.byteLength(body)}`,
      ...Object.entries(SECURITY_HEADERS).map(([name, value]) => `${name}: ${value}`),
      'connection: close',
      '',
      body,
    ].join('\r\n'),
  );
}

/** Options of {@link createApp}. */
export interface AppOptions {
  service: TokenService;
  /** pino level (`info`, `debug`, …), `false` for no logs, or a pino-compatible logger instance. */
  logger?: string | false | FastifyServerOptions['loggerInstance'];
  /** Fastify `trustProxy`: set when Baton runs behind a load balancer that sets X-Forwarded-For. */
  trustProxy?: boolean | string | string[];
  /** Extra readiness checks reported by `/readyz`. */
  readiness?: () => Promise<Record<string, string>>;
}

/**
 * Builds the HTTP app: the OAuth face, the admin API and the operations endpoints over one core.
 * Bodies are capped at 16 KiB and every response carries `Cache-Control: no-store`.
 */
export async function createApp(options: AppOptions): Promise<FastifyInstance> {
  const { service } = options;
  const logger = options.logger ?? 'info';
  const logging: FastifyServerOptions =
    typeof logger === 'object'
      ? { loggerInstance: logger }
      : { logger: logger === false ? false : loggerOptions(logger) };
  const app = Fastify({
    bodyLimit: BODY_LIMIT,
    ...logging,
    // Per-request logs cost time on the hot path; errors are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    // No per-request child logger: it costs a pino child (and its redaction setup) per request,
    // and the error handler logs route and method itself.
    childLoggerFactory: (logger) => logger,
    trustProxy: options.trustProxy ?? false,
    return503OnClosing: true,
    // Wrong types are errors, not something to coerce; unknown fields are refused by the schemas.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false } },
    // Subjects and ids may be up to 255 characters; path parameters must fit them.
    routerOptions: { maxParamLength: 256 },
    // Malformed URLs (e.g. a bad %-escape) fail before routing; answer them like any other error.
    frameworkErrors: (error, request, reply) => {
      reply.headers(SECURITY_HEADERS);
      sendError(request, reply, toBatonError(error));
    },
    clientErrorHandler: writeClientError,
  });
  const metrics = createMetrics();
  const routes = collectRoutes(app);

  // Only forms and JSON are request formats here; anything else is a 415.
  app.removeContentTypeParser('text/plain');
  // An empty JSON body reads as no body (curl -H 'content-type: application/json' without -d).
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') done(null, undefined);
    else parseJson(request, body as string, done);
  });
  addFormBodyParser(app);
  installErrorHandling(app, [{ prefix: '/oauth/', render: renderOAuthError }]);
  // Callback style: an async hook costs a promise per response on the hot path.
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.headers(SECURITY_HEADERS);
    done(null, payload);
  });

  await app.register(oauthFace, { service, metrics });
  await app.register(adminFace, { service });
  await app.register(operationsFace, {
    service,
    metrics,
    routes,
    version: VERSION,
    ...(options.readiness === undefined ? {} : { readiness: options.readiness }),
  });
  await app.ready();
  return app;
}
