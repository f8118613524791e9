import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/core/clock.js';
import type { Store } from '../../src/core/store.js';
import type { TokenService } from '../../src/core/token-service.js';
import { createApp, type AppOptions } from '../../src/http/app.js';
import { createMemoryStore } from '../../src/stores/memory/memory-store.js';
import { createSqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { createTestService } from '../helpers/service.js';
import { createTempDirs } from '../helpers/temp-dir.js';

const dirs = createTempDirs();
let app: FastifyInstance | undefined;
let service: TokenService;
let clock: ManualClock;
let store: Store;

async function start(
  openStore: () => Store = createMemoryStore,
  appOptions: Partial<AppOptions> = {},
): Promise<FastifyInstance> {
  ({ service, clock, store } = await createTestService({ store: openStore() }));
  app = await createApp({ service, logger: false, ...appOptions });
  return app;
}

afterEach(async () => {
  await app?.close();
  await store?.close();
  app = undefined;
  dirs.cleanup();
});

function get(url: string): Promise<LightMyRequestResponse> {
  return (app as FastifyInstance).inject({ method: 'GET', url });
}

function refresh(refreshToken: string): Promise<LightMyRequestResponse> {
  return (app as FastifyInstance).inject({
    method: 'POST',
    url: '/oauth/token',
    payload: { grant_type: 'refresh_token', refresh_token: refreshToken },
  });
}

/** The value of one sample in Prometheus text, e.g. `metric{face="oauth"}`; undefined if absent. */
function sample(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return undefined;
}

describe('GET /healthz', () => {
  it('answers 200 while the process is up, even when the store is down', async () => {
    await start();
    const up = await get('/healthz');
    expect(up.statusCode).toBe(200);
    expect(up.json()).toEqual({ status: 'ok' });
    expect(up.headers['cache-control']).toBe('no-store');
    await store.close();
    expect((await get('/healthz')).statusCode).toBe(200);
  });
});

describe('GET /readyz', () => {
  it.each<[string, () => Store]>([
    ['memory', createMemoryStore],
    ['sqlite', () => createSqliteStore({ path: join(dirs.make(), 'baton.db') })],
  ])('answers 200 with the %s store kind, and 503 once the store is closed', async (kind, open) => {
    await start(open);
    const ready = await get('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', store: kind });
    await store.close();
    const down = await get('/readyz');
    expect(down.statusCode).toBe(503);
    expect(down.json()).toEqual({ status: 'unavailable', store: kind });
    expect(down.headers['cache-control']).toBe('no-store');
  });

  it('reports extra readiness checks next to the store', async () => {
    await start(createMemoryStore, { readiness: async () => ({ redis: 'ok' }) });
    expect((await get('/readyz')).json()).toEqual({
      status: 'ready',
      store: 'memory',
      redis: 'ok',
    });
  });

  it('answers /readyz in its own format, never a 500, when an extra readiness check throws', async () => {
    // A failing extra check (say, Redis unreachable) is reported; only the store decides.
    await start(createMemoryStore, {
      readiness: () => Promise.reject(new Error('redis unreachable')),
    });
    const response = await get('/readyz');
    expect(response.statusCode).not.toBe(500);
    expect(response.json()).toMatchObject({
      store: 'memory',
      status: expect.any(String) as unknown,
    });
  });
});

describe('GET /metrics', () => {
  it('counts refreshes by face and outcome, times them, and counts reuse detections', async () => {
    await start();
    const issued = await service.issueSession({ subject: 'alice' });
    const first = await refresh(issued.refreshToken);
    expect(first.statusCode).toBe(200);

    const response = await get('/metrics');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    let text = response.body;
    expect(text).toContain('# TYPE baton_refresh_total counter');
    expect(sample(text, 'baton_refresh_total{face="oauth",outcome="rotated"}')).toBe(1);
    expect(sample(text, 'baton_refresh_total{face="oauth",outcome="reused"}')).toBeUndefined();

    clock.advance(5);
    expect((await refresh(issued.refreshToken)).statusCode).toBe(200); // replay inside the grace
    clock.advance(6);
    expect((await refresh(issued.refreshToken)).statusCode).toBe(400); // reuse after it
    expect((await refresh('rt_nothing')).statusCode).toBe(400);

    text = (await get('/metrics')).body;
    expect(sample(text, 'baton_refresh_total{face="oauth",outcome="rotated"}')).toBe(1);
    expect(sample(text, 'baton_refresh_total{face="oauth",outcome="replayed"}')).toBe(1);
    expect(sample(text, 'baton_refresh_total{face="oauth",outcome="reused"}')).toBe(1);
    expect(sample(text, 'baton_refresh_total{face="oauth",outcome="unknown"}')).toBe(1);
    expect(sample(text, 'baton_refresh_token_reuse_total{face="oauth"}')).toBe(1);
    expect(text).toContain('# TYPE baton_refresh_duration_seconds histogram');
    expect(sample(text, 'baton_refresh_duration_seconds_count{face="oauth"}')).toBe(4);
    expect(sample(text, 'baton_refresh_duration_seconds_bucket{le="+Inf",face="oauth"}')).toBe(4);
  });

  it('counts a refresh refused for bad client credentials under outcome invalid_client', async () => {
    // Client authentication is part of the refresh: guessing client secrets shows in metrics.
    await start();
    await service.createClient({ id: 'api', confidential: true });
    const issued = await service.issueSession({ subject: 'alice', clientId: 'api' });
    const bare = await refresh(issued.refreshToken);
    const wrongSecret = await (app as FastifyInstance).inject({
      method: 'POST',
      url: '/oauth/token',
      payload: {
        grant_type: 'refresh_token',
        refresh_token: issued.refreshToken,
        client_id: 'api',
        client_secret: 'cs_wrong',
      },
    });
    expect([bare.statusCode, wrongSecret.statusCode]).toEqual([401, 401]);
    const text = (await get('/metrics')).body;
    expect(sample(text, 'baton_refresh_total{face="oauth",outcome="invalid_client"}')).toBe(2);
  });

  it('exposes process metrics under the baton_ prefix', async () => {
    await start();
    const text = (await get('/metrics')).body;
    expect(text).toMatch(/^baton_process_cpu_seconds_total \d/m);
  });
});

describe('GET /openapi.json and /docs', () => {
  type Operation = { parameters?: { name: string; in: string }[] };
  type Document = { openapi: string; paths: Record<string, Record<string, Operation>> };

  /**
   * Every (method, path) the app serves, read from Fastify's own route tree. HEAD routes are
   * Fastify's automatic twins of GET routes.
   */
  function registeredRoutes(instance: FastifyInstance): string[] {
    const routes: string[] = [];
    const stack: string[] = [];
    for (const line of instance.printRoutes({ commonPrefix: false }).split('\n')) {
      const match = /^((?:│ {3}| {4})*)[├└]── (\S+)(?: \(([^)]*)\))?$/.exec(line);
      if (match === null) continue;
      const depth = (match[1] as string).length / 4;
      const path = (stack[depth - 1] ?? '') + (match[2] as string);
      stack[depth] = path;
      stack.length = depth + 1;
      for (const method of (match[3] ?? '').split(', ').filter(Boolean)) {
        // HEAD answers like GET; OPTIONS routes are CORS preflights, plumbing of the protocol.
        if (method !== 'HEAD' && method !== 'OPTIONS') routes.push(`${method} ${path}`);
      }
    }
    return routes.sort();
  }

  it('documents every route of the app in OpenAPI 3.1, the document and its reference page too', async () => {
    await start();
    const response = await get('/openapi.json');
    expect(response.statusCode).toBe(200);
    const document = response.json<Document>();
    expect(document.openapi).toBe('3.1.0');

    const routes = registeredRoutes(app as FastifyInstance);
    // The route tree was read correctly: the known routes are all there.
    expect(routes).toEqual(
      expect.arrayContaining([
        'POST /oauth/token',
        'POST /oauth/revoke',
        'POST /oauth/introspect',
        'GET /.well-known/oauth-authorization-server',
        'GET /.well-known/jwks.json',
        'POST /admin/sessions',
        'GET /admin/sessions',
        'GET /admin/sessions/:id',
        'DELETE /admin/sessions/:id',
        'DELETE /admin/subjects/:subject/sessions',
        'GET /admin/keys',
        'POST /admin/keys/rotate',
        'GET /admin/events',
        'GET /admin/events/stream',
        'GET /admin/stats',
        'GET /admin/clients',
        'POST /admin/clients',
        'PATCH /admin/clients/:id',
        'DELETE /admin/clients/:id',
        'GET /healthz',
        'GET /readyz',
        'GET /metrics',
        'GET /openapi.json',
        'GET /docs',
        'GET /docs/:file',
        'GET /',
        'GET /console',
        'GET /console/assets/:file',
      ]),
    );

    const expected = routes
      .map((route) => {
        const [method, path] = route.split(' ') as [string, string];
        return `${method.toLowerCase()} ${path.replace(/:(\w+)/g, '{$1}')}`;
      })
      .sort();
    const documented = Object.entries(document.paths)
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method} ${path}`))
      .sort();
    expect(documented).toEqual(expected);
  });

  it('declares the path parameters of templated paths', async () => {
    await start();
    const document = (await get('/openapi.json')).json<Document>();
    expect(document.paths['/admin/sessions/{id}']?.get?.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'id', in: 'path', required: true })]),
    );
    expect(
      document.paths['/admin/subjects/{subject}/sessions']?.delete?.parameters?.map((p) => p.name),
    ).toEqual(['subject']);
  });

  it('serves an HTML docs page that lists the endpoints', async () => {
    await start();
    const response = await get('/docs');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.body).toMatch(/^<!doctype html>/i);
    for (const path of ['/oauth/token', '/oauth/introspect', '/admin/sessions/{id}', '/readyz']) {
      expect(response.body).toContain(`<code>${path}</code>`);
    }
  });
});

it('answers unknown routes with 404 and no-store', async () => {
  await start();
  const response = await get('/nothing-here');
  expect(response.statusCode).toBe(404);
  expect(response.json()).toMatchObject({ error: 'not_found', code: 'ERR_NOT_FOUND' });
  expect(response.headers['cache-control']).toBe('no-store');
});
