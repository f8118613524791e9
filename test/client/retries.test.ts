import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenClient, type TokenClientError } from '../../src/client/index.js';
import {
  admin,
  cleanupServers,
  getSession,
  mintSession,
  startServer,
  type ServerProcess,
} from '../helpers/server-process.js';
import { startBatonProxy, type BatonProxy } from './baton-proxy.js';

// Retries of a refresh (5xx, 429, lost answers) stay inside the reuse grace, and an API's 401
// costs at most one refresh and one retry.

let server: ServerProcess;
let proxy: BatonProxy;
let api: Server;
let apiUrl: string;
const apiCalls: { path: string; token: string; status: number }[] = [];

/** An API that accepts a token while Baton's introspection says it is active. */
async function handleApi(path: string, authorization: string | undefined): Promise<number> {
  const token = /^Bearer (.+)$/.exec(authorization ?? '')?.[1] ?? '';
  if (path === '/always-401') return 401;
  const result = await fetch(`${server.url}/oauth/introspect`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.adminToken ?? ''}` },
    body: new URLSearchParams({ token }),
  });
  const { active } = (await result.json()) as { active: boolean };
  return active ? 200 : 401;
}

beforeAll(async () => {
  server = await startServer({ BATON_RATE_LIMIT_IP: '0' });
  proxy = await startBatonProxy(server.url);
  api = createServer((request, response) => {
    const path = request.url ?? '/';
    const token = request.headers.authorization ?? '';
    void handleApi(path, token).then((status) => {
      apiCalls.push({ path, token, status });
      response.writeHead(status).end(status === 200 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  await proxy.close();
  await new Promise((resolve) => api.close(resolve));
  await cleanupServers();
});

const TOKEN_PATH = '/oauth/token';

describe('refresh retries', () => {
  it('retries a 503 after its Retry-After with the same refresh token, then succeeds', async () => {
    const minted = await mintSession(server.url, { subject: 'retry-503' });
    const client = createTokenClient({
      baseUrl: proxy.url,
      clientId: 'default',
      tokens: { ...minted, expiresIn: 0 },
    });
    const before = proxy.to(TOKEN_PATH).length;
    proxy.plan(TOKEN_PATH, { status: 503, retryAfter: '1' });
    const token = await client.getAccessToken();
    client.close();

    const sent = proxy.to(TOKEN_PATH).slice(before);
    expect(sent).toHaveLength(2);
    expect(new Set(sent.map((r) => new URLSearchParams(r.body).get('refresh_token')))).toEqual(
      new Set([minted.refreshToken]),
    );
    // Retry-After: 1 was honoured (a lower bound, not a speed claim).
    expect((sent[1]?.at ?? 0) - (sent[0]?.at ?? 0)).toBeGreaterThanOrEqual(950);
    expect(token).toBe(JSON.parse(sent[1]?.answer ?? '{}').access_token);
    expect((await getSession(server.url, minted.sessionId)).generation).toBe(1);
  });

  it('stops retrying lost answers before the client reuse grace ends', async () => {
    const minted = await mintSession(server.url, { subject: 'retry-window' });
    const client = createTokenClient({
      baseUrl: proxy.url,
      clientId: 'default',
      tokens: { ...minted, expiresIn: 0 },
      reuseGrace: 2,
    });
    const before = proxy.to(TOKEN_PATH).length;
    proxy.plan(TOKEN_PATH, ...Array.from({ length: 50 }, () => 'drop' as const));
    const error = await client.getAccessToken().catch((e: unknown) => e);
    client.close();
    proxy.plan(TOKEN_PATH); // later tests pass again
    const sent = proxy.to(TOKEN_PATH).slice(before);
    expect((error as TokenClientError).code).toBe('ERR_NETWORK');
    expect(sent.length).toBeGreaterThanOrEqual(2);
    expect((sent.at(-1)?.at ?? 0) - (sent[0]?.at ?? 0)).toBeLessThan(2000);
  });

  it('gives up on a 429 whose Retry-After outlasts the grace, and the session stays usable', async () => {
    const minted = await mintSession(server.url, { subject: 'retry-429' });
    const ended: string[] = [];
    const client = createTokenClient({
      baseUrl: proxy.url,
      clientId: 'default',
      tokens: { ...minted, expiresIn: 0 },
      onSessionEnd: (reason) => ended.push(reason),
    });
    const before = proxy.to(TOKEN_PATH).length;
    proxy.plan(TOKEN_PATH, { status: 429, retryAfter: '60' });
    const error = (await client.getAccessToken().catch((e: unknown) => e)) as TokenClientError;
    expect(error.code).toBe('ERR_RATE_LIMITED');
    expect(error.retryAfter).toBe(60);
    expect(proxy.to(TOKEN_PATH).length - before).toBe(1);
    // Nothing was committed, so the next call refreshes with the same token, afresh.
    const token = await client.getAccessToken();
    client.close();
    expect(token).not.toBe(minted.accessToken);
    expect(ended).toEqual([]);
  });
});

describe('authenticated fetch', () => {
  it('refreshes once on a 401 and retries once with the new token', async () => {
    const minted = await mintSession(server.url, { subject: 'api-401' });
    const client = createTokenClient({
      baseUrl: proxy.url,
      clientId: 'default',
      tokens: { ...minted, expiresIn: 900 },
    });
    // The access token is revoked by id (RFC 7009): the API now refuses it.
    const revoked = await fetch(`${server.url}/oauth/revoke`, {
      method: 'POST',
      body: new URLSearchParams({ token: minted.accessToken, client_id: 'default' }),
    });
    expect(revoked.status).toBe(200);
    const before = proxy.to(TOKEN_PATH).length;
    const calls = apiCalls.length;
    const response = await client.fetch(`${apiUrl}/me`);
    client.close();
    expect(response.status).toBe(200);
    expect(proxy.to(TOKEN_PATH).length - before).toBe(1);
    expect(apiCalls.slice(calls).map((c) => c.status)).toEqual([401, 200]);
  });

  it('returns a second 401 to the caller and does not refresh for that token again', async () => {
    const minted = await mintSession(server.url, { subject: 'api-401-twice' });
    const client = createTokenClient({
      baseUrl: proxy.url,
      clientId: 'default',
      tokens: { ...minted, expiresIn: 900 },
    });
    const before = proxy.to(TOKEN_PATH).length;
    const calls = apiCalls.length;
    const first = await client.fetch(`${apiUrl}/always-401`, { method: 'POST', body: 'x' });
    const second = await client.fetch(`${apiUrl}/always-401`);
    client.close();
    expect([first.status, second.status]).toEqual([401, 401]);
    expect(proxy.to(TOKEN_PATH).length - before).toBe(1);
    expect(apiCalls.slice(calls)).toHaveLength(3);
    expect((await getSession(server.url, minted.sessionId)).generation).toBe(1);
  });

  it('concurrent 401s of one stale token share one refresh', async () => {
    const minted = await mintSession(server.url, { subject: 'api-401-many' });
    const client = createTokenClient({
      baseUrl: proxy.url,
      clientId: 'default',
      tokens: { ...minted, expiresIn: 900 },
    });
    await admin(server.url, 'GET', '/admin/keys'); // warm the admin path; the revocation follows
    await fetch(`${server.url}/oauth/revoke`, {
      method: 'POST',
      body: new URLSearchParams({ token: minted.accessToken, client_id: 'default' }),
    });
    const before = proxy.to(TOKEN_PATH).length;
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => client.fetch(`${apiUrl}/me`)),
    );
    client.close();
    expect(responses.map((r) => r.status)).toEqual(responses.map(() => 200));
    expect(proxy.to(TOKEN_PATH).length - before).toBe(1);
  });
});
