import { readFileSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { BatonError, isWellFormedDeep, type TokenService } from '../core/index.js';
import { installCors } from './cors.js';
import {
  installErrorHandling,
  rendererFor,
  sendError,
  toBatonError,
  type PrefixRenderer,
} from './errors.js';
import { adminFace } from './faces/admin.js';
import { consoleFace } from './faces/console.js';
import { dialectNotFound, mountDialects, type DialectMount } from './faces/dialects/index.js';
import { oauthFace } from './faces/oauth.js';
import { renderOAuthError } from './faces/oauth-wire.js';
import { operationsFace } from './faces/operations.js';
import { addFormBodyParser } from './form-body.js';
import { loggerOptions } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';
import { collectRoutes } from './openapi.js';
import { collectRouteMethods } from './route-methods.js';
import { HTTP_TIMEOUTS, type HttpTimeouts } from './timeouts.js';

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

/** The path of the request line at the start of `raw`, if it can be read. */
function requestPath(raw: unknown): string {
  if (!Buffer.isBuffer(raw)) return '';
  const line = raw.subarray(0, 2048).toString('latin1');
  return /^[A-Z]+ (\/[^ ?\r\n]*)/.exec(line)?.[1] ?? '';
}

/**
 * Answers requests Node cannot even parse (oversized headers, broken HTTP) on the raw socket, in
 * the error format of the face the request line names, with the headers of every response.
 */
function clientErrorWriter(
  renderers: readonly PrefixRenderer[],
): (error: Error & { code?: string; rawPacket?: unknown }, socket: Socket) => void {
  return (error, socket) => {
    if (error.code === 'ECONNRESET' || !socket.writable) return;
    const baton =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? new BatonError('ERR_HEADERS_TOO_LARGE', 'the request headers are too large')
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? new BatonError('ERR_REQUEST_TIMEOUT', 'the request did not arrive in time')
          : new BatonError('ERR_INVALID_REQUEST', 'malformed HTTP request');
    const rendered = rendererFor(requestPath(error.rawPacket), renderers)(baton);
    const body = JSON.stringify(rendered.body);
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
      ...rendered.headers,
      ...SECURITY_HEADERS,
    };
    socket.end(
      [
        `HTTP/1.1 ${rendered.status} ${STATUS_CODES[rendered.status] ?? 'Bad Request'}`,
        ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
        `content-length: ${Buffer.byteLength(body)}`,
        'connection: close',
        '',
        body,
      ].join('\r\n'),
    );
  };
}

/**
 * Fastify's `trustProxy` for ours. A hop count becomes "trust the nearest n hops" (as
 * proxy-addr defines hops); Fastify itself reads a number as trusting none.
 */
function trustProxyOf(
  value: AppOptions['trustProxy'],
): boolean | string | string[] | ((address: string, hop: number) => boolean) {
  if (typeof value !== 'number') return value ?? false;
  const hops = value;
  return (_address, hop) => hop < hops;
}

/** Options of {@link createApp}. */
export interface AppOptions {
  service: TokenService;
  /** pino level (`info`, `debug`, …), `false` for no logs, or a pino-compatible logger instance. */
  logger?: string | false | FastifyServerOptions['loggerInstance'];
  /**
   * Whom to believe about the client's address (`X-Forwarded-For`): nobody (`false`, the
   * default), the proxies at these addresses or ranges, the nearest `n` hops, or anyone (`true`).
   */
  trustProxy?: boolean | number | string | string[];
  /** Wire dialects to mount (docs/dialects.md); none by default. */
  dialects?: readonly DialectMount[];
  /** Extra readiness checks reported by `/readyz`. */
  readiness?: () => Promise<Record<string, string>>;
  /** How long a client may take to send a request, and to keep an idle connection. */
  timeouts?: Partial<HttpTimeouts>;
  /** The Prometheus metrics to count into; a new registry when absent. */
  metrics?: Metrics;
}

/**
 * Builds the HTTP app: the OAuth face, the mounted dialects, the admin API and the operations
 * endpoints over one core.
 * Bodies are capped at 16 KiB and every response carries `Cache-Control: no-store`.
 */
export async function createApp(options: AppOptions): Promise<FastifyInstance> {
  const { service } = options;
  const logger = options.logger ?? 'info';
  const dialects = options.dialects ?? [];
  // Errors outside any route (unknown paths, unparsable requests) answer in the owning face's
  // format.
  const renderers: PrefixRenderer[] = [
    { prefix: '/oauth/', render: renderOAuthError },
    ...dialectNotFound(dialects),
  ];
  const logging: FastifyServerOptions =
    typeof logger === 'object'
      ? { loggerInstance: logger }
      : { logger: logger === false ? false : loggerOptions(logger) };
  const timeouts = { ...HTTP_TIMEOUTS, ...options.timeouts };
  const app = Fastify({
    bodyLimit: BODY_LIMIT,
    // A client that trickles its headers or body, or stalls after its headers, is answered 408
    // and cut off (see clientErrorWriter), instead of holding a socket forever.
    requestTimeout: timeouts.requestTtl * 1000,
    keepAliveTimeout: timeouts.keepAliveTtl * 1000,
    http: {
      headersTimeout: Math.min(timeouts.headersTtl, timeouts.requestTtl) * 1000,
      // How often Node checks the two timeouts above (its default, 30 s, would let a slow
      // client overstay them by that much).
      connectionsCheckingInterval: 1000,
      // A request without Host is answered by Baton (400, in the face's format, no-store), not by
      // Node's bare 400.
      requireHostHeader: false,
    },
    ...logging,
    // Per-request logs cost time on the hot path; errors are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    // No per-request child logger: it costs a pino child (and its redaction setup) per request,
    // and the error handler logs route and method itself.
    childLoggerFactory: (logger) => logger,
    trustProxy: trustProxyOf(options.trustProxy),
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
    clientErrorHandler: clientErrorWriter(renderers),
  });
  const metrics = options.metrics ?? createMetrics();
  const routes = collectRoutes(app);
  const methods = collectRouteMethods(app);

  // Only forms and JSON are request formats here; anything else is a 415.
  app.removeContentTypeParser('text/plain');
  // An empty JSON body reads as no body (curl -H 'content-type: application/json' without -d).
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') return done(null, undefined);
    // Fastify's parser answers through `done`; what it returns is of no use here.
    void parseJson(request, body as string, (error, parsed) => {
      if (error !== null) return done(error, undefined);
      // `\ud800` is valid JSON but not text: it would be stored and read back as U+FFFD.
      if (!isWellFormedDeep(parsed)) {
        return done(
          new BatonError(
            'ERR_INVALID_REQUEST',
            'the body contains text that is not well-formed Unicode (a lone surrogate)',
          ),
          undefined,
        );
      }
      done(null, parsed);
    });
  });
  addFormBodyParser(app);
  installErrorHandling(app, renderers, methods, (error) => metrics.error(error));
  // Route patterns, not paths: an unknown path is `unmatched`, so junk cannot grow the labels.
  app.addHook('onResponse', (request, reply, done) => {
    metrics.request(request.routeOptions.url ?? 'unmatched', request.method, reply.statusCode);
    done();
  });
  const unsubscribe = service.subscribeEvents((event) => metrics.securityEvent(event.type));
  app.addHook('onClose', (_instance, done) => {
    unsubscribe();
    done();
  });
  // RFC 9112 §3.2: an HTTP/1.1 request without Host is a 400.
  app.addHook('onRequest', (request, _reply, done) => {
    if (request.headers.host === undefined && request.raw.httpVersion === '1.1') {
      done(new BatonError('ERR_INVALID_REQUEST', 'an HTTP/1.1 request needs a Host header'));
    } else done();
  });
  // Callback style: an async hook costs a promise per response on the hot path.
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.headers(SECURITY_HEADERS);
    // A public document (the JWKS) may be cached as its route says; its errors never are.
    const cacheControl = request.routeOptions.config.cacheControl;
    if (cacheControl !== undefined && reply.statusCode === 200) {
      reply.header('cache-control', cacheControl).removeHeader('pragma');
    }
    done(null, payload);
  });

  const addPreflights = installCors(app, service);
  await app.register(oauthFace, { service, metrics });
  await app.register(adminFace, { service, metrics });
  await mountDialects(app, dialects, { service, metrics });
  addPreflights();
  await app.register(consoleFace);
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
