import type { FastifyInstance, RouteOptions } from 'fastify';
import type { TokenService } from '../../core/token-service.js';
import type { Metrics } from '../metrics.js';
import { buildOpenApi, renderDocsPage, type OpenApiDocument } from '../openapi.js';

/** Options of {@link operationsFace}. */
export interface OperationsFaceOptions {
  service: TokenService;
  metrics: Metrics;
  /** Documented routes, collected while the faces were registered. */
  routes: RouteOptions[];
  version: string;
  /** Extra readiness checks (e.g. Redis); a failing one is reported, not fatal. */
  readiness?: () => Promise<Record<string, string>>;
}

/** Health, readiness, Prometheus metrics, the OpenAPI document and the docs page. */
export async function operationsFace(
  app: FastifyInstance,
  options: OperationsFaceOptions,
): Promise<void> {
  const { service, metrics } = options;
  const config = { face: 'operations' };
  let document: OpenApiDocument | undefined;
  const openapi = (): OpenApiDocument =>
    (document ??= buildOpenApi(options.routes, {
      issuer: service.options.issuer,
      version: options.version,
    }));

  app.get(
    '/healthz',
    { config: { ...config, openapi: { tags: ['Operations'], summary: 'Process is up' } } },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    { config: { ...config, openapi: { tags: ['Operations'], summary: 'Store is reachable' } } },
    async (_request, reply) => {
      // A failing extra check is reported, never a 500; only the store decides readiness. An
      // extra check may set `status` (e.g. `degraded` while Redis is down): still ready.
      const extra: Record<string, string> = await (
        options.readiness?.() ?? Promise.resolve({})
      ).catch(() => ({ checks: 'failed' }));
      const { status = 'ready', ...details } = extra;
      try {
        await service.ready();
        return { status, store: service.store.kind, ...details };
      } catch {
        return reply
          .code(503)
          .send({ status: 'unavailable', store: service.store.kind, ...details });
      }
    },
  );

  app.get(
    '/metrics',
    { config: { ...config, openapi: { tags: ['Operations'], summary: 'Prometheus metrics' } } },
    async (_request, reply) =>
      reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );

  app.get('/openapi.json', { config }, async () => openapi());
  app.get('/docs', { config }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(renderDocsPage(openapi())),
  );
}
