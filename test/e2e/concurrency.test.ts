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
  startServer,
  type OAuthErrorResponse,
  type ServerProcess,
  type TokenResponse,
} from '../helpers/server-process.js';
import {
  expectEachRotatedOnce,
  expectOneAnswer,
  refreshTogether,
} from '../helpers/concurrent-refresh.js';

// Rule 2.4 (exactly one winner) over real sockets and real processes. IP failure limits are off
// and the reuse grace is generous, so that a slow 2-core machine cannot push a late request out
// of the grace: these tests are about the winner, not the window.
const ENV = { BATON_RATE_LIMIT_IP: '0', BATON_REUSE_GRACE: '60' };
const PER_TOKEN = 50;

let solo: ServerProcess;
let a: ServerProcess;
let b: ServerProcess;

beforeAll(async () => {
  const shared = `sqlite:${join(makeTempDir(), 'shared.db')}`;
  // The pair starts together on a new file: migrations and the first signing key race as they
  // do when several instances start at once.
  [solo, a, b] = await Promise.all([
    startServer(ENV),
    startServer({ ...ENV, BATON_STORE: shared }),
    startServer({ ...ENV, BATON_STORE: shared }),
  ]);
}, 90_000);

afterAll(cleanupServers);

describe('concurrent refreshes over real HTTP', () => {
  it('two processes started together on a new SQLite file share one active signing key', async () => {
    const [keysA, keysB] = await Promise.all([
      admin(a.url, 'GET', '/admin/keys'),
      admin(b.url, 'GET', '/admin/keys'),
    ]);
    expect(keysA.status).toBe(200);
    expect(keysB.text).toBe(keysA.text);
    const keys = (keysA.json as { keys: { kid: string; status: string }[] }).keys;
    expect(keys.filter((key) => key.status === 'active')).toHaveLength(1);
  }, 60_000);

  it('one process answers 50 simultaneous refreshes of one token with one rotation and 50 identical bodies', async () => {
    const minted = await mintSession(solo.url);
    const body = expectOneAnswer(
      await refreshTogether([solo], minted.refreshToken, PER_TOKEN),
      minted,
    );
    expect((await getSession(solo.url, minted.sessionId)).generation).toBe(1);

    // The new refresh token rotates the session once more ...
    const next = await refreshAt(solo.url, body.refresh_token);
    expect(next.status).toBe(200);
    const nextBody = next.json as TokenResponse;
    expect(nextBody.refresh_token).not.toBe(body.refresh_token);
    expect(nextBody.access_token).not.toBe(body.access_token);
    expect(decodeJwt(nextBody.access_token)).toMatchObject({ gen: 2 });
    expect((await getSession(solo.url, minted.sessionId)).generation).toBe(2);
    // ... and is spent once its successor has been used: presenting it again is reuse.
    expect((await refreshAt(solo.url, nextBody.refresh_token)).status).toBe(200);
    const reused = await refreshAt(solo.url, body.refresh_token);
    expect(reused.status).toBe(400);
    expect(reused.json).toMatchObject({
      error: 'invalid_grant',
      reason: 'reused',
    } satisfies Partial<OAuthErrorResponse>);
  }, 60_000);

  it('two processes sharing one SQLite file answer 50 simultaneous refreshes of one token with one rotation', async () => {
    const minted = await mintSession(a.url);
    const body = expectOneAnswer(
      await refreshTogether([a, b], minted.refreshToken, PER_TOKEN),
      minted,
    );
    const [viewA, viewB] = await Promise.all([
      getSession(a.url, minted.sessionId),
      getSession(b.url, minted.sessionId),
    ]);
    expect(viewA.generation).toBe(1);
    expect(viewB.generation).toBe(1);

    // The chain goes on from either process: the new token works on the other one.
    const next = await refreshAt(b.url, body.refresh_token);
    expect(next.status).toBe(200);
    expect(decodeJwt((next.json as TokenResponse).access_token)).toMatchObject({ gen: 2 });
    expect((await getSession(a.url, minted.sessionId)).generation).toBe(2);
  }, 60_000);

  it('two processes sharing one SQLite file rotate each of 20 sessions exactly once under 1000 simultaneous refreshes', async () => {
    const sessions = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        mintSession((i % 2 === 0 ? a : b).url, { subject: `user-${i}` }),
      ),
    );
    // 1000 refreshes, alternating between the two processes.
    await expectEachRotatedOnce([a, b], sessions, PER_TOKEN);

    const views = await Promise.all(
      sessions.map((minted, s) => getSession((s % 2 === 0 ? b : a).url, minted.sessionId)),
    );
    expect(views.map((view) => view.generation)).toEqual(sessions.map(() => 1));
  }, 90_000);
});
