import { readFileSync } from 'node:fs';
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { TokenService } from '../core/token-service.js';
import { installErrorHandling } from './errors.js';
import { adminFace } from './faces/admin.js';
import { oauthFace } from './faces/oauth.js';
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
    trustProxy: options.trustProxy ?? false,
    return503OnClosing: true,
    // Wrong types are errors, not something to coerce; unknown fields are refused by the schemas.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false } },
  });
  const metrics = createMetrics();
  const routes = collectRoutes(app);

  // Only forms and JSON are request formats here; anything else is a 415.
  app.removeContentTypeParser('text/plain');
  addFormBodyParser(app);
  installErrorHandling(app);
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('cache-control', 'no-store');
    reply.header('pragma', 'no-cache');
    reply.header('x-content-type-options', 'nosniff');
    return payload;
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
