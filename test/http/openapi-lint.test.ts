import { createConfig, lintFromString, type NormalizedProblem } from '@redocly/openapi-core';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECT_NAMES } from '../../src/core/dialects.js';
import { ERROR_CODES } from '../../src/core/errors.js';
import type { TokenService } from '../../src/core/token-service.js';
import { createApp } from '../../src/http/app.js';
import { createTestService } from '../helpers/service.js';

// /openapi.json linted by Redocly's OpenAPI linter, with every rule of its `recommended` set as
// an error (`recommended-strict`), and the conventions the reference relies on.

interface Response {
  description?: string;
  headers?: Record<string, unknown>;
  content?: Record<string, { schema?: unknown }>;
}
interface Operation {
  operationId?: string;
  summary?: string;
  security?: Record<string, string[]>[];
  responses: Record<string, Response>;
}
interface Document {
  info: { description?: string };
  paths: Record<string, Record<string, Operation>>;
}

const SOURCE = 'http://baton.test/openapi.json';

/**
 * Every recommended rule as an error, with two exceptions, each for a reason:
 * - `info-license`: Baton has no licence yet (package.json says UNLICENSED), so none is stated.
 * - `no-path-trailing-slash`, for the aisquare path only: its published API (a Django REST
 *   framework route) ends in `/`, and clients call it so.
 * - `operation-2xx-response`, for `GET /` only: it redirects to the console (302), and does
 *   nothing else.
 */
async function lint(document: string, prefix = ''): Promise<NormalizedProblem[]> {
  const aisquarePath = `${prefix}/api/v1/token/refresh/`.replaceAll('/', '~1');
  const config = await createConfig(
    { extends: ['recommended-strict'], rules: { 'info-license': 'off' } },
    {
      ignore: {
        [SOURCE]: {
          'no-path-trailing-slash': new Set([`#/paths/${aisquarePath}`]),
          'operation-2xx-response': new Set(['#/paths/~1/get/responses']),
        },
      },
    },
  );
  const problems = await lintFromString({ source: document, absoluteRef: SOURCE, config });
  return problems.filter((problem) => problem.ignored !== true);
}

const describeProblems = (problems: NormalizedProblem[]) =>
  problems.map(
    (problem) =>
      `${problem.severity} ${problem.ruleId} ${problem.location[0]?.pointer ?? ''}: ${problem.message}`,
  );

interface Running {
  app: FastifyInstance;
  service: TokenService;
  source: string;
  document: Document;
}

async function start(issuer: string, prefix: string): Promise<Running> {
  const { service } = await createTestService({ issuer });
  const app = await createApp({
    service,
    logger: false,
    dialects: DIALECT_NAMES.map((name) => ({ name, prefix })),
  });
  const response = await app.inject({ method: 'GET', url: '/openapi.json' });
  expect(response.statusCode).toBe(200);
  return { app, service, source: response.body, document: response.json<Document>() };
}

function operations(document: Document): [string, Operation][] {
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(
      ([method, operation]) =>
        [`${method.toUpperCase()} ${path}`, operation] as [string, Operation],
    ),
  );
}

describe('/openapi.json of an app with every face and dialect', () => {
  let running: Running;

  beforeAll(async () => {
    running = await start('http://baton.test', '');
  });
  afterAll(async () => {
    await running.app.close();
    await running.service.close();
  });

  it('passes the Redocly linter with every recommended rule as an error', async () => {
    expect(describeProblems(await lint(running.source))).toEqual([]);
  });

  it('gives every operation a unique operationId and a summary', () => {
    const all = operations(running.document);
    expect(all.length).toBeGreaterThan(25);
    const missing = all.filter(([, op]) => !op.operationId || !op.summary).map(([name]) => name);
    expect(missing).toEqual([]);
    const ids = all.map(([, op]) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('gives every operation a 4xx response and a security requirement', () => {
    const all = operations(running.document);
    const without4xx = all
      .filter(([, op]) => !Object.keys(op.responses).some((status) => /^4\d\d$/.test(status)))
      .map(([name]) => name);
    expect(without4xx).toEqual([]);
    const withoutSecurity = all.filter(([, op]) => !Array.isArray(op.security));
    expect(withoutSecurity.map(([name]) => name)).toEqual([]);
  });

  it('types the body of every response but the empty 200 of /oauth/revoke', () => {
    const untyped = operations(running.document).flatMap(([name, op]) =>
      Object.entries(op.responses)
        .filter(([, response]) => {
          const media = Object.values(response.content ?? {});
          return media.length === 0 || media.some((entry) => typeof entry.schema !== 'object');
        })
        .map(([status]) => `${name} ${status}`),
    );
    expect(untyped).toEqual(['POST /oauth/revoke 200']);
  });

  it('documents Retry-After on every 429, and on every 503 but the readiness probe', () => {
    const missing = operations(running.document).flatMap(([name, op]) =>
      ['429', '503']
        .filter((status) => op.responses[status] !== undefined)
        .filter((status) => op.responses[status]?.headers?.['Retry-After'] === undefined)
        .map((status) => `${name} ${status}`),
    );
    expect(missing).toEqual(['GET /readyz 503']);
  });

  it('marks the public endpoints public and the admin API behind the admin token', () => {
    for (const [name, op] of operations(running.document)) {
      if (name.includes(' /admin/')) expect(op.security, name).toEqual([{ adminBearer: [] }]);
      if (/ \/(healthz|readyz|metrics|openapi\.json|docs)/.test(name))
        expect(op.security, name).toEqual([]);
    }
    const token = running.document.paths['/oauth/token']?.post;
    expect(token?.security).toEqual([{}, { clientBasic: [] }]);
  });

  it('lists every error code, with its status and reason, in the description', () => {
    const description = running.document.info.description ?? '';
    for (const [code, { status, reason }] of Object.entries(ERROR_CODES)) {
      expect(description).toContain(`| \`${code}\` | ${status} |`);
      expect(description).toContain(`\`${reason}\``);
    }
    expect(description).not.toContain('errors.md');
  });
});

describe('/openapi.json with an issuer path and the dialects under a prefix', () => {
  let running: Running;

  beforeAll(async () => {
    running = await start('http://baton.test/tenant', '/compat');
  });
  afterAll(async () => {
    await running.app.close();
    await running.service.close();
  });

  it('still passes the linter, with the path-suffixed metadata as an operation of its own', async () => {
    expect(running.document.paths['/.well-known/oauth-authorization-server/tenant']).toBeDefined();
    expect(running.document.paths['/compat/api/User/authrefresh']).toBeDefined();
    expect(describeProblems(await lint(running.source, '/compat'))).toEqual([]);
  });
});

describe('the lint itself', () => {
  it('fails a document with a duplicate operationId, a missing summary or no 4xx', async () => {
    const { service } = await createTestService();
    const app = await createApp({ service, logger: false });
    try {
      const document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<Document>();
      const token = document.paths['/oauth/token']?.post as Operation;
      const revoke = document.paths['/oauth/revoke']?.post as Operation;
      revoke.operationId = token.operationId as string;
      delete token.summary;
      for (const status of Object.keys(token.responses))
        if (status.startsWith('4')) delete token.responses[status];
      const rules = (await lint(JSON.stringify(document))).map((problem) => problem.ruleId);
      expect(rules).toEqual(
        expect.arrayContaining([
          'operation-operationId-unique',
          'operation-summary',
          'operation-4xx-response',
        ]),
      );
    } finally {
      await app.close();
      await service.close();
    }
  });
});
