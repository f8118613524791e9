import type { SchemaObject } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TokenService } from '../../src/core/token-service.js';
import { createApp } from '../../src/http/app.js';
import type { DialectMount } from '../../src/http/faces/dialects/index.js';
import { createTestService } from '../helpers/service.js';
import {
  adidErrorStatuses,
  adidRequestBody,
  adidResponse200,
  aisquareAnyType,
  aisquareErrorStatuses,
  aisquareTokenRefresh,
  payabliErrorStatuses,
  payabliRequestTokenParameter,
  payabliResponseUserMfa,
  sevenGErrorStatuses,
  sevenGHeaderNames,
  sevenGRequestBody,
  sevenGResponse,
  transakAuthorizationParameter,
  transakErrorStatuses,
  transakInternalServerError,
  transakResponse200,
} from './published-schemas.js';

// /openapi.json (and /docs) of apps with the dialects mounted: the published paths, methods,
// parameters and schemas (published-schemas.ts), the error statuses of docs/dialects.md, and only
// the mounted dialects, under their prefix.

const ajv = new Ajv2020({ strict: false, allErrors: true });

interface MediaType {
  schema: unknown;
}
interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: unknown;
}
interface Operation {
  operationId?: string;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, MediaType> };
  responses: Record<string, { description?: string; content?: Record<string, MediaType> }>;
}
interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
}

interface Running {
  url: string;
  app: FastifyInstance;
  service: TokenService;
}

/** What docs/dialects.md and the vendors' API references say about each dialect's operation. */
const DIALECTS = [
  {
    name: 'payabli',
    method: 'post',
    path: '/api/User/authrefresh',
    operationId: 'auth-refresh-user', // Payabli's API reference
    errors: payabliErrorStatuses,
    errorMediaType: 'application/json',
  },
  {
    name: 'transak',
    method: 'get',
    path: '/api/v2/auth/refresh',
    operationId: 'refresh-user-access-token', // Transak's API reference
    errors: transakErrorStatuses,
    errorMediaType: 'application/json',
  },
  {
    name: 'sevenG',
    method: 'post',
    path: '/User/RefreshToken',
    operationId: undefined, // 7G's API reference names none
    errors: sevenGErrorStatuses,
    errorMediaType: 'application/problem+json',
  },
  {
    name: 'aisquare',
    method: 'post',
    path: '/api/v1/token/refresh/',
    operationId: 'refresh-create', // AISquare Studio's API reference
    errors: aisquareErrorStatuses,
    errorMediaType: 'application/json',
  },
  {
    name: 'adid',
    method: 'post',
    path: '/api/v1/auth/refresh',
    operationId: 'exchange-a-refresh-token-for-a-new-access-token', // adid's API reference
    errors: adidErrorStatuses,
    errorMediaType: 'application/json',
  },
] as const;

type DialectEntry = (typeof DIALECTS)[number];

function entry(name: DialectEntry['name']): DialectEntry {
  return DIALECTS.find((dialect) => dialect.name === name) as DialectEntry;
}

async function start(dialects: DialectMount[]): Promise<Running> {
  const { service } = await createTestService();
  const app = await createApp({ service, logger: false, dialects });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { url, app, service };
}

async function stop(running: Running | undefined): Promise<void> {
  if (running === undefined) return;
  await running.app.close();
  await running.service.close();
}

async function documentOf(url: string): Promise<OpenApiDocument> {
  const response = await fetch(`${url}/openapi.json`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^application\/json\b/);
  return (await response.json()) as OpenApiDocument;
}

function operationOf(document: OpenApiDocument, path: string, method: string): Operation {
  const operation = document.paths[path]?.[method];
  expect(operation, `${method.toUpperCase()} ${path} is in /openapi.json`).toBeDefined();
  return operation as Operation;
}

function responseSchema(operation: Operation, status: string, mediaType = 'application/json') {
  return operation.responses[status]?.content?.[mediaType]?.schema;
}

function headerParameter(operation: Operation, name: string): Parameter | undefined {
  return operation.parameters?.find(
    (parameter) => parameter.in === 'header' && parameter.name.toLowerCase() === name.toLowerCase(),
  );
}

/** A request through the dialect's method, with no credentials: only routing is in question. */
function probe(url: string, dialect: DialectEntry, prefix = ''): Promise<Response> {
  return fetch(`${url}${prefix}${dialect.path}`, { method: dialect.method.toUpperCase() });
}

describe('/openapi.json of an app with all five dialects', () => {
  let running: Running | undefined;
  let document: OpenApiDocument;

  beforeAll(async () => {
    running = await start(DIALECTS.map(({ name }) => ({ name, prefix: '' })));
    document = await documentOf(running.url);
  });
  afterAll(async () => {
    await stop(running);
  });

  it('is an OpenAPI 3.1 document', () => {
    expect(document.openapi).toMatch(/^3\.1\.\d+$/);
  });

  it.each(DIALECTS)('documents $name at its published method and path', (dialect) => {
    const operation = operationOf(document, dialect.path, dialect.method);
    if (dialect.operationId !== undefined) expect(operation.operationId).toBe(dialect.operationId);
    expect(Object.keys(operation.responses)).toContain('200');
  });

  it.each(DIALECTS)(
    'lists every error status docs/dialects.md documents for $name, with a body schema',
    (dialect) => {
      const operation = operationOf(document, dialect.path, dialect.method);
      const listed = dialect.errors.filter(
        (status) => responseSchema(operation, String(status), dialect.errorMediaType) !== undefined,
      );
      expect(listed).toEqual([...dialect.errors]);
    },
  );

  it.each(DIALECTS)(
    'describes $name with schemas that compile as JSON Schema 2020-12',
    (dialect) => {
      const operation = operationOf(document, dialect.path, dialect.method);
      const schemas: unknown[] = [
        ...(operation.parameters ?? []).map((parameter) => parameter.schema),
        ...Object.values(operation.requestBody?.content ?? {}).map((media) => media.schema),
        ...Object.values(operation.responses).flatMap((response) =>
          Object.values(response.content ?? {}).map((media) => media.schema),
        ),
      ];
      expect(schemas.length).toBeGreaterThan(0);
      for (const schema of schemas) {
        expect(schema, 'every parameter and media type has a schema').toBeTypeOf('object');
        expect(() => ajv.compile(schema as SchemaObject)).not.toThrow();
      }
    },
  );

  it('payabli: the requestToken header is required and the 200 schema is as published', () => {
    const { path, method } = entry('payabli');
    const operation = operationOf(document, path, method);
    expect(headerParameter(operation, 'requestToken')).toMatchObject(payabliRequestTokenParameter);
    expect(responseSchema(operation, '200')).toEqual(payabliResponseUserMfa);
  });

  it('transak: the authorization header is required, the 200 and error schemas are as published', () => {
    const { path, method, errors } = entry('transak');
    const operation = operationOf(document, path, method);
    expect(headerParameter(operation, 'authorization')).toMatchObject(
      transakAuthorizationParameter,
    );
    expect(responseSchema(operation, '200')).toEqual(transakResponse200);
    for (const status of errors) {
      expect(responseSchema(operation, String(status)), `transak ${status}`).toEqual(
        transakInternalServerError,
      );
    }
  });

  it('sevenG: Authorization and Version are required headers, the bodies are as published', () => {
    const { path, method } = entry('sevenG');
    const operation = operationOf(document, path, method);
    for (const name of sevenGHeaderNames) {
      expect(headerParameter(operation, name), name).toMatchObject({
        in: 'header',
        required: true,
        schema: { type: 'string' },
      });
    }
    // The only Version Baton speaks is 2.0 (docs/dialects.md): the schema must accept it.
    const version = headerParameter(operation, 'Version')?.schema as SchemaObject;
    expect(ajv.compile(version)('2.0')).toBe(true);
    expect(operation.requestBody?.content['application/json']?.schema).toEqual(sevenGRequestBody);
    expect(responseSchema(operation, '200')).toEqual(sevenGResponse);
  });

  it('aisquare: the request body is the published TokenRefresh, the 200 and 400 are "Any type"', () => {
    const { path, method } = entry('aisquare');
    const operation = operationOf(document, path, method);
    expect(operation.requestBody?.content['application/json']?.schema).toEqual(
      aisquareTokenRefresh,
    );
    expect(responseSchema(operation, '200')).toEqual(aisquareAnyType);
    expect(responseSchema(operation, '400')).toEqual(aisquareAnyType);
  });

  it('adid: the request body is as published, the 200 is the published object with Baton’s fields', () => {
    const { path, method } = entry('adid');
    const operation = operationOf(document, path, method);
    expect(operation.requestBody?.content['application/json']?.schema).toEqual(adidRequestBody);
    const ok = responseSchema(operation, '200') as SchemaObject;
    expect(ok).toMatchObject({ type: adidResponse200.type, title: adidResponse200.title });
    expect(Object.keys((ok.properties ?? {}) as object).sort()).toEqual([
      'accessToken',
      'expiresIn',
      'refreshToken',
    ]);
  });

  it('lists the five dialect paths on /docs', async () => {
    const page = await (await fetch(`${(running as Running).url}/docs`)).text();
    for (const dialect of DIALECTS) expect(page).toContain(`<code>${dialect.path}</code>`);
  });
});

describe('an app with only payabli and adid', () => {
  let running: Running | undefined;

  afterEach(async () => {
    await stop(running);
    running = undefined;
  });

  it('documents and serves those two and no other dialect', async () => {
    running = await start([
      { name: 'payabli', prefix: '' },
      { name: 'adid', prefix: '' },
    ]);
    const document = await documentOf(running.url);
    const page = await (await fetch(`${running.url}/docs`)).text();
    const issued = await running.service.issueSession({ subject: 'alice' });

    for (const dialect of DIALECTS) {
      const mounted = dialect.name === 'payabli' || dialect.name === 'adid';
      expect(document.paths[dialect.path]?.[dialect.method] !== undefined, dialect.name).toBe(
        mounted,
      );
      expect(page.includes(`<code>${dialect.path}</code>`), `/docs ${dialect.name}`).toBe(mounted);
      if (!mounted) {
        const response = await probe(running.url, dialect);
        await response.arrayBuffer();
        expect(response.status, `${dialect.name} is not mounted`).toBe(404);
      }
    }

    const payabli = await fetch(`${running.url}/api/User/authrefresh`, {
      method: 'POST',
      headers: { requestToken: issued.accessToken },
    });
    expect(payabli.status).toBe(200);
    const adid = await fetch(`${running.url}/api/v1/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: issued.refreshToken }),
    });
    expect(adid.status).toBe(200);
    await Promise.all([payabli.arrayBuffer(), adid.arrayBuffer()]);
  });
});

describe('payabli under the prefix /gateway', () => {
  let running: Running | undefined;

  afterEach(async () => {
    await stop(running);
    running = undefined;
  });

  it('documents and serves /gateway/api/User/authrefresh, and not the bare path', async () => {
    running = await start([{ name: 'payabli', prefix: '/gateway' }]);
    const document = await documentOf(running.url);
    const operation = operationOf(document, '/gateway/api/User/authrefresh', 'post');
    expect(responseSchema(operation, '200')).toEqual(payabliResponseUserMfa);
    expect(document.paths['/api/User/authrefresh']).toBeUndefined();
    for (const dialect of DIALECTS) expect(document.paths[dialect.path]).toBeUndefined();

    const issued = await running.service.issueSession({ subject: 'alice' });
    const bare = await fetch(`${running.url}/api/User/authrefresh`, {
      method: 'POST',
      headers: { requestToken: issued.accessToken },
    });
    await bare.arrayBuffer();
    expect(bare.status).toBe(404);

    const prefixed = await fetch(`${running.url}/gateway/api/User/authrefresh`, {
      method: 'POST',
      headers: { requestToken: issued.accessToken },
    });
    expect(prefixed.status).toBe(200);
    expect(prefixed.headers.get('cache-control')).toBe('no-store');
    const body: unknown = await prefixed.json();
    const validate = ajv.compile(payabliResponseUserMfa);
    expect(validate(body) ? [] : validate.errors).toEqual([]);
    expect(body).toMatchObject({ isSuccess: true, responseData: expect.any(String) });
  });
});
