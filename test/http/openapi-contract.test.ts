import { Ajv2020 } from 'ajv/dist/2020.js';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/core/clock.js';
import type { Store } from '../../src/core/store.js';
import type { TokenService } from '../../src/core/token-service.js';
import { createApp } from '../../src/http/app.js';
import { ADMIN_TOKEN, createTestService, T0 } from '../helpers/service.js';

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
}
interface MediaType {
  schema: JsonSchema;
}
interface Operation {
  requestBody?: { content: Record<string, MediaType> };
  responses: Record<
    string,
    { content?: Record<string, MediaType>; headers?: Record<string, { required?: boolean }> }
  >;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
}

let app: FastifyInstance;
let service: TokenService;
let clock: ManualClock;
let store: Store;
let document: Document;
const ajv = new Ajv2020({ strict: false, allErrors: true });

beforeEach(async () => {
  ({ service, clock, store } = await createTestService({
    rateLimit: { ipFailures: 5, sessionFailures: 0, windowTtl: 60 },
  }));
  clock.set(T0 - (T0 % 60));
  app = await createApp({ service, logger: false });
  document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<Document>();
});
afterEach(async () => {
  await app.close();
  await store.close();
});

function operation(path: string, method: string): Operation {
  const found = document.paths[path]?.[method];
  if (found === undefined) throw new Error(`${method} ${path} is not in /openapi.json`);
  return found;
}

/** The fields of `body`, at any depth, that `schema` does not name where it names its fields. */
function undocumentedFields(schema: JsonSchema, body: unknown, at = ''): string[] {
  if (Array.isArray(body) && schema.items !== undefined) {
    const items = schema.items;
    return body.flatMap((item, index) => undocumentedFields(items, item, `${at}[${index}]`));
  }
  if (typeof body !== 'object' || body === null || schema.properties === undefined) return [];
  const properties = schema.properties;
  return Object.entries(body).flatMap(([key, value]) =>
    Object.hasOwn(properties, key)
      ? undocumentedFields(properties[key] as JsonSchema, value, `${at}.${key}`)
      : [`${at}.${key}`],
  );
}

/**
 * Checks a real response against the operation's documented response: its status is
 * documented, its media type is the documented one, the body validates against the schema, the
 * body has no field the schema does not name, and the documented required headers are sent.
 */
function expectConforms(path: string, method: string, response: LightMyRequestResponse): void {
  const documented = operation(path, method).responses[String(response.statusCode)];
  expect(
    documented,
    `status ${response.statusCode} of ${method} ${path} is documented`,
  ).toBeDefined();
  const mediaType = String(response.headers['content-type']).split(';')[0]?.trim() ?? '';
  const content = documented?.content?.[mediaType];
  expect(
    content,
    `status ${response.statusCode} of ${method} ${path} documents ${mediaType}`,
  ).toBeDefined();
  for (const [name, header] of Object.entries(documented?.headers ?? {})) {
    if (header.required === true) expect(response.headers[name.toLowerCase()], name).toBeDefined();
  }
  const schema = (content as MediaType).schema;
  const body: unknown = /json$/.test(mediaType) ? response.json() : response.body;
  const validate = ajv.compile(schema);
  expect(validate(body) ? [] : validate.errors).toEqual([]);
  expect(undocumentedFields(schema, body)).toEqual([]);
}

/** Checks a request body against the documented request schema of its media type. */
function expectValidRequest(path: string, mediaType: string, body: Record<string, string>): void {
  const schema = operation(path, 'post').requestBody?.content[mediaType]?.schema;
  expect(schema, `${path} documents ${mediaType} requests`).toBeDefined();
  const validate = ajv.compile(schema as JsonSchema);
  expect(validate(body) ? [] : validate.errors).toEqual([]);
}

function postForm(url: string, body: Record<string, string>, headers: Record<string, string> = {}) {
  return app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    payload: new URLSearchParams(body).toString(),
  });
}

describe('POST /oauth/token against its OpenAPI description', () => {
  it('documents the 200 body that a rotating refresh returns', async () => {
    const issued = await service.issueSession({ subject: 'alice', scope: 'read write' });
    const body = { grant_type: 'refresh_token', refresh_token: issued.refreshToken };
    expectValidRequest('/oauth/token', 'application/x-www-form-urlencoded', body);
    expectValidRequest('/oauth/token', 'application/json', body);
    const response = await postForm('/oauth/token', body);
    expect(response.statusCode).toBe(200);
    expectConforms('/oauth/token', 'post', response);
  });

  it('documents the 200 body without rotation and without scope', async () => {
    await service.createClient({ id: 'static', rotate: false });
    const issued = await service.issueSession({ subject: 'alice', clientId: 'static' });
    const response = await postForm('/oauth/token', {
      grant_type: 'refresh_token',
      refresh_token: issued.refreshToken,
      client_id: 'static',
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).not.toHaveProperty('refresh_token');
    expectConforms('/oauth/token', 'post', response);
  });

  it('documents every OAuth error the token endpoint returns: 400, 401, 413, 415, 429, 503', async () => {
    const { clientSecret } = await service.createClient({ id: 'api', confidential: true });
    const issued = await service.issueSession({ subject: 'alice', clientId: 'api' });
    const grant = { grant_type: 'refresh_token', refresh_token: issued.refreshToken };
    const responses: LightMyRequestResponse[] = [
      await postForm('/oauth/token', { grant_type: 'password' }), // 400 unsupported_grant_type
      await postForm('/oauth/token', { ...grant, client_id: 'api', client_secret: 'cs_x' }), // 401
      await postForm('/oauth/token', { ...grant, pad: 'x'.repeat(17_000) }), // 413
      await app.inject({
        method: 'POST',
        url: '/oauth/token',
        headers: { 'content-type': 'text/plain' },
        payload: 'x',
      }), // 415
    ];
    // Failures use up the IP's allowance of 5; the next request gets a 429.
    while (responses.at(-1)?.statusCode !== 429 && responses.length < 20) {
      responses.push(await postForm('/oauth/token', { ...grant, refresh_token: 'rt_bad' }));
    }
    await store.close();
    clock.advance(60); // a new window: the request reaches the (closed) store
    responses.push(
      await postForm('/oauth/token', {
        ...grant,
        client_id: 'api',
        client_secret: clientSecret as string,
      }),
    ); // 503
    expect(new Set(responses.map((r) => r.statusCode))).toEqual(
      new Set([400, 401, 413, 415, 429, 503]),
    );
    for (const response of responses) expectConforms('/oauth/token', 'post', response);
  });

  it('documents the 503 a store outage causes, which carries Retry-After', async () => {
    const issued = await service.issueSession({ subject: 'alice' });
    await store.close();
    const response = await postForm('/oauth/token', {
      grant_type: 'refresh_token',
      refresh_token: issued.refreshToken,
    });
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('2');
    expect(response.json()).toMatchObject({
      error: 'temporarily_unavailable',
      reason: 'store_unavailable',
    });
    expectConforms('/oauth/token', 'post', response);
  });
});

describe('POST /oauth/introspect and /oauth/revoke against their OpenAPI description', () => {
  it('documents the introspection results, active and inactive', async () => {
    const issued = await service.issueSession({ subject: 'alice', scope: 'read' });
    for (const token of [issued.accessToken, issued.refreshToken, 'garbage']) {
      expectValidRequest('/oauth/introspect', 'application/x-www-form-urlencoded', { token });
      const response = await postForm(
        '/oauth/introspect',
        { token },
        { authorization: `Bearer ${ADMIN_TOKEN}` },
      );
      expect(response.statusCode).toBe(200);
      expectConforms('/oauth/introspect', 'post', response);
    }
  });

  it('documents the OAuth errors of introspection and revocation', async () => {
    await service.createClient({ id: 'mobile' });
    const issued = await service.issueSession({ subject: 'alice', clientId: 'mobile' });
    const introspectErrors = [
      await postForm('/oauth/introspect', { token: issued.accessToken }), // 401
      await postForm('/oauth/introspect', {}, { authorization: `Bearer ${ADMIN_TOKEN}` }), // 400
    ];
    expect(introspectErrors.map((r) => r.statusCode)).toEqual([401, 400]);
    for (const response of introspectErrors) expectConforms('/oauth/introspect', 'post', response);

    const revokeErrors = [
      await postForm('/oauth/revoke', { token: issued.refreshToken, client_id: 'default' }), // 400
      await postForm('/oauth/revoke', { token: 'x', client_id: 'nobody' }), // 401
    ];
    expect(revokeErrors.map((r) => r.statusCode)).toEqual([400, 401]);
    expect(revokeErrors[0]?.json()).toMatchObject({ error: 'unauthorized_client' });
    for (const response of revokeErrors) expectConforms('/oauth/revoke', 'post', response);
  });
});

describe('the admin API against its OpenAPI description', () => {
  const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
  const call = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
    app.inject({ method, url, headers: auth, ...(payload === undefined ? {} : { payload }) });

  it('documents the sessions: minted, listed, shown, revoked, signed out everywhere', async () => {
    const minted = await call('POST', '/admin/sessions', {
      subject: 'alice',
      scope: 'read',
      claims: { tenant: 't1' },
    });
    expect(minted.statusCode).toBe(201);
    expectConforms('/admin/sessions', 'post', minted);
    const id = minted.json<{ sessionId: string }>().sessionId;
    const checks: [string, string, LightMyRequestResponse][] = [
      ['/admin/sessions', 'get', await call('GET', '/admin/sessions?subject=alice&limit=1')],
      ['/admin/sessions/{id}', 'get', await call('GET', `/admin/sessions/${id}`)],
      ['/admin/sessions/{id}', 'delete', await call('DELETE', `/admin/sessions/${id}`)],
      [
        '/admin/subjects/{subject}/sessions',
        'delete',
        await call('DELETE', '/admin/subjects/alice/sessions'),
      ],
    ];
    expect(checks.map(([, , response]) => response.statusCode)).toEqual([200, 200, 200, 200]);
    expect(checks[0]?.[2].json<{ nextCursor: string }>().nextCursor).toBe(id);
    for (const [path, method, response] of checks) expectConforms(path, method, response);
  });

  it('documents the admin errors: 400, 401, 404, 413, 415', async () => {
    const checks: [string, string, LightMyRequestResponse][] = [
      ['/admin/sessions', 'post', await call('POST', '/admin/sessions', { subject: 7 })],
      ['/admin/sessions', 'get', await call('GET', '/admin/sessions?limit=many')],
      ['/admin/sessions/{id}', 'get', await call('GET', '/admin/sessions/ses_nothing')],
      ['/admin/sessions/{id}', 'delete', await call('DELETE', '/admin/sessions/ses_nothing')],
      ['/admin/keys', 'get', await app.inject({ method: 'GET', url: '/admin/keys' })],
      [
        '/admin/sessions',
        'post',
        await call('POST', '/admin/sessions', { subject: 'x'.repeat(17_000) }),
      ],
      [
        '/admin/sessions',
        'post',
        await app.inject({
          method: 'POST',
          url: '/admin/sessions',
          headers: { ...auth, 'content-type': 'text/plain' },
          payload: 'alice',
        }),
      ],
    ];
    expect(checks.map(([, , response]) => response.statusCode)).toEqual([
      400, 400, 404, 404, 401, 413, 415,
    ]);
    expect(checks[4]?.[2].headers['www-authenticate']).toBe('Bearer realm="baton-admin"');
    for (const [path, method, response] of checks) expectConforms(path, method, response);
  });

  it('documents the 429 of too many wrong admin tokens and the 503 of a store outage', async () => {
    let response: LightMyRequestResponse | undefined;
    for (let i = 0; i < 10 && response?.statusCode !== 429; i++) {
      response = await app.inject({
        method: 'GET',
        url: '/admin/clients',
        headers: { authorization: 'Bearer wrong' },
      });
    }
    expect(response?.statusCode).toBe(429);
    expectConforms('/admin/clients', 'get', response as LightMyRequestResponse);
    clock.advance(60);
    await store.close();
    const outage = await call('GET', '/admin/sessions/ses_x');
    expect(outage.statusCode).toBe(503);
    expectConforms('/admin/sessions/{id}', 'get', outage);
  });

  it('documents the keys, the events and the clients', async () => {
    const checks: [string, string, LightMyRequestResponse][] = [
      ['/admin/keys/rotate', 'post', await call('POST', '/admin/keys/rotate')],
      ['/admin/keys', 'get', await call('GET', '/admin/keys')],
      [
        '/admin/clients',
        'post',
        await call('POST', '/admin/clients', { id: 'api', confidential: true, dialects: ['adid'] }),
      ],
      [
        '/admin/clients',
        'post',
        await call('POST', '/admin/clients', { id: 'spa', accessTtl: 60 }),
      ],
      ['/admin/clients', 'post', await call('POST', '/admin/clients', { id: 'spa' })],
      ['/admin/clients', 'get', await call('GET', '/admin/clients')],
      ['/admin/clients/{id}', 'delete', await call('DELETE', '/admin/clients/spa')],
      ['/admin/clients/{id}', 'delete', await call('DELETE', '/admin/clients/spa')],
      ['/admin/clients/{id}', 'delete', await call('DELETE', '/admin/clients/default')],
      ['/admin/events', 'get', await call('GET', '/admin/events?since=2020-01-01T00:00:00Z')],
      ['/admin/events', 'get', await call('GET', '/admin/events?since=yesterday')],
    ];
    expect(checks.map(([, , response]) => response.statusCode)).toEqual([
      201, 200, 201, 201, 409, 200, 200, 404, 409, 200, 400,
    ]);
    expect(checks[2]?.[2].json()).toHaveProperty('clientSecret');
    expect(checks[9]?.[2].json<{ events: unknown[] }>().events.length).toBeGreaterThan(2);
    for (const [path, method, response] of checks) expectConforms(path, method, response);
  });
});

describe('the operations endpoints and the OAuth metadata against their OpenAPI description', () => {
  const get = (url: string) => app.inject({ method: 'GET', url });

  it('documents health, readiness, metrics, the document, the page, metadata and JWKS', async () => {
    const checks: [string, LightMyRequestResponse][] = [
      ['/healthz', await get('/healthz')],
      ['/readyz', await get('/readyz')],
      ['/metrics', await get('/metrics')],
      ['/openapi.json', await get('/openapi.json')],
      ['/docs', await get('/docs')],
      ['/docs/{file}', await get('/docs/api-reference.css')],
      ['/docs/{file}', await get('/docs/nothing.js')],
      [
        '/.well-known/oauth-authorization-server',
        await get('/.well-known/oauth-authorization-server'),
      ],
      ['/.well-known/jwks.json', await get('/.well-known/jwks.json')],
    ];
    expect(checks.map(([, response]) => response.statusCode)).toEqual([
      200, 200, 200, 200, 200, 200, 404, 200, 200,
    ]);
    for (const [path, response] of checks) expectConforms(path, 'get', response);
  });

  it('documents the 503 of /readyz while the store is down', async () => {
    await store.close();
    const response = await get('/readyz');
    expect(response.statusCode).toBe(503);
    expectConforms('/readyz', 'get', response);
  });
});
