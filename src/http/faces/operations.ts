import type { FastifyInstance, RouteOptions } from 'fastify';
import { BatonError, type TokenService } from '../../core/index.js';
import { DOCS_ASSET_NAMES, loadDocsAssets } from '../docs/docs-assets.js';
import { DOCS_CSP, renderDocsPage } from '../docs/docs-page.js';
import type { Metrics } from '../metrics.js';
import { adminErrors, buildOpenApi, jsonContent, type OpenApiDocument } from '../openapi.js';

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

/** The OpenAPI operation of an operations route: public, in the default error format. */
export const operationDoc = (
  operationId: string,
  summary: string,
  responses: Record<string, unknown>,
  extra: Record<string, unknown> = {},
) => ({
  tags: ['Operations'],
  operationId,
  summary,
  security: [],
  ...extra,
  responses: { ...responses, ...adminErrors([]) },
});

const text = (mediaType: string, description: string) => ({
  description,
  content: { [mediaType]: { schema: { type: 'string' } } },
});

const readiness = (status: string, description: string) => ({
  type: 'object',
  required: ['status', 'store'],
  properties: {
    status: { type: 'string', description },
    store: { type: 'string', enum: ['memory', 'sqlite', 'postgres'] },
  },
  additionalProperties: { type: 'string', description: 'extra checks, e.g. `redis`' },
  examples: [{ status, store: 'sqlite' }],
});

/** Health, readiness, Prometheus metrics, the OpenAPI document and the API reference page. */
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
    {
      config: {
        ...config,
        openapi: operationDoc('getHealth', 'Process is up', {
          '200': {
            description: 'The process runs',
            content: jsonContent({
              type: 'object',
              required: ['status'],
              properties: { status: { type: 'string', enum: ['ok'] } },
            }),
          },
        }),
      },
    },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      config: {
        ...config,
        openapi: operationDoc(
          'getReadiness',
          'Store is reachable',
          {
            '200': {
              description: 'Ready: the store answers (`status` is `degraded` while Redis is down)',
              content: jsonContent(
                readiness('ready', '`ready`, or `degraded` while Redis is down'),
              ),
            },
            '503': {
              description:
                'Not ready: the store does not answer; take this instance out of rotation',
              content: jsonContent(readiness('unavailable', '`unavailable`')),
            },
          },
          { description: 'Point the load balancer here.' },
        ),
      },
    },
    async (_request, reply) => {
      // A failing extra check is reported, never a 500; only the store decides readiness. An
      // extra check may set `status` (e.g. `degraded` while Redis is down): still ready.
      const extra: Record<string, string> = await (
        options.readiness?.() ?? Promise.resolve({})
      ).catch(() => ({ checks: 'failed' }));
      const { status = 'ready', ...details } = extra;
      try {
        await service.ready();
        return { status, store: service.storeKind, ...details };
      } catch {
        return reply
          .code(503)
          .send({ status: 'unavailable', store: service.storeKind, ...details });
      }
    },
  );

  app.get(
    '/metrics',
    {
      config: {
        ...config,
        openapi: operationDoc('getMetrics', 'Prometheus metrics', {
          '200': text('text/plain', 'Prometheus text exposition format 0.0.4'),
        }),
      },
    },
    async (_request, reply) =>
      reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );

  app.get(
    '/openapi.json',
    {
      config: {
        ...config,
        openapi: operationDoc('getOpenApiDocument', 'This OpenAPI 3.1 document', {
          '200': {
            description: 'The OpenAPI 3.1 description of every mounted endpoint',
            content: jsonContent({
              type: 'object',
              required: ['openapi', 'info', 'paths'],
              properties: {
                openapi: { type: 'string', enum: ['3.1.0'] },
                info: { type: 'object' },
                servers: { type: 'array' },
                tags: { type: 'array' },
                components: { type: 'object' },
                paths: { type: 'object' },
              },
            }),
          },
        }),
      },
    },
    async () => openapi(),
  );

  // Read at start-up: a missing renderer stops the server instead of breaking the page.
  const assets = loadDocsAssets();
  let page: string | undefined;
  app.get(
    '/docs',
    {
      config: {
        ...config,
        openapi: operationDoc(
          'getApiReference',
          'The API reference page',
          { '200': text('text/html', 'Swagger UI over this document; works offline') },
          {
            description:
              'Served with a strict Content-Security-Policy: only this origin, no inline script.',
          },
        ),
      },
    },
    async (_request, reply) =>
      reply
        .header('content-security-policy', DOCS_CSP)
        .type('text/html; charset=utf-8')
        .send((page ??= renderDocsPage(openapi()))),
  );

  app.get<{ Params: { file: string } }>(
    '/docs/:file',
    {
      config: {
        ...config,
        openapi: operationDoc(
          'getApiReferenceFile',
          'A file of the API reference page',
          {
            '200': {
              description: 'The file',
              content: {
                'text/javascript': { schema: { type: 'string' } },
                'text/css': { schema: { type: 'string' } },
                'image/png': { schema: { type: 'string', contentMediaType: 'image/png' } },
              },
            },
            ...adminErrors([404]),
          },
          {
            parameters: [
              {
                name: 'file',
                in: 'path',
                required: true,
                description: "One of the page's own files; no other path is served",
                schema: { type: 'string', enum: DOCS_ASSET_NAMES },
              },
            ],
          },
        ),
      },
    },
    async (request, reply) => {
      // An allowlist lookup: the path never reaches the file system.
      const asset = assets.get(request.params.file);
      if (asset === undefined) throw new BatonError('ERR_NOT_FOUND', 'no such file');
      return reply.type(asset.type).send(asset.body);
    },
  );
}
