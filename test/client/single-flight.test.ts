import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenClient, memoryStorage, type TokenStorage } from '../../src/client/index.js';
import {
  cleanupServers,
  getSession,
  mintSession,
  startServer,
  type ServerProcess,
} from '../helpers/server-process.js';
import { startBatonProxy, type BatonProxy } from './baton-proxy.js';

// Concurrent callers share one refresh: inside one client, and across clients that share one
// storage (tabs), counted where the server sees them.

let server: ServerProcess;
let proxy: BatonProxy;

beforeAll(async () => {
  server = await startServer({ BATON_RATE_LIMIT_IP: '0' });
  proxy = await startBatonProxy(server.url);
}, 60_000);

afterAll(async () => {
  await proxy.close();
  await cleanupServers();
});

const tokenRequests = (): number => proxy.to('/oauth/token').length;

describe('single flight', () => {
  it('100 concurrent getAccessToken() calls on an expired token send exactly one refresh', async () => {
    const minted = await mintSession(server.url, { subject: 'sf-one' });
    const before = tokenRequests();
    const client = createTokenClient({
      baseUrl: proxy.url,
      clientId: 'default',
      tokens: { ...minted, expiresIn: 0 },
    });
    const tokens = await Promise.all(Array.from({ length: 100 }, () => client.getAccessToken()));
    client.close();

    expect(tokenRequests() - before).toBe(1);
    expect(new Set(tokens).size).toBe(1);
    expect(tokens[0]).not.toBe(minted.accessToken);
    expect((await getSession(server.url, minted.sessionId)).generation).toBe(1);
  });

  it('clients sharing one storage (tabs) send one refresh among them and all get its tokens', async () => {
    const minted = await mintSession(server.url, { subject: 'sf-tabs' });
    const shared: TokenStorage = { ...memoryStorage(), shared: true };
    let offset = 0;
    const clock = { now: () => Date.now() + offset };
    const told: string[] = [];
    const options = { baseUrl: proxy.url, clientId: 'default', storage: shared, clock };
    const first = createTokenClient({ ...options, tokens: { ...minted, expiresIn: 3600 } });
    expect(await first.getAccessToken()).toBe(minted.accessToken);
    const tabs = [
      first,
      ...Array.from({ length: 4 }, () =>
        createTokenClient({ ...options, onTokens: (t) => told.push(t.accessToken) }),
      ),
    ];
    for (const tab of tabs) expect(await tab.getAccessToken()).toBe(minted.accessToken);
    const before = tokenRequests();

    offset = 3600_000; // an hour later, every tab finds the access token expired at once
    const tokens = await Promise.all(
      tabs.flatMap((tab) => Array.from({ length: 20 }, () => tab.getAccessToken())),
    );
    for (const tab of tabs) tab.close();

    expect(tokenRequests() - before).toBe(1);
    expect(new Set(tokens).size).toBe(1);
    expect(tokens[0]).not.toBe(minted.accessToken);
    expect((await getSession(server.url, minted.sessionId)).generation).toBe(1);
    // The tabs that did not refresh learnt the tokens from the one that did.
    expect(told.filter((t) => t === tokens[0]).length).toBe(4);
  });
});
