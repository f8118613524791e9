import { KeyObject, sign } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  exportJWK,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from 'jose';

/** How the local JWKS endpoint answers. */
export type JwksMode = 'ok' | 'error' | 'hang';

/** A key pair of the local issuer with its published JWK. */
export interface LocalKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

/**
 * A small issuer of its own on node:http: `GET /jwks.json` serves the keys it is given, counts
 * its requests and can fail (`error`: 500) or never answer (`hang`). For tokens Baton would
 * never sign (other `typ`, `nbf`, missing claims), signed with keys the test controls.
 */
export interface LocalIssuer {
  issuer: string;
  jwksUri: string;
  /** Requests served by the JWKS endpoint, including failed ones. */
  hits(): number;
  setMode(mode: JwksMode): void;
  /** Replaces the published JWKS body. */
  publish(body: unknown): void;
  close(): Promise<void>;
}

/** Starts a {@link LocalIssuer} on a free port of 127.0.0.1, publishing `keys`. */
export async function startLocalIssuer(keys: LocalKey[]): Promise<LocalIssuer> {
  let body: unknown = { keys: keys.map((key) => key.publicJwk) };
  let mode: JwksMode = 'ok';
  let hits = 0;
  const hanging = new Set<ServerResponse>();
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    if (request.url !== '/jwks.json') {
      response.writeHead(404).end();
      return;
    }
    hits += 1;
    if (mode === 'hang') {
      hanging.add(response);
      return;
    }
    if (mode === 'error') {
      response.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"down"}');
      return;
    }
    response.writeHead(200, { 'content-type': 'application/jwk-set+json' });
    response.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;
  return {
    issuer,
    jwksUri: `${issuer}/jwks.json`,
    hits: () => hits,
    setMode: (next) => {
      mode = next;
    },
    publish: (next) => {
      body = next;
    },
    close: async () => {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A new key pair for `alg`, published with `kid`, `alg` and `use: sig`. */
export async function createLocalKey(
  alg: 'EdDSA' | 'ES256' | 'RS256',
  kid: string,
): Promise<LocalKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicJwk };
}

/** Claims like Baton's for `issuer`, valid from `now` (epoch seconds) for 15 minutes. */
export function batonLikeClaims(issuer: string, now: number, extra: JWTPayload = {}): JWTPayload {
  return {
    iss: issuer,
    sub: 'alice',
    aud: issuer,
    iat: now,
    exp: now + 900,
    jti: `jti-${Math.random().toString(36).slice(2)}`,
    sid: 'ses_local',
    client_id: 'default',
    gen: 0,
    ...extra,
  };
}

/** Signs `claims` with `key`; the header is `{alg, typ: at+jwt, kid}` plus `header`. */
export async function signLocal(
  key: LocalKey,
  claims: JWTPayload,
  header: Record<string, unknown> = {},
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, typ: 'at+jwt', kid: key.kid, ...header })
    .sign(key.privateKey);
}

/**
 * Signs `payload` (any text) under `header` with an EdDSA key, for tokens jose will not produce
 * (a payload that is not a JSON object, an unknown `crit` parameter).
 */
export function signRaw(key: LocalKey, header: Record<string, unknown>, payload: string): string {
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(payload).toString('base64url')}`;
  const signature = sign(null, Buffer.from(input), KeyObject.from(key.privateKey));
  return `${input}.${signature.toString('base64url')}`;
}

/** A clock the test moves by hand, in epoch milliseconds. */
export interface TestClock {
  now(): number;
  advance(seconds: number): void;
}

/** A {@link TestClock} starting at `startMs` (default: the real time now). */
export function createTestClock(startMs = Date.now()): TestClock {
  let now = startMs;
  return {
    now: () => now,
    advance: (seconds) => {
      now += seconds * 1000;
    },
  };
}
