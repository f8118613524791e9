import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTokenClient,
  memoryStorage,
  TokenClientError,
  type FetchLike,
} from '../../src/client/index.js';
import {
  cleanupServers,
  getSession,
  mintSession,
  startServer,
  type ServerProcess,
} from '../helpers/server-process.js';
import { startBatonProxy, type BatonProxy } from './baton-proxy.js';

// A refresh whose answer is lost after the server committed it: the client sends the same
// refresh token again inside the reuse grace and gets the same tokens, with no session lost.

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

const TOKEN_PATH = '/oauth/token';
const refreshTokenOf = (body: string): string | null =>
  new URLSearchParams(body).get('refresh_token');

describe('lost refresh responses', () => {
  it('retries a dropped refresh with the same refresh token and keeps the committed tokens', async () => {
    const minted = await mintSession(server.url, { subject: 'lost-1' });
    const ended: string[] = [];
    const client = createTokenClient({
      baseUrl: proxy.url,
      clientId: 'default',
      tokens: { ...minted, expiresIn: 0 },
      onSessionEnd: (reason) => ended.push(reason),
    });
    const before = proxy.to(TOKEN_PATH).length;
    proxy.plan(TOKEN_PATH, 'drop');
    const token = await client.getAccessToken();
    client.close();

    const sent = proxy.to(TOKEN_PATH).slice(before);
    expect(sent).toHaveLength(2);
    expect(sent.map((r) => refreshTokenOf(r.body))).toEqual([
      minted.refreshToken,
      minted.refreshToken,
    ]);
    // The server committed the first one; the retry got its answer again, byte for byte.
    expect(sent[0]?.status).toBe(200);
    expect(sent[1]?.answer).toBe(sent[0]?.answer);
    expect(token).toBe(JSON.parse(sent[0]?.answer ?? '{}').access_token);
    expect((await getSession(server.url, minted.sessionId)).generation).toBe(1);
    expect(ended).toEqual([]);
  });

  it('a new client over the same storage finishes a refresh its predecessor left in flight', async () => {
    const minted = await mintSession(server.url, { subject: 'lost-reload' });
    const storage = memoryStorage();
    let reached!: () => void;
    const serverAnswered = new Promise<void>((resolve) => (reached = resolve));
    // The page that goes away: its refresh reaches the server, the answer never reaches it.
    const dying: FetchLike = async (input, init) => {
      const response = await fetch(input, init);
      if (!String(input).endsWith(TOKEN_PATH)) return response;
      await response.text();
      reached();
      return new Promise<Response>(() => undefined);
    };
    const before = proxy.to(TOKEN_PATH).length;
    const old = createTokenClient({
      baseUrl: proxy.url,
      clientId: 'default',
      tokens: { ...minted, expiresIn: 0 },
      storage,
      fetch: dying,
    });
    void old.getAccessToken();
    await serverAnswered;
    old.close();
    const stored = JSON.parse((await storage.get(`baton:default@${proxy.url}`)) ?? '{}');
    expect(stored.r).toBe(minted.refreshToken);
    expect(typeof stored.p).toBe('number');

    const ended: string[] = [];
    const reloaded = createTokenClient({
      baseUrl: proxy.url,
      clientId: 'default',
      storage,
      onSessionEnd: (reason) => ended.push(reason),
    });
    const token = await reloaded.getAccessToken();
    reloaded.close();

    const sent = proxy.to(TOKEN_PATH).slice(before);
    expect(sent.map((r) => refreshTokenOf(r.body))).toEqual([
      minted.refreshToken,
      minted.refreshToken,
    ]);
    const committed = JSON.parse(sent[0]?.answer ?? '{}');
    expect(token).toBe(committed.access_token);
    const after = JSON.parse((await storage.get(`baton:default@${proxy.url}`)) ?? '{}');
    expect(after.r).toBe(committed.refresh_token);
    expect(after.p).toBeUndefined();
    expect((await getSession(server.url, minted.sessionId)).generation).toBe(1);
    expect(ended).toEqual([]);
  });

  it('reads the reuse grace from the server metadata: a server with none never gets a resend', async () => {
    const strict = await startServer({ BATON_RATE_LIMIT_IP: '0', BATON_REUSE_GRACE: '0' });
    const strictProxy = await startBatonProxy(strict.url);
    try {
      const meta = await fetch(`${strict.url}/.well-known/oauth-authorization-server`);
      expect(((await meta.json()) as Record<string, unknown>).baton_reuse_grace_seconds).toBe(0);
      const minted = await mintSession(strict.url, { subject: 'strict' });
      const client = createTokenClient({
        baseUrl: strictProxy.url,
        clientId: 'default',
        tokens: { ...minted, expiresIn: 0 },
      });
      strictProxy.plan(TOKEN_PATH, 'drop');
      const error = await client.getAccessToken().catch((e: unknown) => e);
      client.close();
      expect((error as TokenClientError).code).toBe('ERR_NETWORK');
      expect(strictProxy.to(TOKEN_PATH)).toHaveLength(1);
    } finally {
      await strictProxy.close();
    }
  });

  it('with a client reuse grace of 0 never sends a refresh twice', async () => {
    const minted = await mintSession(server.url, { subject: 'lost-grace-0' });
    const client = createTokenClient({
      baseUrl: proxy.url,
      clientId: 'default',
      tokens: { ...minted, expiresIn: 0 },
      reuseGrace: 0,
    });
    const before = proxy.to(TOKEN_PATH).length;
    proxy.plan(TOKEN_PATH, 'drop');
    const error = await client.getAccessToken().catch((e: unknown) => e);
    client.close();
    expect(error).toBeInstanceOf(TokenClientError);
    expect((error as TokenClientError).code).toBe('ERR_NETWORK');
    expect(proxy.to(TOKEN_PATH).length - before).toBe(1);
  });
});
