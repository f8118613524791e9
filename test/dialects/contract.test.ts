import { request as httpRequest, STATUS_CODES, type OutgoingHttpHeaders } from 'node:http';
import type { SchemaObject } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/core/clock.js';
import type { DialectName } from '../../src/core/dialects.js';
import type { Store } from '../../src/core/store.js';
import type { TokenService, TokenServiceOptions } from '../../src/core/token-service.js';
import { createApp } from '../../src/http/app.js';
import type { DialectMount } from '../../src/http/faces/dialects/index.js';
import { createTestService, verifyWithJose } from '../helpers/service.js';
import {
  adidBatonSuccess,
  adidErrorBody,
  adidRequestBody,
  adidResponse200,
  aisquareBatonSuccess,
  aisquareDetail,
  aisquareFieldErrors,
  aisquareTokenNotValid,
  aisquareTokenRefresh,
  aisquareUnavailable,
  payabliBatonSuccess,
  payabliErrorBody,
  payabliResponseUserMfa,
  sevenGProblemDetails,
  sevenGRequestBody,
  sevenGResponse,
  transakErrorBody,
  transakResponse200,
} from './published-schemas.js';

// Contract tests of the five wire dialects (docs/dialects.md) over a real socket: every answer a
// real server gives is validated against the schemas transcribed from the vendors' published API
// reference pages (published-schemas.ts), against the error bodies docs/dialects.md promises, and
// against the server's own /openapi.json.

const ajv = new Ajv2020({ strict: false, allErrors: true });

const ALL_DIALECTS: DialectMount[] = (
  ['payabli', 'transak', 'sevenG', 'aisquare', 'adid'] as const
).map((name) => ({ name, prefix: '' }));

/** A refresh token of the right shape that names no session. */
const WELL_FORMED_UNKNOWN = `rt_${'A'.repeat(65)}`;
/** Longest token a dialect header or field accepts (docs/dialects.md). */
const MAX_TOKEN = 4096;
/** Default reuse grace, in seconds. */
const GRACE = 10;

type Json = Record<string, unknown>;

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: unknown;
}

interface Server {
  url: string;
  app: FastifyInstance;
  service: TokenService;
  clock: ManualClock;
  store: Store;
  document?: OpenApiDocument;
}

interface OpenApiDocument {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>
  >;
}

/** The credentials a client holds. */
interface Tokens {
  accessToken: string;
  refreshToken: string;
  sessionId?: string;
}

const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    await server.app.close();
    await server.service.close();
  }
});

/** A real server with every dialect mounted at its documented path, on an ephemeral port. */
async function start(options: Partial<TokenServiceOptions> = {}): Promise<Server> {
  const { service, clock, store } = await createTestService(options);
  const app = await createApp({ service, logger: false, dialects: ALL_DIALECTS });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const server: Server = { url, app, service, clock, store };
  servers.push(server);
  return server;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

async function call(url: string, init: RequestInit): Promise<Answer> {
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: parse(text) };
}

/**
 * A request through node:http, for what fetch cannot send: a header field line repeated (fetch
 * joins repeated headers into one line).
 */
function rawCall(
  url: string,
  method: string,
  headers: Record<string, string | string[]>,
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      { method, headers: headers as OutgoingHttpHeaders, agent: false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const answerHeaders = new Headers();
          for (const [name, value] of Object.entries(response.headers)) {
            if (value !== undefined)
              answerHeaders.set(name, Array.isArray(value) ? value.join(', ') : value);
          }
          resolve({
            status: response.statusCode ?? 0,
            headers: answerHeaders,
            text,
            body: parse(text),
          });
        });
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

function expectSchema(schema: SchemaObject, body: unknown, label = 'body'): void {
  const validate = ajv.compile(schema);
  expect(validate(body) ? [] : validate.errors, `${label}: ${JSON.stringify(body)}`).toEqual([]);
}

async function documentOf(server: Server): Promise<OpenApiDocument> {
  server.document ??= (await (await fetch(`${server.url}/openapi.json`)).json()) as OpenApiDocument;
  return server.document;
}

// ---------------------------------------------------------------------------------------------
// The five dialects, as a client written against each published API calls them
// ---------------------------------------------------------------------------------------------

type ErrorKind = 'malformed' | 'credential' | 'limited' | 'unavailable';

interface MalformedCase {
  label: string;
  send: (base: string, tokens: Tokens) => Promise<Answer>;
}

interface Dialect {
  name: DialectName;
  path: string;
  method: 'get' | 'post';
  /** The credential a refresh presents: the access token (payabli, transak) or the refresh token. */
  credential: 'access' | 'refresh';
  /** What a credential that is not valid answers: 401, aisquare 400. */
  credentialStatus: 400 | 401;
  /** Errors are RFC 9457 problem details (`application/problem+json`). */
  problem: boolean;
  /** The well-formed refresh a client written against the published API sends. */
  send: (base: string, tokens: Tokens) => Promise<Answer>;
  /** The schemas a 200 body must satisfy: the published one, then what docs/dialects.md adds. */
  success: SchemaObject[];
  /** The tokens a client holds after a 200 body. */
  next: (body: Json, previous: Tokens) => Tokens;
  /** The error body schema of docs/dialects.md for this status and kind of failure. */
  errorSchema: (status: number, kind: ErrorKind) => SchemaObject;
  malformed: MalformedCase[];
}

const json = (body: unknown): string => JSON.stringify(body);
const TOO_LARGE = 'x'.repeat(17 * 1024);

const payabli: Dialect = {
  name: 'payabli',
  path: '/api/User/authrefresh',
  method: 'post',
  credential: 'access',
  credentialStatus: 401,
  problem: false,
  send: (base, tokens) =>
    call(`${base}/api/User/authrefresh`, {
      method: 'POST',
      headers: { requestToken: tokens.accessToken },
    }),
  success: [payabliResponseUserMfa, payabliBatonSuccess],
  next: (body, previous) => ({ ...previous, accessToken: body.responseData as string }),
  errorSchema: () => payabliErrorBody,
  malformed: [
    {
      label: 'no requestToken header',
      send: (base) => call(`${base}/api/User/authrefresh`, { method: 'POST' }),
    },
    {
      label: 'an empty requestToken (Payabli’s published samples send one)',
      send: (base) =>
        call(`${base}/api/User/authrefresh`, { method: 'POST', headers: { requestToken: '' } }),
    },
    {
      label: 'requestToken sent twice',
      send: (base, tokens) =>
        rawCall(`${base}/api/User/authrefresh`, 'POST', {
          requestToken: [tokens.accessToken, tokens.accessToken],
        }),
    },
    {
      label: `a requestToken over ${MAX_TOKEN} characters`,
      send: (base) =>
        call(`${base}/api/User/authrefresh`, {
          method: 'POST',
          headers: { requestToken: 'a'.repeat(MAX_TOKEN + 1) },
        }),
    },
    {
      label: 'a body over 16 KiB',
      send: (base, tokens) =>
        call(`${base}/api/User/authrefresh`, {
          method: 'POST',
          headers: { requestToken: tokens.accessToken, 'content-type': 'text/plain' },
          body: TOO_LARGE,
        }),
    },
  ],
};

const transak: Dialect = {
  name: 'transak',
  path: '/api/v2/auth/refresh',
  method: 'get',
  credential: 'access',
  credentialStatus: 401,
  problem: false,
  send: (base, tokens) =>
    call(`${base}/api/v2/auth/refresh`, { headers: { authorization: tokens.accessToken } }),
  success: [transakResponse200],
  next: (body, previous) => ({
    ...previous,
    accessToken: (body.data as Json).accessToken as string,
  }),
  errorSchema: (status) => transakErrorBody(status),
  malformed: [
    {
      label: 'no authorization header',
      send: (base) => call(`${base}/api/v2/auth/refresh`, {}),
    },
    {
      label: 'an empty authorization (Transak’s published samples send one)',
      send: (base) => call(`${base}/api/v2/auth/refresh`, { headers: { authorization: '' } }),
    },
    {
      label: 'authorization sent twice',
      send: (base, tokens) =>
        rawCall(`${base}/api/v2/auth/refresh`, 'GET', {
          authorization: [tokens.accessToken, tokens.accessToken],
        }),
    },
    {
      label: `an authorization over ${MAX_TOKEN} characters`,
      send: (base) =>
        call(`${base}/api/v2/auth/refresh`, {
          headers: { authorization: 'a'.repeat(MAX_TOKEN + 1) },
        }),
    },
  ],
};

function sevenGCall(
  base: string,
  headers: Record<string, string>,
  body: string | undefined,
): Promise<Answer> {
  return call(`${base}/User/RefreshToken`, {
    method: 'POST',
    headers,
    ...(body === undefined ? {} : { body }),
  });
}

const sevenGHeaders = (tokens: Tokens): Record<string, string> => ({
  authorization: `Bearer ${tokens.accessToken}`,
  'content-type': 'application/json',
  version: '2.0',
});

const sevenG: Dialect = {
  name: 'sevenG',
  path: '/User/RefreshToken',
  method: 'post',
  credential: 'refresh',
  credentialStatus: 401,
  problem: true,
  send: (base, tokens) =>
    sevenGCall(base, sevenGHeaders(tokens), json({ refreshToken: tokens.refreshToken })),
  success: [sevenGResponse],
  next: (body) => ({
    accessToken: body.accessToken as string,
    refreshToken: body.refreshToken as string,
  }),
  errorSchema: (status) => sevenGProblemDetails(status),
  malformed: [
    {
      label: 'no Version header',
      send: (base, tokens) => {
        const { version: _version, ...headers } = sevenGHeaders(tokens);
        return sevenGCall(base, headers, json({ refreshToken: tokens.refreshToken }));
      },
    },
    {
      label: 'Version 1.0',
      send: (base, tokens) =>
        sevenGCall(
          base,
          { ...sevenGHeaders(tokens), version: '1.0' },
          json({ refreshToken: tokens.refreshToken }),
        ),
    },
    {
      label: 'no Authorization (the refresh token alone is insufficient)',
      send: (base, tokens) => {
        const { authorization: _authorization, ...headers } = sevenGHeaders(tokens);
        return sevenGCall(base, headers, json({ refreshToken: tokens.refreshToken }));
      },
    },
    {
      label: 'Authorization sent twice',
      send: (base, tokens) =>
        rawCall(
          `${base}/User/RefreshToken`,
          'POST',
          {
            ...sevenGHeaders(tokens),
            authorization: [`Bearer ${tokens.accessToken}`, `Bearer ${tokens.accessToken}`],
          },
          json({ refreshToken: tokens.refreshToken }),
        ),
    },
    {
      label: 'no refreshToken in the body',
      send: (base, tokens) => sevenGCall(base, sevenGHeaders(tokens), json({})),
    },
    {
      label: 'no body at all',
      send: (base, tokens) => sevenGCall(base, sevenGHeaders(tokens), undefined),
    },
    {
      label: 'refreshToken of the wrong JSON type',
      send: (base, tokens) => sevenGCall(base, sevenGHeaders(tokens), json({ refreshToken: 42 })),
    },
    {
      label: 'a body that is a JSON array',
      send: (base, tokens) => sevenGCall(base, sevenGHeaders(tokens), json([tokens.refreshToken])),
    },
    {
      label: 'invalid JSON',
      send: (base, tokens) => sevenGCall(base, sevenGHeaders(tokens), '{"refreshToken": '),
    },
    {
      label: 'a refreshToken over 255 characters (published as string(255))',
      send: (base, tokens) =>
        sevenGCall(base, sevenGHeaders(tokens), json({ refreshToken: 'r'.repeat(256) })),
    },
    {
      label: 'an unsupported content type',
      send: (base, tokens) =>
        sevenGCall(
          base,
          { ...sevenGHeaders(tokens), 'content-type': 'text/plain' },
          tokens.refreshToken,
        ),
    },
    {
      label: 'a body over 16 KiB',
      send: (base, tokens) =>
        sevenGCall(
          base,
          sevenGHeaders(tokens),
          json({ refreshToken: tokens.refreshToken, pad: TOO_LARGE }),
        ),
    },
  ],
};

function postJson(url: string, body: string | undefined, contentType = 'application/json') {
  return call(url, {
    method: 'POST',
    headers: { 'content-type': contentType },
    ...(body === undefined ? {} : { body }),
  });
}

const aisquareUrl = (base: string): string => `${base}/api/v1/token/refresh/`;

const aisquare: Dialect = {
  name: 'aisquare',
  path: '/api/v1/token/refresh/',
  method: 'post',
  credential: 'refresh',
  credentialStatus: 400,
  problem: false,
  send: (base, tokens) => postJson(aisquareUrl(base), json({ refresh: tokens.refreshToken })),
  success: [aisquareBatonSuccess],
  next: (body, previous) => ({
    accessToken: body.access as string,
    refreshToken: (body.refresh as string | undefined) ?? previous.refreshToken,
  }),
  errorSchema: (_status, kind) => {
    switch (kind) {
      case 'credential':
        return aisquareTokenNotValid;
      case 'malformed':
        return { anyOf: [aisquareFieldErrors, aisquareDetail] };
      case 'limited':
        return aisquareDetail;
      case 'unavailable':
        return aisquareUnavailable;
    }
  },
  malformed: [
    {
      label: 'no refresh field',
      send: (base) => postJson(aisquareUrl(base), json({})),
    },
    {
      label: 'no body at all',
      send: (base) => call(aisquareUrl(base), { method: 'POST' }),
    },
    {
      label: 'refresh of the wrong JSON type',
      send: (base) => postJson(aisquareUrl(base), json({ refresh: 42 })),
    },
    {
      label: 'a blank refresh',
      send: (base) => postJson(aisquareUrl(base), json({ refresh: '' })),
    },
    {
      label: 'a body that is a JSON array',
      send: (base, tokens) => postJson(aisquareUrl(base), json([tokens.refreshToken])),
    },
    {
      label: 'invalid JSON',
      send: (base) => postJson(aisquareUrl(base), '{"refresh": '),
    },
    {
      label: `a refresh over ${MAX_TOKEN} characters`,
      send: (base) => postJson(aisquareUrl(base), json({ refresh: 'r'.repeat(MAX_TOKEN + 1) })),
    },
    {
      label: 'an unsupported content type',
      send: (base, tokens) => postJson(aisquareUrl(base), tokens.refreshToken, 'text/plain'),
    },
    {
      label: 'a body over 16 KiB',
      send: (base, tokens) =>
        postJson(aisquareUrl(base), json({ refresh: tokens.refreshToken, pad: TOO_LARGE })),
    },
  ],
};

const adidUrl = (base: string): string => `${base}/api/v1/auth/refresh`;

const adid: Dialect = {
  name: 'adid',
  path: '/api/v1/auth/refresh',
  method: 'post',
  credential: 'refresh',
  credentialStatus: 401,
  problem: false,
  send: (base, tokens) => postJson(adidUrl(base), json({ refreshToken: tokens.refreshToken })),
  success: [adidResponse200, adidBatonSuccess],
  next: (body, previous) => ({
    accessToken: body.accessToken as string,
    refreshToken: (body.refreshToken as string | undefined) ?? previous.refreshToken,
  }),
  errorSchema: () => adidErrorBody,
  malformed: [
    {
      label: 'no refreshToken field',
      send: (base) => postJson(adidUrl(base), json({})),
    },
    {
      label: 'no body at all',
      send: (base) => call(adidUrl(base), { method: 'POST' }),
    },
    {
      label: 'refreshToken of the wrong JSON type',
      send: (base) => postJson(adidUrl(base), json({ refreshToken: ['x'] })),
    },
    {
      label: 'an empty refreshToken',
      send: (base) => postJson(adidUrl(base), json({ refreshToken: '' })),
    },
    {
      label: 'a body that is a JSON array',
      send: (base, tokens) => postJson(adidUrl(base), json([tokens.refreshToken])),
    },
    {
      label: 'invalid JSON',
      send: (base) => postJson(adidUrl(base), '{"refreshToken": '),
    },
    {
      label: `a refreshToken over ${MAX_TOKEN} characters`,
      send: (base) => postJson(adidUrl(base), json({ refreshToken: 'r'.repeat(MAX_TOKEN + 1) })),
    },
    {
      label: 'an unsupported content type',
      send: (base, tokens) => postJson(adidUrl(base), tokens.refreshToken, 'text/plain'),
    },
    {
      label: 'a body over 16 KiB',
      send: (base, tokens) =>
        postJson(adidUrl(base), json({ refreshToken: tokens.refreshToken, pad: TOO_LARGE })),
    },
  ],
};

const DIALECTS: Dialect[] = [payabli, transak, sevenG, aisquare, adid];

/** The client's credentials with the one this dialect presents replaced by one that is not valid. */
function withBadCredential(dialect: Dialect, tokens: Tokens): Tokens {
  return dialect.credential === 'access'
    ? { ...tokens, accessToken: 'not-a-baton-token' }
    : { ...tokens, refreshToken: WELL_FORMED_UNKNOWN };
}

/** Checks that the status and media type of a real answer are documented in /openapi.json. */
async function expectDocumented(server: Server, dialect: Dialect, answer: Answer): Promise<void> {
  const document = await documentOf(server);
  const operation = document.paths[dialect.path]?.[dialect.method];
  expect(operation, `${dialect.method} ${dialect.path} is in /openapi.json`).toBeDefined();
  const documented = operation?.responses[String(answer.status)];
  expect(documented, `${dialect.name} ${answer.status} is documented`).toBeDefined();
  const mediaType = (answer.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
  const schema = documented?.content?.[mediaType]?.schema;
  expect(schema, `${dialect.name} ${answer.status} documents ${mediaType}`).toBeDefined();
  expectSchema(schema as SchemaObject, answer.body, `documented ${answer.status} schema`);
}

async function expectSuccess(server: Server, dialect: Dialect, answer: Answer): Promise<void> {
  expect(answer.status, answer.text).toBe(200);
  expect(answer.headers.get('content-type')).toMatch(/^application\/json\b/);
  expect(answer.headers.get('cache-control')).toBe('no-store');
  for (const schema of dialect.success) expectSchema(schema, answer.body);
  await expectDocumented(server, dialect, answer);
}

async function expectError(
  server: Server,
  dialect: Dialect,
  answer: Answer,
  status: number,
  kind: ErrorKind,
): Promise<void> {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.headers.get('content-type')).toMatch(
    dialect.problem ? /^application\/problem\+json\b/ : /^application\/json\b/,
  );
  expect(answer.headers.get('cache-control')).toBe('no-store');
  expectSchema(dialect.errorSchema(status, kind), answer.body);
  if (dialect.problem) expect((answer.body as Json).title).toBe(STATUS_CODES[status]);
  if (status === 401) expect(answer.headers.get('www-authenticate')).toMatch(/\S/);
  if (status === 429) {
    const wait = Number(answer.headers.get('retry-after'));
    expect(Number.isInteger(wait) && wait >= 1 && wait <= 60, `Retry-After ${wait}`).toBe(true);
  }
  if (status === 503) expect(answer.headers.get('retry-after')).toBe('2');
  await expectDocumented(server, dialect, answer);
}

// ---------------------------------------------------------------------------------------------
// What every dialect promises
// ---------------------------------------------------------------------------------------------

describe.each(DIALECTS)('$name', (dialect) => {
  it('answers a refresh with a 200 body that satisfies the published schema', async () => {
    const server = await start();
    const issued = await server.service.issueSession({ subject: 'alice' });
    const answer = await dialect.send(server.url, issued);
    await expectSuccess(server, dialect, answer);
    // The new access token is genuine, of the same session, for the same subject.
    const next = dialect.next(answer.body as Json, issued);
    expect(next.accessToken).not.toBe(issued.accessToken);
    const claims = await verifyWithJose(server.service, next.accessToken, server.clock.now());
    expect(claims).toMatchObject({ sub: 'alice', sid: issued.sessionId });
    // And it refreshes again through the same dialect.
    server.clock.advance(GRACE + 1);
    await expectSuccess(server, dialect, await dialect.send(server.url, next));
  });

  it('answers a retry inside the reuse grace with the byte-identical body', async () => {
    const server = await start();
    const issued = await server.service.issueSession({ subject: 'alice' });
    const first = await dialect.send(server.url, issued);
    await expectSuccess(server, dialect, first);
    server.clock.advance(GRACE - 1);
    const retry = await dialect.send(server.url, issued);
    await expectSuccess(server, dialect, retry);
    expect(retry.text).toBe(first.text);
  });

  it.each(dialect.malformed)('answers 400 to $label', async ({ send }) => {
    const server = await start();
    const issued = await server.service.issueSession({ subject: 'alice' });
    const answer = await send(server.url, issued);
    await expectError(server, dialect, answer, 400, 'malformed');
    // A malformed request used nothing up: the real credential still refreshes.
    await expectSuccess(server, dialect, await dialect.send(server.url, issued));
  });

  const credentialFailures: {
    label: string;
    arrange: (server: Server) => Promise<Tokens>;
  }[] = [
    {
      label: 'a credential Baton never issued',
      arrange: async ({ service }) =>
        withBadCredential(dialect, await service.issueSession({ subject: 'alice' })),
    },
    {
      label: 'a credential of a revoked session',
      arrange: async ({ service }) => {
        const issued = await service.issueSession({ subject: 'alice' });
        await service.revokeSession(issued.sessionId, 'admin');
        return issued;
      },
    },
    {
      label: 'a credential of a session past its idle limit',
      arrange: async ({ service, clock }) => {
        const issued = await service.issueSession({ subject: 'alice', idleTtl: 60 });
        clock.advance(61);
        return issued;
      },
    },
    {
      label: 'a credential used for a refresh, presented again after the grace',
      arrange: async (server) => {
        const issued = await server.service.issueSession({ subject: 'alice' });
        await expectSuccess(server, dialect, await dialect.send(server.url, issued));
        server.clock.advance(GRACE + 1);
        return issued;
      },
    },
    {
      label: "a session of a client that switched this dialect off (client 'dialects')",
      arrange: async ({ service }) => {
        const other = dialect.name === 'adid' ? 'payabli' : 'adid';
        await service.createClient({ id: 'narrow', dialects: [other] });
        return service.issueSession({ subject: 'alice', clientId: 'narrow' });
      },
    },
    {
      label: 'a session of a confidential client that lists no dialect',
      arrange: async ({ service }) => {
        await service.createClient({ id: 'api', confidential: true });
        return service.issueSession({ subject: 'alice', clientId: 'api' });
      },
    },
  ];

  it.each(credentialFailures)(
    `refuses ${dialect.credentialStatus === 401 ? 'with 401' : 'with 400 token_not_valid'}: $label`,
    async ({ arrange }) => {
      const server = await start();
      const tokens = await arrange(server);
      const answer = await dialect.send(server.url, tokens);
      await expectError(server, dialect, answer, dialect.credentialStatus, 'credential');
    },
  );

  it('allows a confidential client’s sessions through the dialects it lists', async () => {
    const server = await start();
    await server.service.createClient({ id: 'api', confidential: true, dialects: [dialect.name] });
    const issued = await server.service.issueSession({ subject: 'alice', clientId: 'api' });
    await expectSuccess(server, dialect, await dialect.send(server.url, issued));
  });

  it('answers 429 with Retry-After once an IP has failed too often, yet lets a good credential through', async () => {
    const server = await start({
      rateLimit: { ipFailures: 3, sessionFailures: 0, windowTtl: 60 },
    });
    const issued = await server.service.issueSession({ subject: 'alice' });
    const bad = withBadCredential(dialect, issued);
    const statuses: number[] = [];
    let answer = await dialect.send(server.url, bad);
    while (answer.status !== 429 && statuses.length < 10) {
      statuses.push(answer.status);
      answer = await dialect.send(server.url, bad);
    }
    expect(statuses).toEqual([
      dialect.credentialStatus,
      dialect.credentialStatus,
      dialect.credentialStatus,
    ]);
    await expectError(server, dialect, answer, 429, 'limited');
    // A limit never refuses a valid credential: only failures are answered 429.
    await expectSuccess(server, dialect, await dialect.send(server.url, issued));
    // A new window answers the bad credential as itself again.
    server.clock.advance(61);
    expect((await dialect.send(server.url, bad)).status).toBe(dialect.credentialStatus);
  });

  it('answers 503 with Retry-After: 2 when the store cannot be reached', async () => {
    const server = await start();
    const issued = await server.service.issueSession({ subject: 'alice' });
    await server.store.close();
    const answer = await dialect.send(server.url, issued);
    await expectError(server, dialect, answer, 503, 'unavailable');
  });
});

// ---------------------------------------------------------------------------------------------
// What each dialect promises beside that
// ---------------------------------------------------------------------------------------------

describe.each([payabli, transak])('$name (access-token refresh)', (dialect) => {
  it('refuses with 401 an access token revoked by id, and the session lives on', async () => {
    const server = await start();
    const issued = await server.service.issueSession({ subject: 'alice' });
    await server.service.revokeToken(issued.accessToken, { id: 'default', authenticated: false });
    const answer = await dialect.send(server.url, issued);
    await expectError(server, dialect, answer, 401, 'credential');
    await expectSuccess(server, adid, await adid.send(server.url, issued));
  });

  it('refuses the old access token inside the grace once the new one was used to refresh', async () => {
    const server = await start();
    const issued = await server.service.issueSession({ subject: 'alice' });
    const first = await dialect.send(server.url, issued);
    await expectSuccess(server, dialect, first);
    server.clock.advance(1);
    const second = dialect.next(first.body as Json, issued);
    await expectSuccess(server, dialect, await dialect.send(server.url, second));
    server.clock.advance(1);
    await expectError(server, dialect, await dialect.send(server.url, issued), 401, 'credential');
    // Presenting a retired access token did not end the session.
    expect(await server.service.getSession(issued.sessionId)).toMatchObject({ revokedAt: null });
  });

  it('carries the session’s refresh token forward instead of using it up', async () => {
    const server = await start();
    const issued = await server.service.issueSession({ subject: 'alice' });
    await expectSuccess(server, dialect, await dialect.send(server.url, issued));
    server.clock.advance(GRACE + 1);
    // The refresh token the client held from the start is still the current one.
    await expectSuccess(server, adid, await adid.send(server.url, issued));
  });
});

describe('payabli', () => {
  it('answers remaining and inactiveTokenTime in whole minutes: 15 and 10080 by default', async () => {
    const server = await start();
    const issued = await server.service.issueSession({ subject: 'alice' });
    const answer = await payabli.send(server.url, issued);
    await expectSuccess(server, payabli, answer);
    expect(answer.body).toMatchObject({ remaining: 15, inactiveTokenTime: 10080 });
  });

  it('rounds both down and caps inactiveTokenTime by the session’s absolute end', async () => {
    const server = await start();
    const issued = await server.service.issueSession({
      subject: 'alice',
      accessTtl: 125,
      refreshTtl: 3000,
    });
    server.clock.advance(100);
    const answer = await payabli.send(server.url, issued);
    await expectSuccess(server, payabli, answer);
    // 125 s is 2 min 5 s; the session ends 2900 s (48 min 20 s) after this refresh.
    expect(answer.body).toMatchObject({ remaining: 2, inactiveTokenTime: 48 });
  });

  it('ignores any body, whatever its content type', async () => {
    const server = await start();
    const issued = await server.service.issueSession({ subject: 'alice' });
    const answer = await call(`${server.url}/api/User/authrefresh`, {
      method: 'POST',
      headers: { requestToken: issued.accessToken, 'content-type': 'text/plain' },
      body: 'hello',
    });
    await expectSuccess(server, payabli, answer);
  });

  it('refuses an expired access token with 401', async () => {
    const server = await start();
    const issued = await server.service.issueSession({ subject: 'alice' });
    server.clock.advance(901);
    await expectError(server, payabli, await payabli.send(server.url, issued), 401, 'credential');
  });

  it('retires the presented access token at once, without ending the session', async () => {
    const server = await start();
    const issued = await server.service.issueSession({ subject: 'alice' });
    const answer = await payabli.send(server.url, issued);
    await expectSuccess(server, payabli, answer);
    expect(await server.service.introspect(issued.accessToken, 'admin')).toEqual({ active: false });
    server.clock.advance(GRACE + 1);
    const retired = await payabli.send(server.url, issued);
    await expectError(server, payabli, retired, 401, 'credential');
    // The retired token did not revoke the session: the new token and the refresh token work.
    const next = payabli.next(answer.body as Json, issued);
    await expectSuccess(server, payabli, await payabli.send(server.url, next));
    await expectSuccess(server, adid, await adid.send(server.url, issued));
  });
});

describe('transak', () => {
  it('takes the access token raw or as Bearer', async () => {
    const server = await start();
    const first = await server.service.issueSession({ subject: 'alice' });
    const second = await server.service.issueSession({ subject: 'bob' });
    await expectSuccess(server, transak, await transak.send(server.url, first));
    const bearer = await call(`${server.url}/api/v2/auth/refresh`, {
      headers: { authorization: `Bearer ${second.accessToken}` },
    });
    await expectSuccess(server, transak, bearer);
  });

  it('refuses an expired access token with 401 ("an expired token cannot be refreshed")', async () => {
    const server = await start();
    const issued = await server.service.issueSession({ subject: 'alice' });
    server.clock.advance(901);
    await expectError(server, transak, await transak.send(server.url, issued), 401, 'credential');
  });

  it('repeats the HTTP status in error.statusCode', async () => {
    const server = await start();
    const missing = await call(`${server.url}/api/v2/auth/refresh`, {});
    const invalid = await transak.send(server.url, { accessToken: 'x', refreshToken: 'y' });
    expect([missing.status, invalid.status]).toEqual([400, 401]);
    expect((missing.body as { error: Json }).error.statusCode).toBe(400);
    expect((invalid.body as { error: Json }).error.statusCode).toBe(401);
  });
});

describe('sevenG', () => {
  it('accepts a body that satisfies the published request body', async () => {
    const server = await start();
    const issued = await server.service.issueSession({ subject: 'alice' });
    const body = { refreshToken: issued.refreshToken, unknownField: true };
    expectSchema(sevenGRequestBody, body, 'request');
    const answer = await sevenGCall(server.url, sevenGHeaders(issued), json(body));
    await expectSuccess(server, sevenG, answer);
  });

  it('accepts an expired access token of the same session', async () => {
    const server = await start();
    const issued = await server.service.issueSession({ subject: 'alice' });
    server.clock.advance(901);
    await expectSuccess(server, sevenG, await sevenG.send(server.url, issued));
  });

  it('accepts an access token of an earlier generation of the same session', async () => {
    const server = await start();
    const issued = await server.service.issueSession({ subject: 'alice' });
    const viaAdid = await adid.send(server.url, issued);
    await expectSuccess(server, adid, viaAdid);
    const current = adid.next(viaAdid.body as Json, issued);
    server.clock.advance(GRACE + 1);
    const answer = await sevenG.send(server.url, {
      accessToken: issued.accessToken,
      refreshToken: current.refreshToken,
    });
    await expectSuccess(server, sevenG, answer);
  });

  it('refuses with 401 an access token of another session', async () => {
    const server = await start();
    const mine = await server.service.issueSession({ subject: 'alice' });
    const other = await server.service.issueSession({ subject: 'alice' });
    const answer = await sevenG.send(server.url, {
      accessToken: other.accessToken,
      refreshToken: mine.refreshToken,
    });
    await expectError(server, sevenG, answer, 401, 'credential');
  });

  it('refuses with 401 an access token that is not Baton’s', async () => {
    const server = await start();
    const issued = await server.service.issueSession({ subject: 'alice' });
    const answer = await sevenG.send(server.url, { ...issued, accessToken: 'eyJ.forged.token' });
    await expectError(server, sevenG, answer, 401, 'credential');
  });

  it('treats a 255-character refreshToken as a credential and 256 as malformed', async () => {
    const server = await start();
    const issued = await server.service.issueSession({ subject: 'alice' });
    const at255 = await sevenG.send(server.url, { ...issued, refreshToken: 'r'.repeat(255) });
    await expectError(server, sevenG, at255, 401, 'credential');
    const at256 = await sevenG.send(server.url, { ...issued, refreshToken: 'r'.repeat(256) });
    await expectError(server, sevenG, at256, 400, 'malformed');
  });

  it('rotates the refresh token and retires the previous access token', async () => {
    const server = await start();
    const issued = await server.service.issueSession({ subject: 'alice' });
    const answer = await sevenG.send(server.url, issued);
    await expectSuccess(server, sevenG, answer);
    const body = answer.body as Json;
    expect(body.refreshToken).not.toBe(issued.refreshToken);
    expect(await server.service.introspect(issued.accessToken, 'admin')).toEqual({ active: false });
  });

  it('answers the presented refresh token back when rotation is off for the client', async () => {
    const server = await start();
    await server.service.createClient({ id: 'static', rotate: false });
    const issued = await server.service.issueSession({ subject: 'alice', clientId: 'static' });
    const answer = await sevenG.send(server.url, issued);
    await expectSuccess(server, sevenG, answer);
    expect((answer.body as Json).refreshToken).toBe(issued.refreshToken);
  });

  it('accepts the body as application/x-www-form-urlencoded', async () => {
    const server = await start();
    const issued = await server.service.issueSession({ subject: 'alice' });
    const answer = await sevenGCall(
      server.url,
      { ...sevenGHeaders(issued), 'content-type': 'application/x-www-form-urlencoded' },
      new URLSearchParams({ refreshToken: issued.refreshToken }).toString(),
    );
    await expectSuccess(server, sevenG, answer);
  });
});

describe('aisquare', () => {
  it('accepts the published TokenRefresh body, whose access field it ignores', async () => {
    const server = await start();
    const issued = await server.service.issueSession({ subject: 'alice' });
    const body = { access: 'anything at all', refresh: issued.refreshToken };
    expectSchema(aisquareTokenRefresh, body, 'request');
    const answer = await postJson(aisquareUrl(server.url), json(body));
    await expectSuccess(server, aisquare, answer);
    expect(Object.keys(answer.body as Json).sort()).toEqual(['access', 'refresh']);
  });

  it('answers without refresh when rotation is off for the client', async () => {
    const server = await start();
    await server.service.createClient({ id: 'static', rotate: false });
    const issued = await server.service.issueSession({ subject: 'alice', clientId: 'static' });
    const answer = await aisquare.send(server.url, issued);
    await expectSuccess(server, aisquare, answer);
    expect(Object.keys(answer.body as Json)).toEqual(['access']);
  });

  it('accepts the body as application/x-www-form-urlencoded', async () => {
    const server = await start();
    const issued = await server.service.issueSession({ subject: 'alice' });
    const answer = await postJson(
      aisquareUrl(server.url),
      new URLSearchParams({ refresh: issued.refreshToken }).toString(),
      'application/x-www-form-urlencoded',
    );
    await expectSuccess(server, aisquare, answer);
  });

  it.each([
    ['no refresh field', json({}), { refresh: ['This field is required.'] }],
    ['refresh of the wrong JSON type', json({ refresh: 42 }), { refresh: ['Not a valid string.'] }],
    ['a null refresh', json({ refresh: null }), { refresh: ['This field may not be null.'] }],
    ['a blank refresh', json({ refresh: '' }), { refresh: ['This field may not be blank.'] }],
    [
      'a body that is a JSON list',
      json([{ refresh: 'x' }]),
      { non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] },
    ],
  ])('answers %s with the Django REST framework field error', async (_label, body, expected) => {
    const server = await start();
    const answer = await postJson(aisquareUrl(server.url), body);
    await expectError(server, aisquare, answer, 400, 'malformed');
    expect(answer.body).toEqual(expected);
  });

  it.each([
    ['a body that is not valid JSON', '{"refresh": ', 'application/json'],
    ['a body of another content type', 'refresh', 'text/plain'],
    ['a body over 16 KiB', json({ refresh: 'x', pad: TOO_LARGE }), 'application/json'],
  ])('answers %s with {"detail": "<what is malformed>"}', async (_label, body, type) => {
    const server = await start();
    const answer = await postJson(aisquareUrl(server.url), body, type);
    await expectError(server, aisquare, answer, 400, 'malformed');
    expectSchema(aisquareDetail, answer.body);
  });

  it('answers 429 with DRF’s throttle message naming the Retry-After seconds', async () => {
    const server = await start({
      rateLimit: { ipFailures: 1, sessionFailures: 0, windowTtl: 60 },
    });
    const bad = { accessToken: '', refreshToken: WELL_FORMED_UNKNOWN };
    await expectError(server, aisquare, await aisquare.send(server.url, bad), 400, 'credential');
    const answer = await aisquare.send(server.url, bad);
    await expectError(server, aisquare, answer, 429, 'limited');
    const wait = answer.headers.get('retry-after');
    expect(answer.body).toEqual({
      detail: `Request was throttled. Expected available in ${wait} seconds.`,
    });
  });
});

describe('adid', () => {
  it('answers expiresIn in seconds, the access-token lifetime', async () => {
    const server = await start({ accessTtl: 300 });
    const issued = await server.service.issueSession({ subject: 'alice' });
    const answer = await adid.send(server.url, issued);
    await expectSuccess(server, adid, answer);
    expect(answer.body).toMatchObject({ expiresIn: 300 });
    const claims = await verifyWithJose(
      server.service,
      (answer.body as Json).accessToken as string,
      server.clock.now(),
    );
    expect((claims.exp as number) - (claims.iat as number)).toBe(300);
  });

  it('answers without refreshToken when rotation is off for the client', async () => {
    const server = await start();
    await server.service.createClient({ id: 'static', rotate: false });
    const issued = await server.service.issueSession({ subject: 'alice', clientId: 'static' });
    const answer = await adid.send(server.url, issued);
    await expectSuccess(server, adid, answer);
    expect(Object.keys(answer.body as Json).sort()).toEqual(['accessToken', 'expiresIn']);
  });

  it('sends requests that satisfy the published request body, also as a form', async () => {
    const server = await start();
    const issued = await server.service.issueSession({ subject: 'alice' });
    expectSchema(adidRequestBody, { refreshToken: issued.refreshToken }, 'request');
    const answer = await postJson(
      adidUrl(server.url),
      new URLSearchParams({ refreshToken: issued.refreshToken, ignored: 'x' }).toString(),
      'application/x-www-form-urlencoded',
    );
    await expectSuccess(server, adid, answer);
  });

  it('revokes the session when a used refresh token comes back after its successor was used', async () => {
    const server = await start();
    const issued = await server.service.issueSession({ subject: 'alice' });
    const first = await adid.send(server.url, issued);
    await expectSuccess(server, adid, first);
    const second = adid.next(first.body as Json, issued);
    server.clock.advance(1);
    const secondAnswer = await adid.send(server.url, second);
    await expectSuccess(server, adid, secondAnswer);
    server.clock.advance(1);
    const reused = await adid.send(server.url, issued);
    await expectError(server, adid, reused, 401, 'credential');
    expect((reused.body as Json).error).toBe('reused');
    const third = adid.next(secondAnswer.body as Json, second);
    const after = await adid.send(server.url, third);
    await expectError(server, adid, after, 401, 'credential');
    expect((after.body as Json).error).toBe('revoked');
  });

  it('answers 429 once a session has failed too often (a dialect switched off counts)', async () => {
    const server = await start({
      rateLimit: { ipFailures: 0, sessionFailures: 2, windowTtl: 60 },
    });
    await server.service.createClient({ id: 'narrow', dialects: ['payabli'] });
    const issued = await server.service.issueSession({ subject: 'alice', clientId: 'narrow' });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const answer = await adid.send(server.url, issued);
      statuses.push(answer.status);
      if (answer.status === 429) await expectError(server, adid, answer, 429, 'limited');
      else await expectError(server, adid, answer, 401, 'credential');
    }
    expect(statuses).toEqual([401, 401, 429]);
  });

  it('names the reason of errors.md in error', async () => {
    const server = await start({
      rateLimit: { ipFailures: 3, sessionFailures: 0, windowTtl: 60 },
    });
    const issued = await server.service.issueSession({ subject: 'alice' });
    const reasons: unknown[] = [];
    reasons.push((await postJson(adidUrl(server.url), json({}))).body);
    reasons.push((await adid.send(server.url, withBadCredential(adid, issued))).body);
    await expectSuccess(server, adid, await adid.send(server.url, issued));
    server.clock.advance(GRACE + 1);
    reasons.push((await adid.send(server.url, issued)).body); // reuse: the session ends
    reasons.push((await adid.send(server.url, issued)).body); // the session has ended
    reasons.push((await adid.send(server.url, issued)).body); // over the IP's limit
    expect(reasons.map((body) => (body as Json).error)).toEqual([
      'invalid_request',
      'unknown',
      'reused',
      'revoked',
      'rate_limited',
    ]);
  });
});

describe('one family per session across the dialects', () => {
  it('refreshes one session through all five faces in turn, and each retires the last', async () => {
    const server = await start();
    const issued = await server.service.issueSession({ subject: 'alice' });
    let tokens: Tokens = issued;
    const seen: string[] = [issued.accessToken];
    const first = await verifyWithJose(server.service, issued.accessToken, server.clock.now());
    for (const dialect of [adid, payabli, sevenG, transak, aisquare, payabli, adid]) {
      const answer = await dialect.send(server.url, tokens);
      await expectSuccess(server, dialect, answer);
      tokens = dialect.next(answer.body as Json, tokens);
      seen.push(tokens.accessToken);
      for (const old of seen.slice(0, -1))
        expect(await server.service.introspect(old, 'admin')).toEqual({ active: false });
      const claims = await verifyWithJose(server.service, tokens.accessToken, server.clock.now());
      expect(claims).toMatchObject({
        sid: issued.sessionId,
        gen: (first.gen as number) + seen.length - 1,
      });
      server.clock.advance(1);
    }
  });
});
