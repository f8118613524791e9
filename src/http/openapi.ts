import type { FastifyInstance, RouteOptions } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's OpenAPI operation object; routes without one are not documented. */
    openapi?: Record<string, unknown>;
  }
}

/** An OpenAPI 3.1 document. */
export type OpenApiDocument = Record<string, unknown> & {
  paths: Record<string, Record<string, unknown>>;
};

/** Collects the documented routes as they are registered. Call before registering faces. */
export function collectRoutes(app: FastifyInstance): RouteOptions[] {
  const routes: RouteOptions[] = [];
  app.addHook('onRoute', (route) => {
    if (route.config?.openapi !== undefined) routes.push(route);
  });
  return routes;
}

const toOpenApiPath = (url: string): string => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/** The OpenAPI 3.1 document of every documented route that is mounted. */
export function buildOpenApi(
  routes: RouteOptions[],
  info: { issuer: string; version: string },
): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  for (const route of routes) {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const path = toOpenApiPath(route.url);
    const parameters = [...route.url.matchAll(/:([A-Za-z0-9_]+)/g)].map((match) => ({
      name: match[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const schema = route.schema as
      { body?: unknown; querystring?: { properties?: Record<string, unknown> } } | undefined;
    const query = Object.entries(schema?.querystring?.properties ?? {}).map(([name, property]) => ({
      name,
      in: 'query',
      required: false,
      schema: property,
    }));
    for (const method of methods) {
      if (method === 'HEAD') continue;
      const operation: Record<string, unknown> = { ...route.config?.openapi };
      if (parameters.length + query.length > 0) operation.parameters = [...parameters, ...query];
      if (schema?.body !== undefined && operation.requestBody === undefined) {
        operation.requestBody = {
          required: true,
          content: { 'application/json': { schema: schema.body } },
        };
      }
      operation.responses ??= { default: { description: 'see docs/errors.md for error bodies' } };
      (paths[path] ??= {})[method.toLowerCase()] = operation;
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Baton',
      version: info.version,
      description: 'Token service: safe refresh, rotation, reuse detection.',
    },
    servers: [{ url: info.issuer }],
    components: {
      securitySchemes: {
        clientBasic: {
          type: 'http',
          scheme: 'basic',
          description: 'client_id and client_secret, form-urlencoded (RFC 6749 §2.3.1)',
        },
        adminBearer: { type: 'http', scheme: 'bearer', description: 'the admin token' },
      },
    },
    paths,
  };
}

const escapeHtml = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

/** A self-contained HTML page listing the documented endpoints (no scripts, no CDN). */
export function renderDocsPage(document: OpenApiDocument): string {
  const rows = Object.entries(document.paths)
    .flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => {
        const op = operation as { summary?: string; tags?: string[] };
        return `<tr><td>${escapeHtml(op.tags?.[0] ?? '')}</td><td><code>${method.toUpperCase()}</code></td><td><code>${escapeHtml(path)}</code></td><td>${escapeHtml(op.summary ?? '')}</td></tr>`;
      }),
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Baton API</title>
<style>body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;vertical-align:top}code{font-size:90%}</style>
</head><body>
<h1>Baton API</h1>
<p>The machine-readable description is <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). Errors are listed in <code>docs/errors.md</code>.</p>
<table><thead><tr><th>Face</th><th>Method</th><th>Path</th><th>What it does</th></tr></thead><tbody>
${rows}
</tbody></table>
</body></html>`;
}
