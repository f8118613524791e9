import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  admin,
  cleanupServers,
  getSession,
  makeTempDir,
  mintSession,
  refreshAt,
  runBaton,
  startServer,
  type MintedSession,
  type ServerProcess,
} from '../helpers/server-process.js';

// The wire dialects in the real `baton serve` process on SQLite (docs/dialects.md): exactly one
// rotation among concurrent refreshes of one credential, prefixes, and start-up refusals.
// IP failure limits are off and the grace is generous, so that a slow machine cannot push a late
// request out of the grace: these tests are about the winner, not the window.

const CONCURRENT = 50;

let server: ServerProcess;

beforeAll(async () => {
  server = await startServer({
    BATON_DIALECTS: 'all',
    BATON_STORE: `sqlite:${join(makeTempDir(), 'dialects.db')}`,
    BATON_RATE_LIMIT_IP: '0',
    BATON_REUSE_GRACE: '60',
  });
}, 60_000);

afterAll(cleanupServers);

interface Held {
  accessToken: string;
  refreshToken: string;
}

interface Answer {
  status: number;
  text: string;
}

async function send(url: string, path: string, init: RequestInit): Promise<Answer> {
  const response = await fetch(`${url}${path}`, init);
  return { status: response.status, text: await response.text() };
}

const json = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/** One dialect: its request, and the credentials a client holds after its answer. */
interface Dialect {
  name: string;
  send(url: string, held: Held): Promise<Answer>;
  next(body: Record<string, unknown>, held: Held): Held;
}

const DIALECTS: Dialect[] = [
  {
    name: 'adid',
    send: (url, held) =>
      send(url, '/api/v1/auth/refresh', json({ refreshToken: held.refreshToken })),
    next: (body) => ({
      accessToken: body.accessToken as string,
      refreshToken: body.refreshToken as string,
    }),
  },
  {
    name: 'aisquare',
    send: (url, held) => send(url, '/api/v1/token/refresh/', json({ refresh: held.refreshToken })),
    next: (body) => ({ accessToken: body.access as string, refreshToken: body.refresh as string }),
  },
  {
    name: 'payabli',
    send: (url, held) =>
      send(url, '/api/User/authrefresh', {
        method: 'POST',
        headers: { requestToken: held.accessToken },
      }),
    next: (body, held) => ({
      accessToken: body.responseData as string,
      refreshToken: held.refreshToken,
    }),
  },
  {
    name: 'transak',
    send: (url, held) =>
      send(url, '/api/v2/auth/refresh', { headers: { authorization: held.accessToken } }),
    next: (body, held) => ({
      accessToken: (body.data as { accessToken: string }).accessToken,
      refreshToken: held.refreshToken,
    }),
  },
  {
    name: 'sevenG',
    send: (url, held) =>
      send(url, '/User/RefreshToken', {
        method: 'POST',
        headers: {
          authorization: `Bearer ${held.accessToken}`,
          version: '2.0',
          'content-type': 'application/json',
        },
        body: JSON.stringify({ refreshToken: held.refreshToken }),
      }),
    next: (body) => ({
      accessToken: body.accessToken as string,
      refreshToken: body.refreshToken as string,
    }),
  },
];

describe(`${CONCURRENT} concurrent refreshes of one credential through a dialect`, () => {
  it.each(DIALECTS)(
    '$name: exactly one rotation, every answer byte-identical',
    async (dialect) => {
      const minted: MintedSession = await mintSession(server.url, { subject: 'alice' });
      const results = await Promise.all(
        Array.from({ length: CONCURRENT }, () => dialect.send(server.url, minted)),
      );
      expect(results.map((r) => r.status)).toEqual(results.map(() => 200));
      expect(new Set(results.map((r) => r.text)).size).toBe(1);
      expect(await getSession(server.url, minted.sessionId)).toMatchObject({
        status: 'active',
        generation: 1,
      });

      const held = dialect.next(
        JSON.parse((results[0] as Answer).text) as Record<string, unknown>,
        minted,
      );
      expect(decodeJwt(held.accessToken)).toMatchObject({ sid: minted.sessionId, gen: 1 });
      // The one answer is the live one: its credentials refresh again, once.
      const again = await dialect.send(server.url, held);
      expect(again.status).toBe(200);
      expect(await getSession(server.url, minted.sessionId)).toMatchObject({
        status: 'active',
        generation: 2,
      });
      // And the refresh token of the session (new or carried forward) is the current one.
      const next = dialect.next(JSON.parse(again.text) as Record<string, unknown>, held);
      const oauth = await refreshAt(server.url, next.refreshToken);
      expect(oauth.status).toBe(200);
      expect(await getSession(server.url, minted.sessionId)).toMatchObject({
        status: 'active',
        generation: 3,
      });
    },
    30_000,
  );
});

describe('BATON_DIALECTS with a prefix', () => {
  it('payabli:/gateway serves /gateway/api/User/authrefresh and nothing at the unprefixed path', async () => {
    const gateway = await startServer({ BATON_DIALECTS: 'payabli:/gateway' });
    try {
      const minted = await mintSession(gateway.url, { subject: 'alice' });
      const unprefixed = await send(gateway.url, '/api/User/authrefresh', {
        method: 'POST',
        headers: { requestToken: minted.accessToken },
      });
      expect(unprefixed.status).toBe(404);
      // Only payabli is mounted.
      const adid = await send(
        gateway.url,
        '/api/v1/auth/refresh',
        json({ refreshToken: minted.refreshToken }),
      );
      expect(adid.status).toBe(404);
      expect(await getSession(gateway.url, minted.sessionId)).toMatchObject({ generation: 0 });

      const prefixed = await send(gateway.url, '/gateway/api/User/authrefresh', {
        method: 'POST',
        headers: { requestToken: minted.accessToken },
      });
      expect(prefixed.status).toBe(200);
      expect(JSON.parse(prefixed.text)).toMatchObject({
        isSuccess: true,
        responseText: 'Success',
        responseData: expect.any(String),
      });
      expect(await getSession(gateway.url, minted.sessionId)).toMatchObject({ generation: 1 });
      // The OpenAPI document describes exactly the mounted dialect, at its prefixed path.
      const openapi = await admin(gateway.url, 'GET', '/openapi.json');
      const paths = Object.keys((openapi.json as { paths: Record<string, unknown> }).paths);
      expect(paths).toContain('/gateway/api/User/authrefresh');
      expect(paths).not.toContain('/api/User/authrefresh');
      expect(paths).not.toContain('/api/v1/auth/refresh');
    } finally {
      await gateway.stop();
    }
  }, 60_000);
});

describe.concurrent('BATON_DIALECTS that stops start-up', () => {
  it.each([
    ['bogus', /BATON_DIALECTS/],
    ['payabli:nope', /BATON_DIALECTS/],
  ] as [string, RegExp][])(
    'BATON_DIALECTS=%s: one line on stderr naming the setting, exit code 2, nothing touched',
    async (value, names) => {
      const path = join(makeTempDir(), 'baton.db');
      const result = await runBaton(['serve'], {
        env: {
          BATON_HOST: '127.0.0.1',
          BATON_PORT: '0',
          BATON_STORE: `sqlite:${path}`,
          BATON_LOG_LEVEL: 'warn',
          BATON_ADMIN_TOKEN: 'dialects-admin-token-0123456789abcdef',
          BATON_SECRET: 'dialects-master-secret-0123456789abcdef',
          BATON_DIALECTS: value,
        },
        timeoutMs: 20_000,
      });
      // docs/configuration.md: an invalid value stops Baton with one line and exit code 2.
      expect({ code: result.code, signal: result.signal }).toEqual({ code: 2, signal: null });
      const lines = result.stderr.split('\n').filter((line) => line.trim() !== '');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^baton: /);
      expect(lines[0]).toMatch(names);
      expect(result.stdout).toBe('');
      expect(existsSync(path)).toBe(false);
    },
    30_000,
  );
});
