import { Ajv2020 } from 'ajv/dist/2020.js';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/core/clock.js';
import type { Store } from '../../src/core/store.js';
import type { TokenService } from '../../src/core/token-service.js';
import { createApp } from '../../src/http/app.js';
import { ADMIN_TOKEN, createTestService, T0 } from '../helpers/service.js';

interface JsonSchema {
  type?: string;
  properties?: Record<string, unknown>;
}
interface MediaType {
  schema: JsonSchema;
}
interface Operation {
  requestBody?: { content: Record<string, MediaType> };
  responses: Record<string, { content?: Record<string, MediaType> }>;
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

/**
 * Checks a real response against the operation's documented response: its status is
 * documented, its media type is the documented one, the body validates against the schema, and
 * the body has no field the schema does not name.
 */
function expectConforms(path: string, method: string, response: LightMyRequestResponse): void {
  const documented = operation(path, method).responses[String(response.statusCode)];
  expect(
    documented,
    `status ${response.statusCode} of ${method} ${path} is documented`,
  ).toBeDefined();
  const content = documented?.content?.['application/json'];
  expect(
    content,
    `status ${response.statusCode} of ${method} ${path} has a JSON schema`,
  ).toBeDefined();
  expect(response.headers['content-type']).toMatch(/^application\/json\b/);
  const schema = (content as MediaType).schema;
  const body: unknown = response.json();
  const validate = ajv.compile(schema);
  expect(validate(body) ? [] : validate.errors).toEqual([]);
  if (schema.properties !== undefined) {
    const undocumented = Object.keys(body as object).filter(
      (key) => !Object.hasOwn(schema.properties as object, key),
    );
    expect(undocumented).toEqual([]);
  }
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
