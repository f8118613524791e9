import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import {
  decodeJwt,
  exportJWK,
  generateKeyPair,
  SignJWT,
  UnsecuredJWT,
  type JWTPayload,
} from 'jose';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/core/store.js';
import { DIALECT_NAMES, type DialectName } from '../../src/core/dialects.js';
import type { TokenService } from '../../src/core/token-service.js';
import { BODY_LIMIT, createApp } from '../../src/http/app.js';
import { createTestService } from '../helpers/service.js';

/**
 * Hostile input against the five wire dialects (docs/dialects.md, "Rules every dialect shares":
 * 400 for a malformed request, 401 for a credential that is not valid (aisquare 400
 * `token_not_valid`), never a 500 for a client's mistake, and always the dialect's own error
 * shape). One real server on a real socket serves the whole file; requests go through fetch, or
 * through node:net where fetch cannot send the bytes (a header sent twice, empty or odd header
 * values, a GET with a body, broken chunked bodies). After every case the server must still
 * answer /healthz, and a case that failed must not have hurt the session it could reach.
 */

/** A session minted before each case; cases put its tokens into their requests. */
interface Live {
  sessionId: string;
  accessToken: string;
  refreshToken: string;
  claims: JWTPayload;
}

/** A request: sent through fetch when fetch can send it exactly, else over a raw socket. */
interface Req {
  method?: string;
  path?: string;
  /** Header lines in order; a name may repeat; a Buffer value is sent as its bytes. */
  headers?: [string, string | Buffer][];
  body?: string | Buffer;
  /** Bytes sent verbatim after the request line and `host`/`connection` headers. */
  rawTail?: Buffer | string;
}

interface Res {
  status: number;
  headers: Record<string, string>;
  text: string;
}

/**
 * What an error answer must be. `credential` is a credential that is not valid (401, aisquare
 * 400); the aisquare field kinds are Django REST framework's field errors; the others are 400.
 */
type Kind =
  | 'malformed'
  | 'json'
  | 'media'
  | 'too_large'
  | 'not_dict'
  | 'required'
  | 'blank'
  | 'not_string'
  | 'null'
  | 'too_long'
  | 'credential'
  | 'not_found'
  | 'wrong_method';

interface Case {
  name: string;
  kind: Kind;
  request: (live: Live) => Req | Promise<Req>;
}

interface Endpoint {
  method: string;
  path: string;
  /** The request that refreshes `live` (the control every bad case is a variation of). */
  good: (live: Live) => Req;
}

const JSON_TYPE: [string, string] = ['content-type', 'application/json'];
const FORM_TYPE: [string, string] = ['content-type', 'application/x-www-form-urlencoded'];
const MAX_TOKEN = 4096;
const WELL_FORMED_UNKNOWN = `rt_${'A'.repeat(65)}`;

/** The body field of the body dialects, and its length limit. */
const FIELD: Record<'sevenG' | 'aisquare' | 'adid', { name: string; limit: number }> = {
  sevenG: { name: 'refreshToken', limit: 255 },
  aisquare: { name: 'refresh', limit: MAX_TOKEN },
  adid: { name: 'refreshToken', limit: MAX_TOKEN },
};

const sevenGHeaders = (live: Live): [string, string][] => [
  ['Authorization', `Bearer ${live.accessToken}`],
  ['Version', '2.0'],
];

const ENDPOINTS: Record<DialectName, Endpoint> = {
  payabli: {
    method: 'POST',
    path: '/api/User/authrefresh',
    good: (live) => ({ headers: [['requestToken', live.accessToken]] }),
  },
  transak: {
    method: 'GET',
    path: '/api/v2/auth/refresh',
    good: (live) => ({ headers: [['authorization', live.accessToken]] }),
  },
  sevenG: {
    method: 'POST',
    path: '/User/RefreshToken',
    good: (live) => ({
      headers: [...sevenGHeaders(live), JSON_TYPE],
      body: JSON.stringify({ refreshToken: live.refreshToken }),
    }),
  },
  aisquare: {
    method: 'POST',
    path: '/api/v1/token/refresh/',
    good: (live) => ({
      headers: [JSON_TYPE],
      body: JSON.stringify({ refresh: live.refreshToken }),
    }),
  },
  adid: {
    method: 'POST',
    path: '/api/v1/auth/refresh',
    good: (live) => ({
      headers: [JSON_TYPE],
      body: JSON.stringify({ refreshToken: live.refreshToken }),
    }),
  },
};

let app: FastifyInstance;
let service: TokenService;
let port: number;
let base: string;
let live: Live;
/** Every response of the file, for the final "no 5xx" check. */
const answered: { what: string; status: number }[] = [];
const logLines: { level: number; msg?: string }[] = [];

/** Keys for forgeries: the server's own (to isolate one check), its public key, a foreign one. */
let material: {
  kid: string;
  serverKey: KeyObject;
  publicKey: KeyObject;
  foreignKey: KeyObject;
};

// ---------------------------------------------------------------------------------------------
// HTTP over fetch and over raw sockets

const lower = (name: string): string => name.toLowerCase();

function needsRawSocket(method: string, req: Req): boolean {
  const headers = req.headers ?? [];
  const names = headers.map(([name]) => lower(name));
  return (
    req.rawTail !== undefined ||
    new Set(names).size !== names.length ||
    headers.some(
      ([, value]) => typeof value !== 'string' || value.trim() !== value || value === '',
    ) ||
    (req.body !== undefined && (method === 'GET' || method === 'HEAD')) ||
    (req.body !== undefined && !names.includes('content-type'))
  );
}

/** Parses an HTTP/1.1 response read to the end of the connection. */
function parseResponse(bytes: Buffer): Res {
  const end = bytes.indexOf('\r\n\r\n');
  if (end === -1)
    throw new Error(`no complete response: ${JSON.stringify(bytes.toString('latin1'))}`);
  const [statusLine, ...lines] = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine ?? '')?.[1]);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = lower(line.slice(0, colon));
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  let body = bytes.subarray(end + 4);
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    const parts: Buffer[] = [];
    let at = 0;
    for (;;) {
      const lineEnd = body.indexOf('\r\n', at);
      const size = parseInt(body.subarray(at, lineEnd).toString('latin1'), 16);
      if (!(size > 0)) break;
      parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
    body = Buffer.concat(parts);
  } else if (headers['content-length'] !== undefined) {
    body = body.subarray(0, Number(headers['content-length']));
  }
  return { status, headers, text: body.toString('utf8') };
}

/** Writes `bytes` to a new connection and reads the answer until the server closes it. */
function rawExchange(bytes: Buffer): Promise<Res> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1');
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // The server may answer (and close) before it has read a large body: keep what came.
    socket.on('error', (error) => {
      if (chunks.length === 0) reject(error);
    });
    socket.on('close', () => {
      try {
        resolve(parseResponse(Buffer.concat(chunks)));
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
    // Not end(): a half-closed connection makes Node abort the request in flight.
    socket.write(bytes);
  });
}

function rawRequest(method: string, path: string, req: Req): Promise<Res> {
  const head: Buffer[] = [
    Buffer.from(`${method} ${path} HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\nconnection: close\r\n`),
  ];
  if (req.rawTail !== undefined) {
    head.push(Buffer.from(req.rawTail));
    return rawExchange(Buffer.concat(head));
  }
  for (const [name, value] of req.headers ?? []) {
    head.push(Buffer.from(`${name}: `), Buffer.from(value), Buffer.from('\r\n'));
  }
  const body = req.body === undefined ? Buffer.alloc(0) : Buffer.from(req.body);
  if (req.body !== undefined) head.push(Buffer.from(`content-length: ${body.length}\r\n`));
  head.push(Buffer.from('\r\n'), body);
  return rawExchange(Buffer.concat(head));
}

async function fetchRequest(method: string, path: string, req: Req): Promise<Res> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: (req.headers ?? []) as [string, string][],
    ...(req.body === undefined ? {} : { body: req.body }),
  });
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => (headers[name] = value));
  return { status: response.status, headers, text: await response.text() };
}

/** Sends a request to `dialect`'s endpoint (unless the request names another method or path). */
async function send(dialect: DialectName, req: Req, what = 'request'): Promise<Res> {
  const method = req.method ?? ENDPOINTS[dialect].method;
  const path = req.path ?? ENDPOINTS[dialect].path;
  const res = needsRawSocket(method, req)
    ? await rawRequest(method, path, req)
    : await fetchRequest(method, path, req);
  answered.push({ what: `${dialect} ${what}`, status: res.status });
  return res;
}

// ---------------------------------------------------------------------------------------------
// What the answers must look like

/** The status a dialect answers for a kind of failure. */
function statusOf(dialect: DialectName, kind: Kind): number {
  if (kind === 'not_found') return 404;
  if (kind === 'wrong_method') return 405;
  if (kind === 'credential') return dialect === 'aisquare' ? 400 : 401;
  return 400;
}

/** adid's `error` for each kind (the reasons of docs/errors.md). */
const ADID_REASON: Partial<Record<Kind, string>> = {
  too_large: 'body_too_large',
  media: 'unsupported_media_type',
  not_found: 'not_found',
  wrong_method: 'method_not_allowed',
};
const CREDENTIAL_REASONS = [
  'unknown',
  'reused',
  'expired',
  'idle',
  'revoked',
  'invalid_token',
  'client_mismatch',
  'dialect_disabled',
];

/** Django REST framework's field messages (docs/dialects.md, aisquare). */
const DRF_FIELD: Partial<Record<Kind, string | RegExp>> = {
  required: 'This field is required.',
  blank: 'This field may not be blank.',
  not_string: 'Not a valid string.',
  null: 'This field may not be null.',
  too_long: /^Ensure this field has no more than 4096 characters\.$/,
};

/** Asserts an error answer of `dialect` for `kind`, in the dialect's documented shape. */
function expectDialectError(dialect: DialectName, res: Res, kind: Kind): void {
  const status = statusOf(dialect, kind);
  expect(res.status, res.text).toBe(status);
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.headers['content-type']).toMatch(
    dialect === 'sevenG' ? /^application\/problem\+json/ : /^application\/json/,
  );
  const body = JSON.parse(res.text) as Record<string, unknown>;
  let message: unknown;
  switch (dialect) {
    case 'payabli':
      expect(body).toEqual({ isSuccess: false, responseText: expect.any(String) });
      message = body.responseText;
      break;
    case 'transak':
      expect(body).toEqual({ error: { statusCode: status, message: expect.any(String) } });
      message = (body.error as { message: string }).message;
      break;
    case 'sevenG':
      expect(body).toEqual({
        type: 'about:blank',
        title: STATUS_CODES[status],
        status,
        detail: expect.any(String),
      });
      message = body.detail;
      break;
    case 'adid': {
      expect(body).toEqual({ error: expect.any(String), message: expect.any(String) });
      const reason = ADID_REASON[kind];
      if (kind === 'credential') expect(CREDENTIAL_REASONS).toContain(body.error);
      else expect(body.error).toBe(reason ?? 'invalid_request');
      message = body.message;
      break;
    }
    case 'aisquare': {
      const field = DRF_FIELD[kind];
      if (kind === 'credential') {
        expect(body).toEqual({ detail: 'Token is invalid or expired', code: 'token_not_valid' });
        message = body.detail;
      } else if (field !== undefined) {
        expect(body).toEqual({
          refresh: [typeof field === 'string' ? field : expect.stringMatching(field)],
        });
        message = (body.refresh as string[])[0];
      } else if (kind === 'not_dict') {
        // DRF's answer to a body that is not an object.
        expect(body).toEqual({
          non_field_errors: [
            expect.stringMatching(/^Invalid data\. Expected a dictionary, but got \w+\.$/),
          ],
        });
        message = (body.non_field_errors as string[])[0];
      } else {
        expect(body).toEqual({ detail: expect.any(String) });
        message = body.detail;
        if (kind === 'json') {
          // DRF's wording for a body that is not JSON.
          expect(message).toMatch(/^JSON parse error - /);
        }
        if (kind === 'media') {
          // DRF's wording for a content type it has no parser for.
          expect(message).toMatch(/^Unsupported media type/);
        }
      }
      break;
    }
  }
  expect(typeof message).toBe('string');
  const text = message as string;
  expect(text.length).toBeGreaterThan(0);
  // An error explains; it never echoes a long input (a token) back.
  expect(text.length).toBeLessThan(300);
}

/** Asserts a successful refresh of `dialect`, in its documented shape. */
function expectSuccess(dialect: DialectName, res: Res): void {
  expect(res.status, res.text).toBe(200);
  expect(res.headers['cache-control']).toBe('no-store');
  const body = JSON.parse(res.text) as Record<string, unknown>;
  const jwt = expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  switch (dialect) {
    case 'payabli':
      expect(body).toEqual({
        isSuccess: true,
        responseText: 'Success',
        responseData: jwt,
        inactiveTokenTime: expect.any(Number),
        remaining: expect.any(Number),
      });
      break;
    case 'transak':
      expect(body).toEqual({ data: { accessToken: jwt } });
      break;
    case 'sevenG':
      expect(body).toEqual({ accessToken: jwt, refreshToken: expect.stringMatching(/^rt_/) });
      break;
    case 'aisquare':
      expect(body).toEqual({ access: jwt, refresh: expect.stringMatching(/^rt_/) });
      break;
    case 'adid':
      expect(body).toEqual({
        accessToken: jwt,
        refreshToken: expect.stringMatching(/^rt_/),
        expiresIn: expect.any(Number),
      });
      break;
  }
}

// ---------------------------------------------------------------------------------------------
// Forged tokens

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

function hs256(header: Record<string, unknown>, payload: unknown, key: Buffer | string): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
}

/** Access tokens that are not valid, each built from the live session's genuine claims. */
const FORGED_ACCESS_TOKENS: { name: string; forge: (live: Live) => string | Promise<string> }[] = [
  {
    name: 'a JWT with alg none and the real kid',
    forge: (live) =>
      `${b64({ alg: 'none', typ: 'at+jwt', kid: material.kid })}.${b64(live.claims)}.`,
  },
  {
    name: 'a JWT with alg none (jose UnsecuredJWT)',
    forge: (live) => new UnsecuredJWT(live.claims).encode(),
  },
  {
    name: 'a JWT signed by a foreign key carrying the real kid',
    forge: (live) =>
      new SignJWT(live.claims)
        .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: material.kid })
        .sign(material.foreignKey),
  },
  {
    name: 'HS256 keyed with the public key as SPKI PEM (algorithm confusion)',
    forge: (live) =>
      hs256(
        { alg: 'HS256', typ: 'at+jwt', kid: material.kid },
        live.claims,
        String(material.publicKey.export({ type: 'spki', format: 'pem' })),
      ),
  },
  {
    name: 'HS256 keyed with the raw public key bytes (algorithm confusion)',
    forge: (live) =>
      hs256(
        { alg: 'HS256', typ: 'at+jwt', kid: material.kid },
        live.claims,
        Buffer.from(String(material.publicKey.export({ format: 'jwk' }).x), 'base64url'),
      ),
  },
  {
    name: 'a token with typ JWT instead of at+jwt, signed with the real key',
    forge: (live) =>
      new SignJWT(live.claims)
        .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT', kid: material.kid })
        .sign(material.serverKey),
  },
  {
    name: 'the genuine token with one signature bit flipped',
    forge: (live) => {
      const [h, p, s] = live.accessToken.split('.') as [string, string, string];
      const signature = Buffer.from(s, 'base64url');
      signature[0] = (signature[0] ?? 0) ^ 1;
      return `${h}.${p}.${signature.toString('base64url')}`;
    },
  },
];

// ---------------------------------------------------------------------------------------------
// The case tables

type HeaderDialect = 'payabli' | 'transak' | 'sevenG';
type BodyDialect = 'sevenG' | 'aisquare' | 'adid';

/** The credential header of a header dialect, and the rest of a good request around it. */
const CREDENTIAL_HEADER: Record<HeaderDialect, { name: string; rest: (live: Live) => Req }> = {
  payabli: { name: 'requestToken', rest: () => ({}) },
  transak: { name: 'authorization', rest: () => ({}) },
  sevenG: {
    name: 'Authorization',
    rest: (live) => ({
      headers: [['Version', '2.0'], JSON_TYPE],
      body: JSON.stringify({ refreshToken: live.refreshToken }),
    }),
  },
};

function credentialHeaderCases(dialect: HeaderDialect): Case[] {
  const { name, rest } = CREDENTIAL_HEADER[dialect];
  /** The good request with the credential header lines replaced by `lines`. */
  const withLines =
    (lines: (live: Live) => [string, string | Buffer][] | Promise<[string, string | Buffer][]>) =>
    async (live: Live): Promise<Req> => {
      const others = rest(live);
      return { ...others, headers: [...(await lines(live)), ...(others.headers ?? [])] };
    };
  const withValue = (value: (live: Live) => string | Promise<string>) =>
    withLines(async (live) => [[name, await value(live)]]);
  const bearer = dialect === 'sevenG' ? 'Bearer ' : '';
  return [
    { name: `no ${name} header`, kind: 'malformed', request: withLines(() => []) },
    { name: `an empty ${name} header`, kind: 'malformed', request: withValue(() => '') },
    {
      name: `a ${name} header of only whitespace`,
      kind: 'malformed',
      request: withValue(() => ' \t  '),
    },
    { name: `${name}: Bearer (no token)`, kind: 'malformed', request: withValue(() => 'Bearer') },
    {
      name: `${name}: "Bearer   " (no token, trailing spaces)`,
      kind: 'malformed',
      request: withValue(() => 'Bearer   '),
    },
    {
      name: `${name}: bearer (lower case, no token)`,
      kind: 'malformed',
      request: withValue(() => 'bearer'),
    },
    {
      name: `${name} sent twice with the same genuine token`,
      kind: 'malformed',
      request: withLines((live) => [
        [name, `${bearer}${live.accessToken}`],
        [name, `${bearer}${live.accessToken}`],
      ]),
    },
    {
      name: `${name} sent twice, the names differing in case`,
      kind: 'malformed',
      request: withLines((live) => [
        [name.toLowerCase(), `${bearer}${live.accessToken}`],
        [name.toUpperCase(), `${bearer}${live.accessToken}`],
      ]),
    },
    {
      name: `${name} sent twice, once empty`,
      kind: 'malformed',
      request: withLines((live) => [
        [name, ''],
        [name, `${bearer}${live.accessToken}`],
      ]),
    },
    {
      name: `${name} of ${MAX_TOKEN + 1} characters`,
      kind: 'malformed',
      request: withValue(() => 'x'.repeat(MAX_TOKEN + 1)),
    },
    {
      name: `${name}: Bearer and a token of ${MAX_TOKEN + 1} characters`,
      kind: 'malformed',
      request: withValue(() => `Bearer ${'x'.repeat(MAX_TOKEN + 1)}`),
    },
    // Credentials that are well-formed requests but not valid.
    {
      name: `${name} of exactly ${MAX_TOKEN} characters of junk`,
      kind: 'credential',
      request: withValue(() => 'x'.repeat(MAX_TOKEN)),
    },
    {
      name: `${name}: random text`,
      kind: 'credential',
      request: withValue(() => 'hello there, Baton'),
    },
    { name: `${name}: Bearer a.b.c`, kind: 'credential', request: withValue(() => 'Bearer a.b.c') },
    { name: `${name}: a.b.c`, kind: 'credential', request: withValue(() => 'a.b.c') },
    {
      name: `${name}: Basic credentials`,
      kind: 'credential',
      request: withValue(() => `Basic ${Buffer.from('default:secret').toString('base64')}`),
    },
    ...FORGED_ACCESS_TOKENS.map((forgery): Case => ({
      name: `${name}: ${forgery.name}`,
      kind: 'credential',
      request: withValue(async (live) => `${bearer}${await forgery.forge(live)}`),
    })),
    {
      name: `${name}: the session's refresh token instead of an access token`,
      kind: 'credential',
      request: withValue((live) => live.refreshToken),
    },
    {
      name: `${name}: Bearer and the session's refresh token`,
      kind: 'credential',
      request: withValue((live) => `Bearer ${live.refreshToken}`),
    },
    {
      name: `${name}: Latin-1 bytes that are no token`,
      kind: 'credential',
      request: withLines(() => [
        [name, Buffer.from('Bearer \xe9t\xe9\xff\xa0\x80token', 'latin1')],
      ]),
    },
  ];
}

function bodyCases(dialect: BodyDialect): Case[] {
  const { name: field, limit } = FIELD[dialect];
  const headersOf = (live: Live): [string, string][] =>
    dialect === 'sevenG' ? sevenGHeaders(live) : [];
  const typed =
    (type: [string, string] | undefined, body: (live: Live) => string | Buffer | undefined) =>
    (live: Live): Req => {
      const payload = body(live);
      return {
        headers: [...headersOf(live), ...(type === undefined ? [] : [type])],
        ...(payload === undefined ? {} : { body: payload }),
      };
    };
  const json = (body: (live: Live) => string) => typed(JSON_TYPE, body);
  const fieldJson = (value: (live: Live) => unknown) =>
    json((live) => JSON.stringify({ [field]: value(live) }));
  const form = (body: (live: Live) => string) => typed(FORM_TYPE, body);
  const wrongTypes: [string, unknown, Kind][] = [
    ['a number', 1, 'not_string'],
    ['zero', 0, 'not_string'],
    ['a float', 1.5, 'not_string'],
    ['true', true, 'not_string'],
    ['false', false, 'not_string'],
    ['an empty object', {}, 'not_string'],
    ['an object', { value: WELL_FORMED_UNKNOWN }, 'not_string'],
    ['an empty array', [], 'not_string'],
    ['an array of a token', [WELL_FORMED_UNKNOWN], 'not_string'],
    ['null', null, 'null'],
  ];
  return [
    { name: 'invalid JSON', kind: 'json', request: json(() => `{"${field}": `) },
    {
      name: 'JSON with a trailing comma',
      kind: 'json',
      request: json((l) => `{"${field}":"${l.refreshToken}",}`),
    },
    { name: 'a JSON array', kind: 'not_dict', request: json(() => '[]') },
    {
      name: 'a JSON array holding the right object',
      kind: 'not_dict',
      request: json((l) => JSON.stringify([{ [field]: l.refreshToken }])),
    },
    {
      name: 'a JSON string literal (the token)',
      kind: 'not_dict',
      request: json((l) => JSON.stringify(l.refreshToken)),
    },
    { name: 'a JSON number literal', kind: 'not_dict', request: json(() => '42') },
    { name: 'a JSON true literal', kind: 'not_dict', request: json(() => 'true') },
    // A JSON null reads as no body at all: the field is missing.
    { name: 'a JSON null literal', kind: 'required', request: json(() => 'null') },
    { name: 'an empty JSON body', kind: 'required', request: json(() => '') },
    {
      name: 'no body and no content type',
      kind: 'required',
      request: typed(undefined, () => undefined),
    },
    { name: `${field} missing ({})`, kind: 'required', request: json(() => '{}') },
    {
      name: `${field} missing, unknown fields present`,
      kind: 'required',
      request: json((l) =>
        JSON.stringify({
          token: l.refreshToken,
          refresh_token: l.refreshToken,
          [`${field}s`]: 'x',
        }),
      ),
    },
    ...wrongTypes.map(([label, value, kind]): Case => ({
      name: `${field} as ${label}`,
      kind,
      request: fieldJson(() => value),
    })),
    { name: `${field} as an empty string`, kind: 'blank', request: fieldJson(() => '') },
    { name: `${field} of only whitespace`, kind: 'blank', request: fieldJson(() => ' \t\n ') },
    {
      name: `${field} of ${limit + 1} characters`,
      kind: 'too_long',
      request: fieldJson(() => `rt_${'A'.repeat(limit - 2)}`),
    },
    {
      name: `${field} of exactly ${limit} characters of junk`,
      kind: 'credential',
      request: fieldJson(() => `rt_${'A'.repeat(limit - 3)}`),
    },
    {
      name: `a JSON body over ${BODY_LIMIT} bytes`,
      kind: 'too_large',
      request: json((l) =>
        JSON.stringify({ [field]: l.refreshToken, pad: 'x'.repeat(BODY_LIMIT) }),
      ),
    },
    {
      name: `a form body over ${BODY_LIMIT} bytes`,
      kind: 'too_large',
      request: form((l) => `${field}=${l.refreshToken}&pad=${'x'.repeat(BODY_LIMIT)}`),
    },
    {
      name: 'a text/plain body',
      kind: 'media',
      request: typed(['content-type', 'text/plain'], (l) => `${field}=${l.refreshToken}`),
    },
    {
      name: 'an application/xml body',
      kind: 'media',
      request: typed(
        ['content-type', 'application/xml'],
        (l) => `<${field}>${l.refreshToken}</${field}>`,
      ),
    },
    {
      name: 'a multipart/form-data body',
      kind: 'media',
      request: typed(
        ['content-type', 'multipart/form-data; boundary=x'],
        (l) =>
          `--x\r\nContent-Disposition: form-data; name="${field}"\r\n\r\n${l.refreshToken}\r\n--x--\r\n`,
      ),
    },
    {
      name: 'a JSON body without a content type',
      kind: 'media',
      request: typed(undefined, (l) => JSON.stringify({ [field]: l.refreshToken })),
    },
    // Forms answer exactly like JSON.
    { name: `a form without ${field}`, kind: 'required', request: form(() => 'foo=bar') },
    { name: 'an empty form', kind: 'required', request: form(() => '') },
    { name: `a form with an empty ${field}`, kind: 'blank', request: form(() => `${field}=`) },
    {
      name: `a form with ${field} repeated`,
      kind: 'malformed',
      request: form((l) => `${field}=${l.refreshToken}&${field}=${l.refreshToken}`),
    },
    {
      name: `a form with ${field} of ${limit + 1} characters`,
      kind: 'too_long',
      request: form(() => `${field}=rt_${'A'.repeat(limit - 2)}`),
    },
    // Credentials that are not valid.
    {
      name: `${field}: random text`,
      kind: 'credential',
      request: fieldJson(() => 'hello there, Baton'),
    },
    { name: `${field}: a.b.c`, kind: 'credential', request: fieldJson(() => 'a.b.c') },
    {
      name: `${field}: a well-formed unknown refresh token`,
      kind: 'credential',
      request: fieldJson(() => WELL_FORMED_UNKNOWN),
    },
    {
      name: `${field}: the refresh token with its last character changed`,
      kind: 'credential',
      request: fieldJson(
        (l) => `${l.refreshToken.slice(0, -1)}${l.refreshToken.endsWith('A') ? 'B' : 'A'}`,
      ),
    },
    {
      name: `${field}: a JWT with alg none`,
      kind: 'credential',
      request: fieldJson((l) => new UnsecuredJWT({ sid: l.claims.sid }).encode()),
    },
    // An access token where a refresh token is expected: not valid, except for sevenG, whose
    // field is limited to 255 characters, which an access token exceeds (a malformed request).
    {
      name: `${field}: the session's access token instead of a refresh token`,
      kind: dialect === 'sevenG' ? 'too_long' : 'credential',
      request: fieldJson((l) => {
        if (dialect === 'sevenG') expect(l.accessToken.length).toBeGreaterThan(255);
        return l.accessToken;
      }),
    },
  ];
}

/** sevenG's other request parts: the Version header and the access token beside the body. */
function sevenGCases(): Case[] {
  const req =
    (versions: [string, string][]) =>
    (live: Live): Req => ({
      headers: [['Authorization', `Bearer ${live.accessToken}`], ...versions, JSON_TYPE],
      body: JSON.stringify({ refreshToken: live.refreshToken }),
    });
  return [
    { name: 'no Version header', kind: 'malformed', request: req([]) },
    { name: 'Version: 1.0', kind: 'malformed', request: req([['Version', '1.0']]) },
    { name: 'Version: 3.0', kind: 'malformed', request: req([['Version', '3.0']]) },
    { name: 'Version: 2', kind: 'malformed', request: req([['Version', '2']]) },
    { name: 'Version: v2.0', kind: 'malformed', request: req([['Version', 'v2.0']]) },
    { name: 'an empty Version header', kind: 'malformed', request: req([['Version', '']]) },
    {
      name: 'Version sent twice',
      kind: 'malformed',
      request: req([
        ['Version', '2.0'],
        ['Version', '2.0'],
      ]),
    },
    {
      name: 'a genuine access token of another session',
      kind: 'credential',
      request: async (live) => {
        const other = await service.issueSession({ subject: 'someone-else' });
        return {
          headers: [
            ['Authorization', `Bearer ${other.accessToken}`],
            ['Version', '2.0'],
            JSON_TYPE,
          ],
          body: JSON.stringify({ refreshToken: live.refreshToken }),
        };
      },
    },
  ];
}

/** Methods a dialect's path does not serve. */
function wrongMethodCases(dialect: DialectName): Case[] {
  const { method, path } = ENDPOINTS[dialect];
  const others = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].filter((each) => each !== method);
  const cases = others.map((other): Case => ({
    name: `${other} ${path}`,
    kind: 'wrong_method',
    request: (live) => {
      const { body, ...rest } = ENDPOINTS[dialect].good(live);
      return { ...rest, method: other, ...(other === 'GET' || body === undefined ? {} : { body }) };
    },
  }));
  if (dialect === 'aisquare') {
    cases.push({
      name: `${method} ${path.slice(0, -1)} (without the trailing slash)`,
      kind: 'not_found',
      request: (live) => ({ ...ENDPOINTS.aisquare.good(live), path: path.slice(0, -1) }),
    });
  }
  return cases;
}

/** Bodies payabli and transak ignore; the token in the header still refreshes. */
const IGNORED_BODIES: { name: string; type?: string; body: string | Buffer }[] = [
  { name: 'a JSON object', type: 'application/json', body: '{"requestToken":"junk","a":1}' },
  { name: 'invalid JSON', type: 'application/json', body: '{"requestToken": ' },
  { name: 'a JSON array', type: 'application/json', body: '[1,2,3]' },
  { name: 'a JSON null', type: 'application/json', body: 'null' },
  { name: 'an empty JSON body', type: 'application/json', body: '' },
  { name: 'a text/plain body', type: 'text/plain', body: 'hello' },
  { name: 'an application/xml body', type: 'application/xml', body: '<a>b</a>' },
  { name: 'a form body', type: 'application/x-www-form-urlencoded', body: 'a=1&a=2' },
  {
    name: 'an octet-stream body',
    type: 'application/octet-stream',
    body: Buffer.from([0, 1, 255]),
  },
  { name: 'a body without a content type', body: 'just bytes' },
  {
    name: `a body of exactly ${BODY_LIMIT} bytes`,
    type: 'text/plain',
    body: 'x'.repeat(BODY_LIMIT),
  },
];

// ---------------------------------------------------------------------------------------------
// The server

beforeAll(async () => {
  let store: Store;
  ({ service, store } = await createTestService({
    // Hundreds of failed refreshes from one IP must not turn into 429s.
    rateLimit: { ipFailures: 1_000_000, sessionFailures: 1_000_000 },
  }));
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line !== '') logLines.push(JSON.parse(line) as { level: number; msg?: string });
      }
      done();
    },
  });
  app = await createApp({
    service,
    logger: pino({ level: 'warn' }, sink),
    dialects: DIALECT_NAMES.map((name) => ({ name, prefix: '' })),
  });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  port = Number(new URL(base).port);

  const record = (await store.listKeys()).find((key) => key.retiredAt === null);
  if (record === undefined) throw new Error('no active key');
  const serverKey = createPrivateKey({
    key: JSON.parse(record.privateKey) as JsonWebKey,
    format: 'jwk',
  });
  const { privateKey: foreign } = await generateKeyPair('EdDSA', { extractable: true });
  material = {
    kid: record.kid,
    serverKey,
    publicKey: createPublicKey(serverKey),
    foreignKey: createPrivateKey({ key: (await exportJWK(foreign)) as JsonWebKey, format: 'jwk' }),
  };
  // The forgeries below use the real kid, as published.
  expect(service.jwks().keys.map((key) => key.kid)).toContain(record.kid);
});

afterAll(async () => {
  await app.close();
  await service.close();
});

beforeEach(async () => {
  const issued = await service.issueSession({ subject: 'victim', scope: 'read write' });
  live = {
    sessionId: issued.sessionId,
    accessToken: issued.accessToken,
    refreshToken: issued.refreshToken,
    claims: decodeJwt(issued.accessToken),
  };
});

/** Set by a case that answered an error: the session it reached must be unharmed. */
let failedCase = false;

afterEach(async () => {
  expect(logLines.filter((line) => line.level >= 50)).toEqual([]);
  const health = await fetch(`${base}/healthz`);
  answered.push({ what: 'healthz', status: health.status });
  expect(health.status).toBe(200);
  expect(await health.json()).toEqual({ status: 'ok' });
  if (failedCase) {
    failedCase = false;
    // Nothing a refused request carried used up the session: its tokens still work.
    expect(await service.introspect(live.accessToken, 'admin')).toMatchObject({ active: true });
    const refreshed = await fetch(`${base}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'refresh_token', refresh_token: live.refreshToken }),
    });
    answered.push({ what: 'oauth refresh after a refused case', status: refreshed.status });
    expect(refreshed.status, await refreshed.clone().text()).toBe(200);
  }
});

function runCases(dialect: DialectName, cases: Case[]): void {
  it.each(cases)(`$name → $kind`, async ({ request, kind, name }) => {
    const req = await request(live);
    const res = await send(dialect, req, name);
    failedCase = res.status >= 400;
    // What the case presented (long enough to be recognisable) is never echoed back.
    const presented = [...(req.headers ?? []).map(([, v]) => String(v)), String(req.body ?? '')]
      .map((value) => value.replace(/^Bearer /, ''))
      .filter((value) => value.length >= 32);
    expectDialectError(dialect, res, kind);
    for (const value of presented) expect(res.text).not.toContain(value);
    // The genuine tokens are never echoed either.
    expect(res.text).not.toContain(live.accessToken);
    expect(res.text).not.toContain(live.refreshToken);
  });
}

// ---------------------------------------------------------------------------------------------
// The tests

describe.each(DIALECT_NAMES)('%s', (dialect) => {
  it('control: the good request refreshes (so every refusal below is the case’s doing)', async () => {
    expectSuccess(dialect, await send(dialect, ENDPOINTS[dialect].good(live), 'control'));
  });

  if (dialect === 'payabli' || dialect === 'transak' || dialect === 'sevenG') {
    describe(`credential header`, () => runCases(dialect, credentialHeaderCases(dialect)));
  }

  if (dialect === 'sevenG' || dialect === 'aisquare' || dialect === 'adid') {
    describe('body', () => {
      runCases(dialect, bodyCases(dialect));

      const { name: field } = FIELD[dialect];
      const extraHeaders = (l: Live): [string, string][] =>
        dialect === 'sevenG' ? sevenGHeaders(l) : [];
      it('accepts the same fields form-encoded', async () => {
        const res = await send(
          dialect,
          {
            headers: [...extraHeaders(live), FORM_TYPE],
            body: new URLSearchParams({ [field]: live.refreshToken }).toString(),
          },
          'form',
        );
        expectSuccess(dialect, res);
      });
      it('ignores unknown fields', async () => {
        const res = await send(
          dialect,
          {
            headers: [...extraHeaders(live), JSON_TYPE],
            body: JSON.stringify({
              access: 'ignored',
              [field]: live.refreshToken,
              grant_type: 'password',
              nested: { deep: [1, 2, { x: null }] },
            }),
          },
          'extra fields',
        );
        expectSuccess(dialect, res);
      });
      it('trims the token field', async () => {
        const res = await send(
          dialect,
          {
            headers: [...extraHeaders(live), JSON_TYPE],
            body: JSON.stringify({ [field]: `  ${live.refreshToken}\t` }),
          },
          'padded field',
        );
        expectSuccess(dialect, res);
      });
    });
  }

  if (dialect === 'sevenG')
    describe('Version and the access token', () => runCases(dialect, sevenGCases()));

  if (dialect === 'payabli' || dialect === 'transak') {
    describe('bodies', () => {
      it.each(IGNORED_BODIES)('ignores $name and refreshes', async ({ type, body }) => {
        const res = await send(
          dialect,
          {
            headers: [
              ...(ENDPOINTS[dialect].good(live).headers ?? []),
              ...(type === undefined ? [] : [['content-type', type] as [string, string]]),
            ],
            body,
          },
          'ignored body',
        );
        expectSuccess(dialect, res);
      });

      // docs/dialects.md: payabli's POST reads and drops a body within the 16 KiB limit, so a
      // larger one is a malformed request; transak's GET never reads its body (RFC 9110 §9.3.1:
      // a GET body has no meaning), so a large one changes nothing.
      if (dialect === 'transak') {
        it('never reads the body of its GET, however large, and refreshes', async () => {
          const res = await send(
            dialect,
            {
              headers: [
                ...(ENDPOINTS[dialect].good(live).headers ?? []),
                ['content-type', 'text/plain'],
              ],
              body: 'x'.repeat(BODY_LIMIT * 4),
            },
            'ignored large body',
          );
          expectSuccess(dialect, res);
        });
        return;
      }
      runCases(dialect, [
        {
          name: `a body over ${BODY_LIMIT} bytes`,
          kind: 'too_large',
          request: (l) => ({
            headers: [
              ...(ENDPOINTS[dialect].good(l).headers ?? []),
              ['content-type', 'text/plain'],
            ],
            body: 'x'.repeat(BODY_LIMIT + 1),
          }),
        },
        {
          name: `a JSON body over ${BODY_LIMIT} bytes`,
          kind: 'too_large',
          request: (l) => ({
            headers: [...(ENDPOINTS[dialect].good(l).headers ?? []), JSON_TYPE],
            body: JSON.stringify({ pad: 'x'.repeat(BODY_LIMIT) }),
          }),
        },
        {
          name: `a body over ${BODY_LIMIT} bytes without a content type`,
          kind: 'too_large',
          request: (l) => ({
            headers: ENDPOINTS[dialect].good(l).headers ?? [],
            body: 'x'.repeat(BODY_LIMIT + 1),
          }),
        },
      ]);
    });
  }

  describe('wrong method', () => runCases(dialect, wrongMethodCases(dialect)));

  describe('broken HTTP', () => {
    // Node's HTTP parser refuses these before any route is chosen.
    const cases: { name: string; tail: (live: Live) => Buffer }[] = [
      {
        name: 'a credential header value with a control byte',
        tail: (l) =>
          Buffer.from(
            `requestToken: ${l.accessToken}\x01\r\nauthorization: Bearer ${l.accessToken}\x01\r\n\r\n`,
            'latin1',
          ),
      },
      {
        name: 'a chunked body with a chunk size that is not hex',
        tail: () =>
          Buffer.from(
            'content-type: application/json\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
          ),
      },
      {
        name: 'both content-length and transfer-encoding: chunked',
        tail: () =>
          Buffer.from(
            'content-type: application/json\r\ncontent-length: 4\r\ntransfer-encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n',
          ),
      },
    ];
    it.each(cases)('$name → 400, never 500', async ({ tail }) => {
      const res = await send(dialect, { rawTail: tail(live) }, 'broken HTTP');
      expect(res.status, res.text).toBe(400);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['content-type']).toMatch(/json/);
      expect(res.text).not.toContain(live.accessToken);
    });
    it('answers each of them in the dialect’s own error shape', async () => {
      const shapes: string[] = [];
      for (const { name, tail } of cases) {
        const res = await send(dialect, { rawTail: tail(live) }, 'broken HTTP shape');
        try {
          expectDialectError(dialect, res, 'malformed');
        } catch {
          shapes.push(`${name}: ${res.headers['content-type']} ${res.text}`);
        }
      }
      // A request Node's HTTP parser refuses is answered before routing, in the shape of the
      // dialect its request line names.
      expect(shapes).toEqual([]);
    });
  });
});

describe('after all of that', () => {
  it('no response in the whole file was a 5xx', () => {
    expect(answered.length).toBeGreaterThan(300);
    expect(answered.filter((entry) => entry.status >= 500)).toEqual([]);
  });

  it('no dialect refresh was counted as an internal error, and each counted its failures', async () => {
    const res = await fetch(`${base}/metrics`);
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).not.toMatch(/outcome="internal"/);
    for (const dialect of DIALECT_NAMES) {
      expect(text).toMatch(
        new RegExp(`baton_refresh_total\\{face="${dialect}",outcome="rotated"\\} [1-9]`),
      );
      expect(text).toMatch(
        new RegExp(
          `baton_refresh_total\\{face="${dialect}",outcome="(unknown|invalid_token)"\\} [1-9]`,
        ),
      );
    }
  });

  it('logged no error', () => {
    expect(logLines.filter((line) => line.level >= 50)).toEqual([]);
  });
});
