import type { FastifyInstance } from 'fastify';

/** Which methods the registered routes answer on a path: what tells a 405 from a 404. */
export interface RouteMethods {
  /** The methods some route answers on `path` (a request path, no query), sorted; none: []. */
  allowed(path: string): string[];
}

/** `/admin/sessions/:id` as a pattern matching one path segment per parameter. */
function patternOf(url: string): RegExp {
  const escaped = url
    .split(/(:[A-Za-z0-9_]+)/)
    .map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${escaped}$`);
}

/** Collects the routes as they are registered. Call before registering the faces. */
export function collectRouteMethods(app: FastifyInstance): RouteMethods {
  const byUrl = new Map<string, Set<string>>();
  let compiled: { pattern: RegExp; methods: ReadonlySet<string> }[] | undefined;
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    let set = byUrl.get(route.url);
    if (set === undefined) byUrl.set(route.url, (set = new Set()));
    // Fastify's HEAD routes for GET routes come through here too (unless a route opts out).
    for (const method of methods) set.add(method);
    compiled = undefined;
  });
  return {
    allowed(path) {
      compiled ??= [...byUrl].map(([url, methods]) => ({ pattern: patternOf(url), methods }));
      const allowed = new Set<string>();
      for (const { pattern, methods } of compiled) {
        if (pattern.test(path)) for (const method of methods) allowed.add(method);
      }
      return [...allowed].sort();
    },
  };
}
