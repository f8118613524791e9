import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTokenClient,
  memoryStorage,
  type TokenClientError,
  type TokenStorage,
} from '../../src/client/index.js';
import {
  admin,
  cleanupServers,
  getSession,
  mintSession,
  refreshAt,
  startServer,
  type ServerProcess,
  type TokenResponse,
} from '../helpers/server-process.js';

// invalid_grant is final: the session ends with Baton's reason and the storage is cleared.
// signOut revokes the session and ends it in every client sharing the storage.

let server: ServerProcess;

beforeAll(async () => {
  server = await startServer({ BATON_RATE_LIMIT_IP: '0' });
}, 60_000);

afterAll(cleanupServers);

/** A clock that a test moves forward, so that tokens expire when the test says. */
function testClock(): { now(): number; skip(seconds: number): void } {
  let offset = 0;
  return { now: () => Date.now() + offset, skip: (seconds) => void (offset += seconds * 1000) };
}

const keyOf = (clientId = 'default'): string => `baton:${clientId}@${server.url}`;

async function failure(promise: Promise<unknown>): Promise<TokenClientError> {
  return (await promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error,
  )) as TokenClientError;
}

describe('session end', () => {
  it('a reused refresh token ends the session with reason reused and clears storage', async () => {
    const minted = await mintSession(server.url, { subject: 'end-reused' });
    // Someone else holds the same refresh token: they refresh twice, so the client's is stale.
    const stolen = (await refreshAt(server.url, minted.refreshToken)).json as TokenResponse;
    expect((await refreshAt(server.url, stolen.refresh_token)).status).toBe(200);

    const storage = memoryStorage();
    const ended: string[] = [];
    const client = createTokenClient({
      baseUrl: server.url,
      clientId: 'default',
      storage,
      tokens: { ...minted, expiresIn: 0 },
      onSessionEnd: (reason) => ended.push(reason),
    });
    const error = await failure(client.getAccessToken());
    expect(error.code).toBe('ERR_SESSION_ENDED');
    expect(error.reason).toBe('reused');
    expect(error.message).not.toContain(minted.refreshToken);
    expect(ended).toEqual(['reused']);
    expect(await storage.get(keyOf())).toBeUndefined();
    expect((await failure(client.getAccessToken())).code).toBe('ERR_NO_SESSION');
    expect(ended).toEqual(['reused']);
    expect((await getSession(server.url, minted.sessionId)).revokeReason).toBe('reuse');
    client.close();
  });

  it('a revoked session ends with reason revoked', async () => {
    const minted = await mintSession(server.url, { subject: 'end-revoked' });
    const storage = memoryStorage();
    const ended: string[] = [];
    const clock = testClock();
    const client = createTokenClient({
      baseUrl: server.url,
      clientId: 'default',
      storage,
      clock,
      tokens: { ...minted, expiresIn: 900 },
      onSessionEnd: (reason) => ended.push(reason),
    });
    expect(await client.getAccessToken()).toBe(minted.accessToken);
    const revoked = await admin(server.url, 'DELETE', `/admin/sessions/${minted.sessionId}`);
    expect(revoked.status).toBe(200);
    clock.skip(900);
    const error = await failure(client.getAccessToken());
    expect([error.code, error.reason]).toEqual(['ERR_SESSION_ENDED', 'revoked']);
    expect(ended).toEqual(['revoked']);
    expect(await storage.get(keyOf())).toBeUndefined();
    client.close();
  });

  it('signOut revokes the session at the server and ends it in every client of the storage', async () => {
    const minted = await mintSession(server.url, { subject: 'end-signout' });
    const storage: TokenStorage = { ...memoryStorage(), shared: true };
    const ended: string[][] = [[], [], []];
    const clients = ended.map((log, i) =>
      createTokenClient({
        baseUrl: server.url,
        clientId: 'default',
        storage,
        ...(i === 0 ? { tokens: { ...minted, expiresIn: 900 } } : {}),
        onSessionEnd: (reason) => log.push(reason),
      }),
    );
    await clients[0]?.getAccessToken();
    for (const client of clients) expect(await client.getAccessToken()).toBe(minted.accessToken);

    expect(await clients[1]?.signOut()).toBe(true);
    await expect.poll(() => ended).toEqual([['signed_out'], ['signed_out'], ['signed_out']]);
    expect(await storage.get(keyOf())).toBeUndefined();
    const session = await getSession(server.url, minted.sessionId);
    expect([session.status, session.revokeReason]).toEqual(['revoked', 'logout']);
    for (const client of clients) {
      expect((await failure(client.getAccessToken())).code).toBe('ERR_NO_SESSION');
      client.close();
    }
  });

  it('a session ended by the server in one client ends, with its reason, in every client of the storage', async () => {
    const minted = await mintSession(server.url, { subject: 'end-everywhere' });
    const storage: TokenStorage = { ...memoryStorage(), shared: true };
    const clock = testClock();
    const logs: string[][] = [[], []];
    const clients = logs.map((log, i) =>
      createTokenClient({
        baseUrl: server.url,
        clientId: 'default',
        storage,
        clock,
        ...(i === 0 ? { tokens: { ...minted, expiresIn: 900 } } : {}),
        onSessionEnd: (reason) => log.push(reason),
      }),
    );
    await clients[0]?.getAccessToken();
    expect(await clients[1]?.getAccessToken()).toBe(minted.accessToken);
    await admin(server.url, 'DELETE', `/admin/sessions/${minted.sessionId}`);
    clock.skip(900);
    const error = await failure(clients[0]?.getAccessToken() ?? Promise.resolve());
    expect(error.reason).toBe('revoked');
    await expect.poll(() => logs).toEqual([['revoked'], ['revoked']]);
    expect((await failure(clients[1]?.getAccessToken() ?? Promise.resolve())).code).toBe(
      'ERR_NO_SESSION',
    );
    for (const client of clients) client.close();
  });

  it('keeps the sessions of two client ids on one storage apart', async () => {
    const one = await mintSession(server.url, { subject: 'apart-1' });
    expect((await admin(server.url, 'POST', '/admin/clients', { id: 'other' })).status).toBe(201);
    const two = await mintSession(server.url, { subject: 'apart-2', clientId: 'other' });
    const storage = memoryStorage();
    const a = createTokenClient({
      baseUrl: server.url,
      clientId: 'default',
      storage,
      tokens: { ...one, expiresIn: 900 },
    });
    const b = createTokenClient({
      baseUrl: server.url,
      clientId: 'other',
      storage,
      tokens: { ...two, expiresIn: 900 },
    });
    expect(await a.getAccessToken()).toBe(one.accessToken);
    expect(await b.getAccessToken()).toBe(two.accessToken);
    await a.signOut();
    expect(await b.getAccessToken()).toBe(two.accessToken);
    expect(await storage.get(keyOf('other'))).toContain(two.refreshToken);
    a.close();
    b.close();
  });
});
