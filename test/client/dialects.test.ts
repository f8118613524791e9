import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenClient, type Dialect, type TokenClientError } from '../../src/client/index.js';
import {
  admin,
  cleanupServers,
  getSession,
  mintSession,
  startServer,
  type ServerProcess,
} from '../helpers/server-process.js';
import { startBatonProxy, type BatonProxy } from './baton-proxy.js';

// Every face through the client's `dialect` option, against `baton serve` with all dialects on.

let server: ServerProcess;
let proxy: BatonProxy;

beforeAll(async () => {
  server = await startServer({ BATON_DIALECTS: 'all', BATON_RATE_LIMIT_IP: '0' });
  proxy = await startBatonProxy(server.url);
}, 60_000);

afterAll(async () => {
  await proxy.close();
  await cleanupServers();
});

/** A clock that a test moves forward: the client's idea of time, not the server's. */
function testClock(): { now(): number; skip(seconds: number): void } {
  let offset = 0;
  return { now: () => Date.now() + offset, skip: (seconds) => void (offset += seconds * 1000) };
}

const PATHS: Record<Dialect, string> = {
  oauth: '/oauth/token',
  payabli: '/api/User/authrefresh',
  transak: '/api/v2/auth/refresh',
  sevenG: '/User/RefreshToken',
  aisquare: '/api/v1/token/refresh/',
  adid: '/api/v1/auth/refresh',
};

describe.each(Object.keys(PATHS) as Dialect[])('dialect %s', (dialect) => {
  it('refreshes ahead of expiry through its own endpoint, twice, on one session', async () => {
    const minted = await mintSession(server.url, { subject: `dialect-${dialect}` });
    const clock = testClock();
    const client = createTokenClient({
      baseUrl: proxy.url,
      clientId: 'default',
      dialect,
      clock,
      tokens: { ...minted, expiresIn: 900 },
    });
    const path = PATHS[dialect];
    const before = proxy.to(path).length;
    expect(await client.getAccessToken()).toBe(minted.accessToken);

    clock.skip(850); // inside the 60 s skew: refreshed while the token still works
    const first = await client.getAccessToken();
    expect(first).not.toBe(minted.accessToken);
    // The new expiry is known (from expires_in, or from exp and the Date header): no refresh.
    expect(await client.getAccessToken()).toBe(first);
    clock.skip(850);
    const second = await client.getAccessToken();
    client.close();

    expect(second).not.toBe(first);
    expect(proxy.to(path).length - before).toBe(2);
    expect(proxy.to(path).every((r) => r.status === 200)).toBe(true);
    expect((await getSession(server.url, minted.sessionId)).generation).toBe(2);
  });
});

describe('refreshing by access token', () => {
  it.each(['payabli', 'transak'] as const)(
    '%s: a client that wakes after its access token expired ends the session as expired',
    async (dialect) => {
      const minted = await mintSession(server.url, { subject: `late-${dialect}`, accessTtl: 60 });
      const clock = testClock();
      const ended: string[] = [];
      const client = createTokenClient({
        baseUrl: proxy.url,
        clientId: 'default',
        dialect,
        clock,
        tokens: { ...minted, expiresIn: 60 },
        onSessionEnd: (reason) => ended.push(reason),
      });
      const before = proxy.to(PATHS[dialect]).length;
      clock.skip(120);
      const error = (await client.getAccessToken().catch((e: unknown) => e)) as TokenClientError;
      client.close();
      expect([error.code, error.reason]).toEqual(['ERR_SESSION_ENDED', 'expired']);
      expect(ended).toEqual(['expired']);
      expect(proxy.to(PATHS[dialect]).length - before).toBe(0);
    },
  );

  it('reads the expiry from the token and the server Date when the local clock is an hour off', async () => {
    const minted = await mintSession(server.url, { subject: 'skewed', accessTtl: 600 });
    const clock = testClock();
    clock.skip(-3600);
    const client = createTokenClient({
      baseUrl: proxy.url,
      clientId: 'default',
      dialect: 'transak',
      clock,
      refreshSkew: 30,
      tokens: { accessToken: minted.accessToken, expiresIn: 600 },
    });
    const before = proxy.to(PATHS.transak).length;
    clock.skip(580);
    const fresh = await client.getAccessToken();
    expect(fresh).not.toBe(minted.accessToken);
    clock.skip(500); // 500 s into a 600 s token: no refresh yet, whatever the local clock says
    expect(await client.getAccessToken()).toBe(fresh);
    clock.skip(80);
    expect(await client.getAccessToken()).not.toBe(fresh);
    client.close();
    expect(proxy.to(PATHS.transak).length - before).toBe(2);
  });
});

describe('confidential clients', () => {
  it('authenticate with HTTP Basic, the id form-encoded first', async () => {
    const created = await admin(server.url, 'POST', '/admin/clients', {
      id: 'back~end.1',
      confidential: true,
    });
    expect(created.status).toBe(201);
    const secret = (created.json as { clientSecret: string }).clientSecret;
    const minted = await mintSession(server.url, { subject: 'conf', clientId: 'back~end.1' });
    const clock = testClock();
    const client = createTokenClient({
      baseUrl: proxy.url,
      clientId: 'back~end.1',
      clientSecret: secret,
      clock,
      tokens: { ...minted, expiresIn: 900 },
    });
    const before = proxy.to(PATHS.oauth).length;
    clock.skip(900);
    expect(await client.getAccessToken()).not.toBe(minted.accessToken);
    const sent = proxy.to(PATHS.oauth).slice(before);
    expect(sent[0]?.headers.authorization).toBe(
      `Basic ${Buffer.from(`back%7Eend.1:${secret}`).toString('base64')}`,
    );
    expect(new URLSearchParams(sent[0]?.body).has('client_id')).toBe(false);

    const wrong = createTokenClient({
      baseUrl: proxy.url,
      clientId: 'back~end.1',
      clientSecret: 'cs_wrong',
      clock,
      tokens: { ...minted, expiresIn: 0 },
    });
    const error = (await wrong.getAccessToken().catch((e: unknown) => e)) as TokenClientError;
    expect([error.code, error.status]).toEqual(['ERR_INVALID_CLIENT', 401]);
    expect(error.message).not.toContain('cs_');
    client.close();
    wrong.close();
  });
});
