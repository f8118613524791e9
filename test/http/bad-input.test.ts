import { Writable } from 'node:stream';
import type { FastifyInstance, HTTPMethods, InjectOptions, LightMyRequestResponse } from 'fastify';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MAX_ACCESS_TTL, MAX_REFRESH_TTL, MAX_REUSE_GRACE } from '../../src/core/config.js';
import { ERROR_CODES, type ErrorCode } from '../../src/core/errors.js';
import type { TokenService } from '../../src/core/token-service.js';
import { BODY_LIMIT, createApp } from '../../src/http/app.js';
import { MAX_PARAM_LENGTH } from '../../src/http/params.js';
import { ADMIN_TOKEN, createTestService } from '../helpers/service.js';

/**
 * Hostile input against every endpoint: bad input gets a clear 4xx in the face's own error format,
 * never a 500. One app serves the whole file, so that damage done by one request would show in the
 * next; after every case the server must still answer /healthz and refresh the case's own session.
 * Each request comes from its own IP, so that the failure rate limits (which are on, at their
 * defaults) never turn an expected error into a 429.
 */

type Face = 'oauth' | 'admin';

/** A session minted before each case; cases may put its tokens into their requests. */
interface Live {
  sessionId: string;
  refreshToken: string;
  accessToken: string;
}

interface ErrorCase {
  name: string;
  request: (live: Live) => InjectOptions;
  code: ErrorCode;
  /** What the description must say, when it must say something specific. */
  says?: RegExp;
  /** The format expected, when not the one of the URL's face. */
  face?: Face;
}

const asAdmin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const JSON_TYPE = { 'content-type': 'application/json' };
const FORM_TYPE = { 'content-type': 'application/x-www-form-urlencoded' };
const basic = (value: string): string => `Basic ${Buffer.from(value).toString('base64')}`;
const WELL_FORMED_UNKNOWN = `rt_${'A'.repeat(65)}`;

let app: FastifyInstance;
let service: TokenService;
let live: Live;
let ipCounter = 0;
const logLines: { level: number; msg?: string }[] = [];

/** A fresh client IP for each request: rate limits count per IP. */
function nextIp(): string {
  ipCounter += 1;
  return `10.${(ipCounter >> 16) & 255}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;
}

function send(options: InjectOptions): Promise<LightMyRequestResponse> {
  return app.inject({ remoteAddress: nextIp(), ...options });
}

const faceOf = (url: string): Face => (url.startsWith('/oauth/') ? 'oauth' : 'admin');

/** Asserts a 4xx in the face's own error format, carrying `code`. */
function expectFaceError(
  response: LightMyRequestResponse,
  face: Face,
  code: ErrorCode,
  says?: RegExp,
): void {
  const expected = ERROR_CODES[code];
  expect(response.statusCode, response.body).toBe(expected.status);
  expect(response.statusCode).toBeGreaterThanOrEqual(400);
  expect(response.statusCode).toBeLessThan(500);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  expect(response.headers['cache-control']).toBe('no-store');
  const body = response.json<Record<string, unknown>>();
  if (face === 'oauth') {
    expect(Object.keys(body).sort()).toEqual(['error', 'error_description', 'reason']);
    expect(body.reason).toBe(expected.reason);
  } else {
    expect(Object.keys(body).sort()).toEqual(['code', 'error', 'error_description']);
    expect(body.code).toBe(code);
  }
  expect(body.error).toBe(expected.error);
  expect(typeof body.error_description).toBe('string');
  const description = body.error_description as string;
  expect(description.length).toBeGreaterThan(0);
  // A description explains; it never echoes a long input (a token) back. (A 404 names the path.)
  if (code !== 'ERR_NOT_FOUND') expect(description.length).toBeLessThan(300);
  if (says !== undefined) expect(description).toMatch(says);
}

function runCases(cases: ErrorCase[]): void {
  it.each(cases)('$name', async ({ request, code, says, face }) => {
    const options = request(live);
    const response = await send(options);
    expectFaceError(response, face ?? faceOf(String(options.url)), code, says);
  });
}

beforeAll(async () => {
  ({ service } = await createTestService());
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line !== '') logLines.push(JSON.parse(line) as { level: number; msg?: string });
      }
      done();
    },
  });
  app = await createApp({ service, logger: pino({ level: 'warn' }, sink) });
});

afterAll(async () => {
  await app.close();
  await service.close();
});

beforeEach(async () => {
  const issued = await service.issueSession({ subject: 'victim', scope: 'read write' });
  live = {
    sessionId: issued.sessionId,
    refreshToken: issued.refreshToken,
    accessToken: issued.accessToken,
  };
});

afterEach(async () => {
  // Whatever the case sent, the server is still healthy, logged no error, and the session the
  // case could reach still refreshes.
  expect(logLines.filter((line) => line.level >= 50)).toEqual([]);
  const health = await send({ method: 'GET', url: '/healthz' });
  expect(health.statusCode).toBe(200);
  expect(health.json()).toEqual({ status: 'ok' });
  const refreshed = await send({
    method: 'POST',
    url: '/oauth/token',
    payload: { grant_type: 'refresh_token', refresh_token: live.refreshToken },
  });
  expect(refreshed.statusCode, refreshed.body).toBe(200);
  expect(refreshed.json()).toMatchObject({ token_type: 'Bearer', scope: 'read write' });
  expect(refreshed.json<{ refresh_token: string }>().refresh_token).not.toBe(live.refreshToken);
});

/** Endpoints that take a body, with the headers that get a request past authentication. */
const BODY_ENDPOINTS: { url: string; headers: Record<string, string> }[] = [
  { url: '/oauth/token', headers: {} },
  { url: '/oauth/revoke', headers: {} },
  { url: '/oauth/introspect', headers: asAdmin },
  { url: '/admin/sessions', headers: asAdmin },
  { url: '/admin/clients', headers: asAdmin },
];

/** Bodies no endpoint can make sense of, whatever its fields. */
const SHAPELESS_BODIES: {
  name: string;
  type: string;
  payload: string | Buffer;
  code: ErrorCode;
  says?: RegExp;
}[] = [
  {
    name: 'malformed JSON',
    type: 'application/json',
    payload: '{"grant_type": ',
    code: 'ERR_INVALID_REQUEST',
    says: /not valid JSON/,
  },
  {
    name: 'JSON with a trailing comma',
    type: 'application/json',
    payload: '{"token":"x",}',
    code: 'ERR_INVALID_REQUEST',
    says: /not valid JSON/,
  },
  // An empty JSON body reads as no body: the endpoint then names what is missing.
  {
    name: 'an empty JSON body',
    type: 'application/json',
    payload: '',
    code: 'ERR_INVALID_REQUEST',
    says: /required|must be object/,
  },
  { name: 'a JSON array', type: 'application/json', payload: '[]', code: 'ERR_INVALID_REQUEST' },
  {
    name: 'a JSON array of objects',
    type: 'application/json',
    payload: '[{"grant_type":"refresh_token","token":"x","subject":"a","id":"a"}]',
    code: 'ERR_INVALID_REQUEST',
  },
  { name: 'a JSON number', type: 'application/json', payload: '42', code: 'ERR_INVALID_REQUEST' },
  {
    name: 'a JSON string',
    type: 'application/json',
    payload: '"refresh_token"',
    code: 'ERR_INVALID_REQUEST',
  },
  { name: 'JSON null', type: 'application/json', payload: 'null', code: 'ERR_INVALID_REQUEST' },
  { name: 'JSON true', type: 'application/json', payload: 'true', code: 'ERR_INVALID_REQUEST' },
  {
    name: 'a __proto__ key (prototype poisoning)',
    type: 'application/json',
    payload: '{"__proto__":{"admin":true},"token":"x","subject":"a","id":"a"}',
    code: 'ERR_INVALID_REQUEST',
  },
  {
    name: 'a constructor.prototype key (prototype poisoning)',
    type: 'application/json',
    payload: '{"constructor":{"prototype":{"admin":true}}}',
    code: 'ERR_INVALID_REQUEST',
  },
  {
    name: 'JSON in UTF-16 with a byte-order mark',
    type: 'application/json; charset=utf-16le',
    payload: Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from('{"grant_type":"refresh_token"}', 'utf16le'),
    ]),
    code: 'ERR_INVALID_REQUEST',
    says: /not valid JSON/,
  },
  {
    name: 'deeply nested JSON arrays',
    type: 'application/json',
    payload: '['.repeat(5000) + ']'.repeat(5000),
    code: 'ERR_INVALID_REQUEST',
  },
  {
    name: 'a form whose only field name is a JSON document',
    type: 'application/x-www-form-urlencoded',
    payload: '{"grant_type":"refresh_token","token":"x"}',
    code: 'ERR_INVALID_REQUEST',
  },
  {
    name: 'a form with a repeated parameter',
    type: 'application/x-www-form-urlencoded',
    payload: 'token=a&token=b&subject=a&subject=b&id=a&id=b&grant_type=refresh_token',
    code: 'ERR_INVALID_REQUEST',
    says: /repeated/,
  },
  {
    name: 'an empty form',
    type: 'application/x-www-form-urlencoded',
    payload: '',
    code: 'ERR_INVALID_REQUEST',
  },
  {
    name: 'a text/plain body',
    type: 'text/plain',
    payload: 'grant_type=refresh_token',
    code: 'ERR_UNSUPPORTED_MEDIA_TYPE',
    says: /content type/,
  },
  {
    name: 'an application/xml body',
    type: 'application/xml',
    payload: '<token>x</token>',
    code: 'ERR_UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'a multipart/form-data body',
    type: 'multipart/form-data; boundary=x',
    payload:
      '--x\r\nContent-Disposition: form-data; name="token"\r\n\r\nrt_x\r\n--x\r\nContent-Disposition: form-data; name="grant_type"\r\n\r\nrefresh_token\r\n--x--\r\n',
    code: 'ERR_UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'an application/octet-stream body',
    type: 'application/octet-stream',
    payload: Buffer.from([0, 1, 2, 3]),
    code: 'ERR_UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'a JSON look-alike media type',
    type: 'application/vnd.api+json',
    payload: '{}',
    code: 'ERR_UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: `a JSON body over ${BODY_LIMIT} bytes`,
    type: 'application/json',
    payload: JSON.stringify({ token: 'x'.repeat(BODY_LIMIT), subject: 'a' }),
    code: 'ERR_BODY_TOO_LARGE',
    says: /16 KiB/,
  },
  {
    name: `a form body over ${BODY_LIMIT} bytes`,
    type: 'application/x-www-form-urlencoded',
    payload: `token=${'x'.repeat(BODY_LIMIT)}`,
    code: 'ERR_BODY_TOO_LARGE',
  },
  {
    name: `a JSON body of ${BODY_LIMIT + 1} bytes (one over the limit)`,
    type: 'application/json',
    payload: `{"token":"${'x'.repeat(BODY_LIMIT + 1 - '{"token":""}'.length)}"}`,
    code: 'ERR_BODY_TOO_LARGE',
  },
];

describe.each(BODY_ENDPOINTS)('POST $url refuses a shapeless body', ({ url, headers }) => {
  runCases(
    SHAPELESS_BODIES.map(({ name, type, payload, code, says }) => ({
      name: `${name} → ${ERROR_CODES[code].status} ${code}`,
      request: () => ({
        method: 'POST',
        url,
        headers: { ...headers, 'content-type': type },
        payload,
      }),
      code,
      ...(says === undefined ? {} : { says }),
    })),
  );

  it('a body without a content type → 415', async () => {
    const response = await send({ method: 'POST', url, headers, payload: 'token=x' });
    expectFaceError(response, faceOf(url), 'ERR_UNSUPPORTED_MEDIA_TYPE');
  });
});

describe('POST /admin/keys/rotate refuses a body it cannot parse', () => {
  runCases(
    SHAPELESS_BODIES.filter(
      (body) => body.code !== 'ERR_INVALID_REQUEST' || /not valid JSON|repeated/.test(body.name),
    ).map(({ name, type, payload, code }) => ({
      name: `${name} → ${ERROR_CODES[code].status} ${code}`,
      request: () => ({
        method: 'POST',
        url: '/admin/keys/rotate',
        headers: { ...asAdmin, 'content-type': type },
        payload,
      }),
      code,
    })),
  );

  it('and rotates nothing while refusing', async () => {
    const before = await service.listKeys();
    const response = await send({
      method: 'POST',
      url: '/admin/keys/rotate',
      headers: { ...asAdmin, ...JSON_TYPE },
      payload: '{"x":',
    });
    expectFaceError(response, 'admin', 'ERR_INVALID_REQUEST');
    expect(await service.listKeys()).toEqual(before);
  });
});

/** Values of the wrong JSON type for a field that must be a string. */
const NOT_STRINGS: [string, unknown][] = [
  ['a number', 1],
  ['zero', 0],
  ['a float', 1.5],
  ['true', true],
  ['false', false],
  ['null', null],
  ['an empty object', {}],
  ['an object', { value: 'rt_x' }],
  ['an empty array', []],
  ['an array of strings', ['refresh_token']],
];

function wrongTypeCases(
  url: string,
  headers: Record<string, string>,
  base: (live: Live) => Record<string, unknown>,
  fields: string[],
): ErrorCase[] {
  return fields.flatMap((field) =>
    NOT_STRINGS.map(([label, value]) => ({
      name: `${field} as ${label} → 400 invalid_request`,
      request: (session: Live) => ({
        method: 'POST',
        url,
        headers,
        payload: { ...base(session), [field]: value },
      }),
      code: 'ERR_INVALID_REQUEST' as const,
      says: new RegExp(`${field} must be a string`),
    })),
  );
}

describe('POST /oauth/token refuses bad fields', () => {
  const refresh = (session: Live) => ({
    grant_type: 'refresh_token',
    refresh_token: session.refreshToken,
  });
  runCases([
    ...wrongTypeCases('/oauth/token', {}, refresh, [
      'grant_type',
      'refresh_token',
      'scope',
      'client_id',
      'client_secret',
    ]),
    {
      name: 'no grant_type → 400 invalid_request',
      request: (s) => ({
        method: 'POST',
        url: '/oauth/token',
        payload: { refresh_token: s.refreshToken },
      }),
      code: 'ERR_INVALID_REQUEST',
      says: /grant_type is required/,
    },
    {
      name: 'an empty grant_type → 400 invalid_request',
      request: (s) => ({
        method: 'POST',
        url: '/oauth/token',
        payload: { grant_type: '', refresh_token: s.refreshToken },
      }),
      code: 'ERR_INVALID_REQUEST',
      says: /grant_type is required/,
    },
    ...[
      'password',
      'authorization_code',
      'client_credentials',
      'REFRESH_TOKEN',
      'refresh_token ',
    ].map((grant): ErrorCase => ({
      name: `grant_type ${JSON.stringify(grant)} → 400 unsupported_grant_type`,
      request: (s) => ({
        method: 'POST',
        url: '/oauth/token',
        payload: { grant_type: grant, refresh_token: s.refreshToken },
      }),
      code: 'ERR_UNSUPPORTED_GRANT_TYPE',
    })),
    {
      name: 'no refresh_token → 400 invalid_request',
      request: () => ({
        method: 'POST',
        url: '/oauth/token',
        payload: { grant_type: 'refresh_token' },
      }),
      code: 'ERR_INVALID_REQUEST',
      says: /refresh_token is required/,
    },
    {
      name: 'an empty refresh_token → 400 invalid_request',
      request: () => ({
        method: 'POST',
        url: '/oauth/token',
        payload: { grant_type: 'refresh_token', refresh_token: '' },
      }),
      code: 'ERR_INVALID_REQUEST',
      says: /refresh_token is required/,
    },
    {
      name: `a scope longer than ${MAX_PARAM_LENGTH} characters → 400 invalid_request`,
      request: (s) => ({
        method: 'POST',
        url: '/oauth/token',
        payload: { ...refresh(s), scope: 'r'.repeat(MAX_PARAM_LENGTH + 1) },
      }),
      code: 'ERR_INVALID_REQUEST',
      says: /scope is too long/,
    },
    ...['read"write', 'read  write', ' read', 'read\u0000', 'read\nwrite', 'réad'].map(
      (scope): ErrorCase => ({
        name: `a malformed scope ${JSON.stringify(scope)} → 400 invalid_scope`,
        request: (s) => ({
          method: 'POST',
          url: '/oauth/token',
          payload: { ...refresh(s), scope },
        }),
        code: 'ERR_INVALID_SCOPE',
      }),
    ),
    {
      name: 'a scope wider than the session → 400 invalid_scope',
      request: (s) => ({
        method: 'POST',
        url: '/oauth/token',
        payload: { ...refresh(s), scope: 'read admin' },
      }),
      code: 'ERR_INVALID_SCOPE',
    },
    {
      name: 'grant_type repeated in a form (same value twice) → 400 invalid_request',
      request: (s) => ({
        method: 'POST',
        url: '/oauth/token',
        headers: FORM_TYPE,
        payload: `grant_type=refresh_token&grant_type=refresh_token&refresh_token=${s.refreshToken}`,
      }),
      code: 'ERR_INVALID_REQUEST',
      says: /"grant_type" is repeated/,
    },
    {
      name: 'refresh_token repeated in a form → 400 invalid_request',
      request: (s) => ({
        method: 'POST',
        url: '/oauth/token',
        headers: FORM_TYPE,
        payload: `grant_type=refresh_token&refresh_token=${s.refreshToken}&refresh_token=${WELL_FORMED_UNKNOWN}`,
      }),
      code: 'ERR_INVALID_REQUEST',
      says: /"refresh_token" is repeated/,
    },
    {
      name: 'client_secret without client_id → 400 invalid_request',
      request: (s) => ({
        method: 'POST',
        url: '/oauth/token',
        payload: { ...refresh(s), client_secret: 'cs_x' },
      }),
      code: 'ERR_INVALID_REQUEST',
    },
    {
      name: 'an unknown client_id → 401 invalid_client',
      request: (s) => ({
        method: 'POST',
        url: '/oauth/token',
        payload: { ...refresh(s), client_id: 'no-such-client' },
      }),
      code: 'ERR_INVALID_CLIENT',
    },
    {
      name: 'a secret sent for the public default client → 401 invalid_client',
      request: (s) => ({
        method: 'POST',
        url: '/oauth/token',
        payload: { ...refresh(s), client_id: 'default', client_secret: 'guess' },
      }),
      code: 'ERR_INVALID_CLIENT',
    },
    {
      name: 'HTTP Basic and client_secret together → 400 invalid_request',
      request: (s) => ({
        method: 'POST',
        url: '/oauth/token',
        headers: { authorization: basic('default:') },
        payload: { ...refresh(s), client_secret: 'x' },
      }),
      code: 'ERR_INVALID_REQUEST',
    },
    {
      name: 'an HTTP Basic client other than the body client_id → 400 invalid_request',
      request: (s) => ({
        method: 'POST',
        url: '/oauth/token',
        headers: { authorization: basic('default:') },
        payload: { ...refresh(s), client_id: 'other' },
      }),
      code: 'ERR_INVALID_REQUEST',
    },
  ]);
});

describe('POST /oauth/token refuses garbage HTTP Basic credentials with 401', () => {
  const headerCases: [string, string][] = [
    ['Basic with no colon', basic('default')],
    ['Basic that is not base64', 'Basic !!!not*base64~~~'],
    ['Basic with an empty client id', basic(':secret')],
    ['Basic with broken percent-encoding', basic('%ZZ:x')],
    ['Basic of an unknown client', basic('no-such-client:secret')],
    ['Basic with a secret for the public client', basic('default:secret')],
    ['Basic with NUL bytes', basic('\u0000:\u0000')],
    ['Basic of 64 KiB', `Basic ${'QUFB'.repeat(16 * 1024)}`],
  ];
  runCases(
    headerCases.map(([name, authorization]) => ({
      name: `${name} → 401 invalid_client`,
      request: (s: Live) => ({
        method: 'POST',
        url: '/oauth/token',
        headers: { authorization },
        payload: { grant_type: 'refresh_token', refresh_token: s.refreshToken },
      }),
      code: 'ERR_INVALID_CLIENT',
    })),
  );

  it('a 401 names the Basic scheme in WWW-Authenticate', async () => {
    const response = await send({
      method: 'POST',
      url: '/oauth/token',
      headers: { authorization: basic('default') },
      payload: { grant_type: 'refresh_token', refresh_token: live.refreshToken },
    });
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(/^Basic realm="baton"/);
  });
});

describe('POST /oauth/token refuses garbage refresh tokens as invalid_grant/unknown', () => {
  const garbage: [string, (s: Live) => string][] = [
    ['a random word', () => 'hello'],
    ['the bare prefix rt_', () => 'rt_'],
    ['rt_ with a body one character short', () => `rt_${'A'.repeat(64)}`],
    ['rt_ with a body one character long', () => `rt_${'A'.repeat(66)}`],
    ['rt_ with base64 (not base64url) characters', () => `rt_${'+/'.repeat(21)}=`],
    ['a well-formed token that was never issued', () => WELL_FORMED_UNKNOWN],
    ['the real token with an upper-case prefix', (s) => `RT_${s.refreshToken.slice(3)}`],
    ['the real token with a leading space', (s) => ` ${s.refreshToken}`],
    ['the real token with a trailing space', (s) => `${s.refreshToken} `],
    ['the real token with a trailing newline', (s) => `${s.refreshToken}\n`],
    ['the real token with a trailing NUL', (s) => `${s.refreshToken}\u0000`],
    [
      'the real token with its last character changed',
      (s) => s.refreshToken.slice(0, -1) + (s.refreshToken.endsWith('A') ? 'B' : 'A'),
    ],
    ['the real token without its prefix', (s) => s.refreshToken.slice(3)],
    ['the real token twice', (s) => s.refreshToken + s.refreshToken],
    ['the session id', (s) => s.sessionId],
    ['the session access token', (s) => s.accessToken],
    [
      `rt_ padded to ${MAX_PARAM_LENGTH} characters`,
      () => `rt_${'A'.repeat(MAX_PARAM_LENGTH - 3)}`,
    ],
    ['rt_ with non-ASCII letters', () => `rt_${'é'.repeat(65)}`],
    ['a NUL byte', () => '\u0000'],
    ['SQL', () => "rt_' OR '1'='1"],
  ];
  for (const type of ['JSON', 'form'] as const) {
    runCases(
      garbage.map(([name, token]) => ({
        name: `${name} (${type})`,
        request: (s: Live) => ({
          method: 'POST',
          url: '/oauth/token',
          headers: type === 'JSON' ? JSON_TYPE : FORM_TYPE,
          payload:
            type === 'JSON'
              ? JSON.stringify({ grant_type: 'refresh_token', refresh_token: token(s) })
              : new URLSearchParams({
                  grant_type: 'refresh_token',
                  refresh_token: token(s),
                }).toString(),
        }),
        code: 'ERR_REFRESH_TOKEN_UNKNOWN',
      })),
    );
  }

  runCases([
    {
      name: 'a refresh token of 10,000 characters → 400 invalid_request',
      request: () => ({
        method: 'POST',
        url: '/oauth/token',
        payload: { grant_type: 'refresh_token', refresh_token: `rt_${'A'.repeat(9997)}` },
      }),
      code: 'ERR_INVALID_REQUEST',
      says: /refresh_token is too long/,
    },
    {
      name: 'raw non-UTF-8 bytes in a form value → invalid_grant/unknown',
      request: () => ({
        method: 'POST',
        url: '/oauth/token',
        headers: FORM_TYPE,
        payload: Buffer.concat([
          Buffer.from('grant_type=refresh_token&refresh_token=rt_'),
          Buffer.from([0xff, 0xfe, 0xc0, 0x80, 0x00]),
        ]),
      }),
      code: 'ERR_REFRESH_TOKEN_UNKNOWN',
    },
    {
      name: 'percent-encoded non-UTF-8 bytes in a form value → invalid_grant/unknown',
      request: () => ({
        method: 'POST',
        url: '/oauth/token',
        headers: FORM_TYPE,
        payload: 'grant_type=refresh_token&refresh_token=rt_%FF%FE%C0%80%00',
      }),
      code: 'ERR_REFRESH_TOKEN_UNKNOWN',
    },
    {
      name: 'raw non-UTF-8 bytes inside a JSON string → invalid_grant/unknown',
      request: () => ({
        method: 'POST',
        url: '/oauth/token',
        headers: JSON_TYPE,
        payload: Buffer.concat([
          Buffer.from('{"grant_type":"refresh_token","refresh_token":"rt_'),
          Buffer.from([0xff, 0xfe, 0xc0, 0x80]),
          Buffer.from('"}'),
        ]),
      }),
      code: 'ERR_REFRESH_TOKEN_UNKNOWN',
    },
    {
      name: 'a lone surrogate escaped in JSON → 400 invalid_request',
      request: () => ({
        method: 'POST',
        url: '/oauth/token',
        headers: JSON_TYPE,
        payload: '{"grant_type":"refresh_token","refresh_token":"rt_\\ud800"}',
      }),
      code: 'ERR_INVALID_REQUEST',
      says: /well-formed Unicode/,
    },
    {
      name: 'a NUL inside grant_type → 400 unsupported_grant_type',
      request: (s) => ({
        method: 'POST',
        url: '/oauth/token',
        headers: FORM_TYPE,
        payload: `grant_type=refresh%00_token&refresh_token=${s.refreshToken}`,
      }),
      code: 'ERR_UNSUPPORTED_GRANT_TYPE',
    },
  ]);
});

describe('POST /oauth/revoke refuses bad fields', () => {
  runCases([
    ...wrongTypeCases('/oauth/revoke', {}, () => ({ token: WELL_FORMED_UNKNOWN }), [
      'token',
      'token_type_hint',
      'client_id',
      'client_secret',
    ]),
    {
      name: 'no token → 400 invalid_request',
      request: () => ({
        method: 'POST',
        url: '/oauth/revoke',
        payload: { token_type_hint: 'refresh_token' },
      }),
      code: 'ERR_INVALID_REQUEST',
      says: /token is required/,
    },
    {
      name: 'an empty token → 400 invalid_request',
      request: () => ({
        method: 'POST',
        url: '/oauth/revoke',
        headers: FORM_TYPE,
        payload: 'token=',
      }),
      code: 'ERR_INVALID_REQUEST',
      says: /token is required/,
    },
    {
      name: `a token longer than ${MAX_PARAM_LENGTH} characters → 400 invalid_request`,
      request: () => ({
        method: 'POST',
        url: '/oauth/revoke',
        payload: { token: 'x'.repeat(10_000) },
      }),
      code: 'ERR_INVALID_REQUEST',
      says: /token is too long/,
    },
    {
      name: 'token repeated in a form (the real token twice) → 400 invalid_request',
      request: (s) => ({
        method: 'POST',
        url: '/oauth/revoke',
        headers: FORM_TYPE,
        payload: `token=${s.refreshToken}&token=${s.refreshToken}`,
      }),
      code: 'ERR_INVALID_REQUEST',
      says: /repeated/,
    },
    {
      name: 'the real token with Basic of an unknown client → 401 invalid_client',
      request: (s) => ({
        method: 'POST',
        url: '/oauth/revoke',
        headers: { authorization: basic('no-such-client:x') },
        payload: { token: s.refreshToken },
      }),
      code: 'ERR_INVALID_CLIENT',
    },
    {
      name: 'the real token with Basic that has no colon → 401 invalid_client',
      request: (s) => ({
        method: 'POST',
        url: '/oauth/revoke',
        headers: { authorization: basic('default') },
        payload: { token: s.refreshToken },
      }),
      code: 'ERR_INVALID_CLIENT',
    },
  ]);

  it.each([
    ['a random word', 'hello'],
    ['a well-formed unknown refresh token', WELL_FORMED_UNKNOWN],
    ['rt_ of the wrong length', `rt_${'A'.repeat(40)}`],
    ['a JWT-shaped string', 'a.b.c'],
    ['NUL bytes', '\u0000\u0000'],
  ])('answers 200 for %s and revokes nothing (RFC 7009 §2.2)', async (_name, token) => {
    const response = await send({ method: 'POST', url: '/oauth/revoke', payload: { token } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const session = await service.getSession(live.sessionId);
    expect(session?.status).toBe('active');
  });
});

describe('POST /oauth/introspect refuses bad callers and fields', () => {
  runCases([
    ...wrongTypeCases('/oauth/introspect', asAdmin, () => ({ token: 'x' }), ['token']),
    {
      // Like /oauth/revoke, introspection checks the hint's type although the token decides.
      name: 'token_type_hint as a number (as admin) → 400 invalid_request',
      request: (s) => ({
        method: 'POST',
        url: '/oauth/introspect',
        headers: asAdmin,
        payload: { token: s.accessToken, token_type_hint: 1 },
      }),
      code: 'ERR_INVALID_REQUEST',
      says: /token_type_hint must be a string/,
    },
    ...(
      [
        ['no credentials at all', {}],
        ['a garbage bearer token', { authorization: 'Bearer garbage' }],
        ['an admin token with one character more', { authorization: `Bearer ${ADMIN_TOKEN}x` }],
        ['a bearer value with spaces', { authorization: `Bearer ${ADMIN_TOKEN} extra` }],
        ['"Bearer" alone', { authorization: 'Bearer' }],
        ['the admin token without a scheme', { authorization: ADMIN_TOKEN }],
        ['the admin token as HTTP Basic', { authorization: basic(`${ADMIN_TOKEN}:`) }],
        ['Basic of the public default client', { authorization: basic('default:') }],
        ['Basic with no colon', { authorization: basic('default') }],
        ['Basic that is not base64', { authorization: 'Basic %%%%' }],
        ['a bearer token of 64 KiB', { authorization: `Bearer ${'a'.repeat(64 * 1024)}` }],
        ['a NUL bearer token', { authorization: 'Bearer \u0000' }],
      ] as [string, Record<string, string>][]
    ).map(([name, headers]): ErrorCase => ({
      name: `${name} → 401 invalid_client`,
      request: (s) => ({
        method: 'POST',
        url: '/oauth/introspect',
        headers,
        payload: { token: s.accessToken },
      }),
      code: 'ERR_INVALID_CLIENT',
    })),
    {
      name: 'the public client named in the body → 401 invalid_client',
      request: (s) => ({
        method: 'POST',
        url: '/oauth/introspect',
        payload: { token: s.accessToken, client_id: 'default' },
      }),
      code: 'ERR_INVALID_CLIENT',
    },
    {
      name: 'no token (as admin) → 400 invalid_request',
      request: () => ({ method: 'POST', url: '/oauth/introspect', headers: asAdmin, payload: {} }),
      code: 'ERR_INVALID_REQUEST',
      says: /token is required/,
    },
    {
      name: 'a token of 10,000 characters (as admin) → 400 invalid_request',
      request: () => ({
        method: 'POST',
        url: '/oauth/introspect',
        headers: asAdmin,
        payload: { token: 'e'.repeat(10_000) },
      }),
      code: 'ERR_INVALID_REQUEST',
      says: /token is too long/,
    },
    {
      name: 'token repeated in a form (as admin) → 400 invalid_request',
      request: (s) => ({
        method: 'POST',
        url: '/oauth/introspect',
        headers: { ...asAdmin, ...FORM_TYPE },
        payload: `token=${s.accessToken}&token=x`,
      }),
      code: 'ERR_INVALID_REQUEST',
    },
  ]);

  it.each([
    ['a random word', 'hello'],
    ['a well-formed unknown refresh token', WELL_FORMED_UNKNOWN],
    ['rt_ of the wrong length', 'rt_abc'],
    ['three empty JWT segments', '..'],
    ['a JWT-shaped string', 'a.b.c'],
    ['a JWT header with junk after it', `eyJhbGciOiJFZERTQSJ9.${'A'.repeat(4000)}.`],
    ['NUL bytes', '\u0000'],
  ])('answers {active:false} for %s', async (_name, token) => {
    const response = await send({
      method: 'POST',
      url: '/oauth/introspect',
      headers: asAdmin,
      payload: { token },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ active: false });
  });
});

/** Every admin route, with a body that would be accepted where one is needed. */
const ADMIN_ROUTES: { method: 'GET' | 'POST' | 'DELETE'; url: string; payload?: object }[] = [
  { method: 'POST', url: '/admin/sessions', payload: { subject: 'mallory' } },
  { method: 'GET', url: '/admin/sessions?subject=victim' },
  { method: 'GET', url: '/admin/sessions/ses_x' },
  { method: 'DELETE', url: '/admin/sessions/ses_x' },
  { method: 'DELETE', url: '/admin/subjects/victim/sessions' },
  { method: 'GET', url: '/admin/keys' },
  { method: 'POST', url: '/admin/keys/rotate' },
  { method: 'GET', url: '/admin/events' },
  { method: 'GET', url: '/admin/clients' },
  { method: 'POST', url: '/admin/clients', payload: { id: 'mallory', confidential: true } },
  { method: 'DELETE', url: '/admin/clients/default' },
];

const BAD_ADMIN_AUTH: [string, Record<string, string>][] = [
  ['no Authorization header', {}],
  ['"Bearer" alone', { authorization: 'Bearer' }],
  ['a wrong bearer token', { authorization: 'Bearer not-the-admin-token-0123456789abcdef' }],
  ['the admin token plus one character', { authorization: `Bearer ${ADMIN_TOKEN}x` }],
  ['the admin token minus one character', { authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}` }],
  ['a bearer value with spaces', { authorization: `Bearer ${ADMIN_TOKEN} ${ADMIN_TOKEN}` }],
  ['the admin token without a scheme', { authorization: ADMIN_TOKEN }],
  ['the admin token as HTTP Basic', { authorization: basic(`admin:${ADMIN_TOKEN}`) }],
  ['a bearer token of 64 KiB', { authorization: `Bearer ${'b'.repeat(64 * 1024)}` }],
];

describe.each(ADMIN_ROUTES)('$method $url refuses a bad admin credential', (route) => {
  it.each(BAD_ADMIN_AUTH)('%s → 401 unauthorized', async (_name, headers) => {
    const keysBefore = await service.listKeys();
    const response = await send({
      method: route.method,
      url: route.url,
      headers,
      ...(route.payload === undefined ? {} : { payload: route.payload }),
    });
    expectFaceError(response, 'admin', 'ERR_ADMIN_UNAUTHORIZED');
    expect(response.headers['www-authenticate']).toBe('Bearer realm="baton-admin"');
    // Nothing happened behind the refusal.
    expect(await service.listKeys()).toEqual(keysBefore);
    expect((await service.getSession(live.sessionId))?.status).toBe('active');
  });
});

describe('POST /admin/sessions refuses bad fields', () => {
  const mint = (body: unknown): InjectOptions => ({
    method: 'POST',
    url: '/admin/sessions',
    headers: { ...asAdmin, ...JSON_TYPE },
    payload: JSON.stringify(body),
  });
  const bad: [string, unknown, RegExp?][] = [
    ['no subject', {}, /subject/],
    ['an empty subject', { subject: '' }, /subject/],
    ['a subject of 256 characters', { subject: 's'.repeat(256) }, /subject/],
    ['a numeric subject', { subject: 42 }, /subject/],
    ['a boolean subject', { subject: true }, /subject/],
    ['a null subject', { subject: null }, /subject/],
    ['an object subject', { subject: { id: 'a' } }, /subject/],
    ['an array subject', { subject: ['a'] }, /subject/],
    ['a numeric clientId', { subject: 'a', clientId: 1 }, /clientId/],
    ['an empty clientId', { subject: 'a', clientId: '' }, /clientId/],
    ['an unknown clientId', { subject: 'a', clientId: 'no-such-client' }, /unknown client/],
    ['a clientId of 65 characters', { subject: 'a', clientId: 'c'.repeat(65) }, /clientId/],
    ['a numeric scope', { subject: 'a', scope: 7 }, /scope/],
    ['a scope with a quote', { subject: 'a', scope: 'read"write' }, /scope/],
    ['a scope with two spaces', { subject: 'a', scope: 'read  write' }, /scope/],
    ['a scope with a NUL', { subject: 'a', scope: 'read\u0000' }, /scope/],
    ['a scope of 1025 characters', { subject: 'a', scope: 's'.repeat(1025) }, /scope/],
    ['claims as a string', { subject: 'a', claims: 'admin' }, /claims/],
    ['claims as an array', { subject: 'a', claims: ['admin'] }, /claims/],
    ['claims as null', { subject: 'a', claims: null }, /claims/],
    ['claims setting sub', { subject: 'a', claims: { sub: 'root' } }, /sub/],
    ['claims setting exp', { subject: 'a', claims: { exp: 9_999_999_999 } }, /exp/],
    ['claims setting gen', { subject: 'a', claims: { gen: 99 } }, /gen/],
    ['claims over 4096 bytes', { subject: 'a', claims: { blob: 'x'.repeat(5000) } }, /claims/],
    ['accessTtl as a string', { subject: 'a', accessTtl: '60' }, /accessTtl/],
    ['accessTtl as a float', { subject: 'a', accessTtl: 1.5 }, /accessTtl/],
    ['accessTtl of 0', { subject: 'a', accessTtl: 0 }, /accessTtl/],
    ['a negative accessTtl', { subject: 'a', accessTtl: -1 }, /accessTtl/],
    ['accessTtl over the maximum', { subject: 'a', accessTtl: MAX_ACCESS_TTL + 1 }, /accessTtl/],
    ['accessTtl as a boolean', { subject: 'a', accessTtl: true }, /accessTtl/],
    [
      'refreshTtl over the maximum',
      { subject: 'a', refreshTtl: MAX_REFRESH_TTL + 1 },
      /refreshTtl/,
    ],
    ['refreshTtl as null', { subject: 'a', refreshTtl: null }, /refreshTtl/],
    ['idleTtl of 0', { subject: 'a', idleTtl: 0 }, /idleTtl/],
    ['idleTtl of 1e300', { subject: 'a', idleTtl: 1e300 }, /idleTtl/],
    ['an unknown field', { subject: 'a', admin: true }, /additional properties/],
    ['a field named like a session column', { subject: 'a', generation: 5 }, /additional/],
  ];
  runCases(
    bad.map(([name, body, says]) => ({
      name: `${name} → 400 invalid_request`,
      request: () => mint(body),
      code: 'ERR_INVALID_REQUEST' as const,
      ...(says === undefined ? {} : { says }),
    })),
  );

  it('a NUL inside the subject is either refused or kept verbatim, never truncated', async () => {
    const response = await send(mint({ subject: 'a\u0000b' }));
    if (response.statusCode === 201) {
      const session = await service.getSession(response.json<{ sessionId: string }>().sessionId);
      expect(session?.subject).toBe('a\u0000b');
    } else {
      expectFaceError(response, 'admin', 'ERR_INVALID_REQUEST');
    }
  });
});

describe('POST /admin/clients refuses bad fields', () => {
  const create = (body: unknown): InjectOptions => ({
    method: 'POST',
    url: '/admin/clients',
    headers: { ...asAdmin, ...JSON_TYPE },
    payload: JSON.stringify(body),
  });
  const bad: [string, unknown, RegExp?][] = [
    ['no id', { confidential: true }, /id/],
    ['an empty id', { id: '' }, /id/],
    ['a numeric id', { id: 7 }, /id/],
    ['a boolean id', { id: true }, /id/],
    ['a null id', { id: null }, /id/],
    ['an array id', { id: ['a'] }, /id/],
    ['an object id', { id: { a: 1 } }, /id/],
    ['an id with a space', { id: 'my app' }, /id/],
    ['an id with a slash', { id: 'a/b' }, /id/],
    ['an id starting with a dash', { id: '-app' }, /id/],
    ['an id with a NUL', { id: 'app\u0000' }, /id/],
    ['an id of 65 characters', { id: 'c'.repeat(65) }, /id/],
    ['confidential as a string', { id: 'app', confidential: 'yes' }, /confidential/],
    ['confidential as a number', { id: 'app', confidential: 1 }, /confidential/],
    ['rotate as a string', { id: 'app', rotate: 'true' }, /rotate/],
    ['replace as a number', { id: 'app', replace: 1 }, /replace/],
    ['accessTtl of 0', { id: 'app', accessTtl: 0 }, /accessTtl/],
    ['refreshTtl as a string', { id: 'app', refreshTtl: '3600' }, /refreshTtl/],
    ['idleTtl over the maximum', { id: 'app', idleTtl: MAX_REFRESH_TTL + 1 }, /idleTtl/],
    ['reuseGrace over the maximum', { id: 'app', reuseGrace: MAX_REUSE_GRACE + 1 }, /reuseGrace/],
    ['a negative reuseGrace', { id: 'app', reuseGrace: -1 }, /reuseGrace/],
    ['an empty audience', { id: 'app', audience: '' }, /audience/],
    ['a numeric audience', { id: 'app', audience: 1 }, /audience/],
    ['an audience of 256 characters', { id: 'app', audience: 'a'.repeat(256) }, /audience/],
    ['a chosen secret', { id: 'app', secret: 'cs_mine' }, /additional properties/],
    ['a chosen secret hash', { id: 'app', secretHash: 'abc' }, /additional properties/],
  ];
  runCases([
    ...bad.map(([name, body, says]): ErrorCase => ({
      name: `${name} → 400 invalid_request`,
      request: () => create(body),
      code: 'ERR_INVALID_REQUEST',
      ...(says === undefined ? {} : { says }),
    })),
    {
      name: 'the id of the default client without replace → 409 conflict',
      request: () => create({ id: 'default', confidential: true }),
      code: 'ERR_CONFLICT',
    },
  ]);
});

describe('admin GET routes refuse junk query strings', () => {
  const get = (url: string) => (): InjectOptions => ({ method: 'GET', url, headers: asAdmin });
  const junk: [string, string][] = [
    ['/admin/sessions', 'limit=abc'],
    ['/admin/sessions', 'limit=-1'],
    ['/admin/sessions', 'limit=1.5'],
    ['/admin/sessions', 'limit=1e3'],
    ['/admin/sessions', 'limit=9999999999999999'],
    ['/admin/sessions', 'limit=1&limit=2'],
    ['/admin/sessions', 'subject='],
    ['/admin/sessions', 'subject=a&subject=b'],
    ['/admin/sessions', `subject=${'s'.repeat(256)}`],
    ['/admin/sessions', `clientId=${'c'.repeat(65)}`],
    ['/admin/sessions', `after=${'a'.repeat(256)}`],
    ['/admin/sessions', 'sort=subject'],
    ['/admin/sessions', 'subject[$ne]=x'],
    ['/admin/events', 'type=nope'],
    ['/admin/events', 'type='],
    ['/admin/events', 'type=key.rotated&type=session.revoked'],
    ['/admin/events', 'since=yesterday'],
    ['/admin/events', 'since='],
    ['/admin/events', 'since=2024-13-45'],
    ['/admin/events', 'since=999999999999999999999'],
    ['/admin/events', `since=${'9'.repeat(41)}`],
    ['/admin/events', 'after=-1'],
    ['/admin/events', 'after=abc'],
    ['/admin/events', 'limit=x'],
    ['/admin/events', 'bogus=1'],
  ];
  runCases(
    junk.map(([path, query]) => ({
      name: `GET ${path}?${query.slice(0, 40)} → 400 invalid_request`,
      request: get(`${path}?${query}`),
      code: 'ERR_INVALID_REQUEST' as const,
    })),
  );
});

describe('admin routes with path parameters refuse what they cannot find', () => {
  runCases([
    {
      name: 'GET an unknown session → 404',
      request: () => ({ method: 'GET', url: '/admin/sessions/ses_nope', headers: asAdmin }),
      code: 'ERR_NOT_FOUND',
    },
    {
      name: 'GET a session by its refresh token → 404',
      request: (s) => ({
        method: 'GET',
        url: `/admin/sessions/${s.refreshToken}`,
        headers: asAdmin,
      }),
      code: 'ERR_NOT_FOUND',
    },
    {
      name: 'GET a session id with an encoded NUL → 404',
      request: () => ({ method: 'GET', url: '/admin/sessions/ses_%00', headers: asAdmin }),
      code: 'ERR_NOT_FOUND',
    },
    {
      name: 'DELETE an unknown session → 404',
      request: () => ({ method: 'DELETE', url: '/admin/sessions/ses_nope', headers: asAdmin }),
      code: 'ERR_NOT_FOUND',
    },
    {
      name: 'DELETE an unknown client → 404',
      request: () => ({ method: 'DELETE', url: '/admin/clients/no-such-client', headers: asAdmin }),
      code: 'ERR_NOT_FOUND',
    },
    {
      name: 'DELETE the default client → 409',
      request: () => ({ method: 'DELETE', url: '/admin/clients/default', headers: asAdmin }),
      code: 'ERR_CONFLICT',
    },
    {
      // A URL Fastify cannot decode is answered by our error handler, not Fastify's default.
      name: 'GET a session id with broken percent-encoding → 400 invalid_request',
      request: () => ({ method: 'GET', url: '/admin/sessions/%ZZ', headers: asAdmin }),
      code: 'ERR_INVALID_REQUEST',
    },
    {
      // Longer than any id: answered in the admin format by our error handler, not Fastify's.
      name: 'GET a session id of 300 characters → 400 invalid_request',
      request: () => ({
        method: 'GET',
        url: `/admin/sessions/${'a'.repeat(300)}`,
        headers: asAdmin,
      }),
      code: 'ERR_INVALID_REQUEST',
    },
  ]);

  it('signs out a subject of 255 characters, the longest a session may have', async () => {
    const subject = 's'.repeat(255);
    const minted = await send({
      method: 'POST',
      url: '/admin/sessions',
      headers: asAdmin,
      payload: { subject },
    });
    expect(minted.statusCode).toBe(201);
    // A subject of 101-255 characters that POST /admin/sessions accepted can be signed out too.
    const response = await send({
      method: 'DELETE',
      url: `/admin/subjects/${subject}/sessions`,
      headers: asAdmin,
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({ revoked: 1 });
  });

  it('treats an encoded slash in a subject as part of the subject', async () => {
    await service.issueSession({ subject: 'team/alice' });
    const response = await send({
      method: 'DELETE',
      url: '/admin/subjects/team%2Falice/sessions',
      headers: asAdmin,
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ revoked: 1 });
  });
});

// A path no route serves is answered in the format of the face owning its prefix: OAuth errors
// under /oauth/, the admin ("everything else") format elsewhere.
describe('unknown routes get a 404 in their face format', () => {
  const routes: [HTTPMethods, string][] = [
    ['GET', '/console/nope'],
    ['GET', '/nope'],
    ['GET', '/oauth'],
    ['POST', '/oauth/token/'],
    ['POST', '/oauth/tokens'],
    ['POST', '/oauth/authorize'],
    ['GET', '/admin'],
    ['GET', '/admin/nope'],
    ['POST', '/admin/nope'],
    ['DELETE', '/admin/keys/nope'],
    ['GET', '/.well-known/openid-configuration'],
    ['GET', '/%2e%2e/etc/passwd'],
    ['GET', `/${'x'.repeat(8000)}`],
  ];
  runCases(
    routes.map(([method, url]) => ({
      name: `${method} ${url.slice(0, 40)} → 404 not_found`,
      request: () => ({
        method,
        url,
        ...(method === 'GET'
          ? { headers: asAdmin }
          : { headers: { ...asAdmin, ...JSON_TYPE }, payload: '{}' }),
      }),
      code: 'ERR_NOT_FOUND' as const,
      face: url.startsWith('/oauth/') ? ('oauth' as const) : ('admin' as const),
    })),
  );
});

// A known path asked with a method it does not answer is a 405 that names the methods it does
// (RFC 9110 §15.5.6), in the format of the face owning it.
describe('wrong methods on known paths get a 405 with Allow', () => {
  const routes: [HTTPMethods, string, string][] = [
    ['GET', '/oauth/token', 'OPTIONS, POST'],
    ['PUT', '/oauth/token', 'OPTIONS, POST'],
    ['PATCH', '/oauth/token', 'OPTIONS, POST'],
    ['DELETE', '/oauth/revoke', 'OPTIONS, POST'],
    ['GET', '/oauth/introspect', 'POST'],
    ['OPTIONS', '/oauth/introspect', 'POST'],
    ['POST', '/oauth/revocations', 'GET, HEAD'],
    ['PATCH', '/admin/sessions', 'GET, HEAD, POST'],
    ['PUT', '/admin/clients', 'GET, HEAD, POST'],
    ['POST', '/admin/sessions/ses_x', 'DELETE, GET, HEAD'],
    ['GET', '/admin/keys/rotate', 'POST'],
    ['DELETE', '/admin/keys', 'GET, HEAD'],
    ['POST', '/admin/keys', 'GET, HEAD'],
    ['POST', '/healthz', 'GET, HEAD'],
    ['DELETE', '/metrics', 'GET, HEAD'],
    ['POST', '/.well-known/jwks.json', 'GET, HEAD, OPTIONS'],
  ];
  it.each(routes)('%s %s → 405, Allow: %s', async (method, url, allow) => {
    const response = await send({
      method,
      url,
      ...(method === 'GET' || method === 'OPTIONS'
        ? { headers: asAdmin }
        : { headers: { ...asAdmin, ...JSON_TYPE }, payload: '{}' }),
    });
    expectFaceError(response, faceOf(url), 'ERR_METHOD_NOT_ALLOWED');
    expect(response.headers.allow).toBe(allow);
  });

  it('answers HEAD of a POST-only route 405 with no body', async () => {
    const response = await send({ method: 'HEAD', url: '/oauth/token' });
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('OPTIONS, POST');
    expect(response.body).toBe('');
  });
});

describe('operations endpoints ignore junk query strings', () => {
  const endpoints = [
    '/healthz',
    '/readyz',
    '/metrics',
    '/openapi.json',
    '/docs',
    '/.well-known/jwks.json',
    '/.well-known/oauth-authorization-server',
  ];
  const queries = [
    '%ZZ=%ZZ',
    '%00=%00',
    'a[b]=1&a=2&a=3',
    '__proto__[admin]=1&constructor[prototype][admin]=1',
    '=&&=&',
    `x=${'y'.repeat(8000)}`,
    `refresh_token=${WELL_FORMED_UNKNOWN}`,
  ];
  const cases = endpoints.flatMap((path) => queries.map((query) => [path, query] as const));
  it.each(cases)('GET %s?%s → 200', async (path, query) => {
    const response = await send({ method: 'GET', url: `${path}?${query}` });
    expect(response.statusCode).toBe(200);
    // The JWKS is a public document that caches may keep briefly; everything else is no-store.
    expect(response.headers['cache-control']).toBe(
      path === '/.well-known/jwks.json' ? 'public, max-age=300' : 'no-store',
    );
    expect(response.body.length).toBeGreaterThan(0);
  });
});

describe('long and odd headers', () => {
  it('ignores a 64 KiB header it does not read', async () => {
    const response = await send({
      method: 'POST',
      url: '/oauth/token',
      headers: { 'x-junk': 'j'.repeat(64 * 1024), requesttoken: 'r'.repeat(64 * 1024) },
      payload: { grant_type: 'refresh_token', refresh_token: WELL_FORMED_UNKNOWN },
    });
    expectFaceError(response, 'oauth', 'ERR_REFRESH_TOKEN_UNKNOWN');
  });

  it('refuses a header block over the HTTP parser limit on a real socket with 431, and keeps serving', async () => {
    const server = await createApp({ service, logger: false });
    const url = await server.listen({ host: '127.0.0.1', port: 0 });
    try {
      const huge = await fetch(`${url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-junk': 'j'.repeat(64 * 1024) },
        body: JSON.stringify({ grant_type: 'refresh_token', refresh_token: WELL_FORMED_UNKNOWN }),
      });
      expect(huge.status).toBe(431);
      await huge.arrayBuffer();
      const health = await fetch(`${url}/healthz`);
      expect(health.status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describe('after all of that', () => {
  it('counted no refresh as an internal error', async () => {
    const response = await send({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toMatch(/baton_refresh_total\{face="oauth",outcome="unknown"\} [1-9]/);
    expect(response.body).not.toMatch(/outcome="internal"/);
  });

  it('still answers readiness', async () => {
    const response = await send({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ status: 'ready' });
  });
});
