import { join } from 'node:path';
import Database from 'better-sqlite3';
import { decodeJwt } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import {
  admin,
  cleanupServers,
  getSession,
  makeTempDir,
  mintSession,
  refreshAt,
  startServer,
  type OAuthErrorResponse,
  type TokenResponse,
} from '../helpers/server-process.js';

afterAll(cleanupServers);

const SESSIONS = 30;
const LOAD_MS = 1500;

/** One client's view of its session: what it may present next and what it has spent. */
interface Chain {
  sessionId: string;
  /** The last refresh token received in an answer; its own refresh may have been in flight. */
  current: string;
  /** Every earlier token of the chain, oldest first: each one was presented and answered. */
  earlier: string[];
  /** Anything but a 200 while the server ran. */
  failures: string[];
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('durability across kill -9', () => {
  it('keeps every answered rotation: after a crash each client chain continues and its spent tokens stay spent', async () => {
    const dbPath = join(makeTempDir(), 'baton.db');
    const env = {
      BATON_STORE: `sqlite:${dbPath}`,
      // A client that lost its answer in the crash retries after the restart; a generous grace
      // models that retry arriving seconds later.
      BATON_REUSE_GRACE: '120',
      BATON_RATE_LIMIT_IP: '0',
      // The final checks present every spent token; per-session failure limits would turn the
      // later ones into 429s.
      BATON_RATE_LIMIT_SESSION: '0',
      // Tokens carry the same issuer before and after the restart, whatever the port.
      BATON_ISSUER: 'http://baton.e2e',
    };
    const first = await startServer(env);
    const minted = await Promise.all(
      Array.from({ length: SESSIONS }, (_, i) => mintSession(first.url, { subject: `user-${i}` })),
    );
    const chains: Chain[] = minted.map((m) => ({
      sessionId: m.sessionId,
      current: m.refreshToken,
      earlier: [],
      failures: [],
    }));

    // Each client refreshes its chain as fast as it can until the server is gone. Half of them
    // lose the answer of their last request just before the crash (the network dropped it): the
    // server commits that rotation, but the client never sees it and must retry after the
    // restart. A kill -9 alone rarely lands between a commit and its write().
    const lostAnswers = new AbortController();
    const loops = chains.map(async (chain, i) => {
      const signal = i % 2 === 0 ? lostAnswers.signal : undefined;
      for (;;) {
        let result;
        try {
          result = await refreshAt(first.url, chain.current, signal);
        } catch {
          return; // answer lost, or connection refused or reset: the server was killed
        }
        if (result.status !== 200) {
          chain.failures.push(`${result.status} ${result.text}`);
          return;
        }
        chain.earlier.push(chain.current);
        chain.current = (result.json as TokenResponse).refresh_token;
      }
    });
    // Load for LOAD_MS, and at least until every client has a few answers (slow machines).
    const started = Date.now();
    while (
      Date.now() - started < LOAD_MS ||
      (chains.some((chain) => chain.earlier.length < 3 && chain.failures.length === 0) &&
        Date.now() - started < 20_000)
    ) {
      await sleep(50);
    }
    lostAnswers.abort();
    // Give the server a moment to commit the requests whose answers were dropped.
    await sleep(300);
    await first.kill9();
    await Promise.all(loops);

    expect(chains.flatMap((chain) => chain.failures)).toEqual([]);
    // The load was real: every client got answers before the crash.
    for (const chain of chains) expect(chain.earlier.length).toBeGreaterThanOrEqual(3);

    const second = await startServer(env);
    const ready = await fetch(`${second.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', store: 'sqlite' });

    let hiddenCommits = 0;
    await Promise.all(
      chains.map(async (chain) => {
        // `current` is generation k. Every answered rotation survived the crash (generation ≥ k);
        // at most the one in flight at the crash committed without an answer (k + 1).
        const k = chain.earlier.length;
        const before = (await getSession(second.url, chain.sessionId)).generation;
        expect([k, k + 1]).toContain(before);
        if (before === k + 1) hiddenCommits++;

        // The last answered token still works: a fresh rotation, or the replay of the one the
        // crash hid. Either way the answer is generation k + 1, and asking again gives the same
        // bytes (the retry is idempotent inside the grace).
        const resumed = await refreshAt(second.url, chain.current);
        expect(resumed.status).toBe(200);
        const resumedBody = resumed.json as TokenResponse;
        expect(decodeJwt(resumedBody.access_token)).toMatchObject({
          sid: chain.sessionId,
          gen: k + 1,
        });
        expect((await refreshAt(second.url, chain.current)).text).toBe(resumed.text);
        expect((await getSession(second.url, chain.sessionId)).generation).toBe(k + 1);

        // One more refresh: the chain goes on from the token the restart handed out.
        const next = await refreshAt(second.url, resumedBody.refresh_token);
        expect(next.status).toBe(200);
        const nextBody = next.json as TokenResponse;
        expect(decodeJwt(nextBody.access_token)).toMatchObject({ gen: k + 2 });
        // The token just used is the predecessor of an unused one: still a replay, not reuse.
        expect((await refreshAt(second.url, resumedBody.refresh_token)).text).toBe(next.text);
        // Spent for good now: generations 0 … k (k is two behind the session).
        chain.earlier.push(chain.current);
        chain.current = nextBody.refresh_token;
      }),
    );
    // The lost answers put the replay-after-restart path to work.
    expect(hiddenCommits).toBeGreaterThan(0);

    // Spent tokens (generations 0 … k), checked last because presenting one revokes its session
    // (reuse detection, docs/refresh-rules.md). Order per session: first one spent token, which
    // must be refused as reuse (the strong check, spread over the chains: the token whose rotation
    // the crash may have hidden, the last one answered before the crash, and the minted one); then
    // all the others and the newest token, refused because the session is now revoked.
    await Promise.all(
      chains.map(async (chain, i) => {
        const spent = chain.earlier;
        const firstIndex = [spent.length - 1, spent.length - 2, 0][i % 3] as number;
        const firstToken = spent[firstIndex] as string;
        const reused = await refreshAt(second.url, firstToken);
        expect(reused.status).toBe(400);
        expect(reused.json).toMatchObject({
          error: 'invalid_grant',
          reason: 'reused',
        } satisfies Partial<OAuthErrorResponse>);
        for (const token of [...spent.filter((t) => t !== firstToken), chain.current]) {
          const refused = await refreshAt(second.url, token);
          expect(refused.status).toBe(400);
          expect(refused.json).toMatchObject({ error: 'invalid_grant', reason: 'revoked' });
        }
        expect(await getSession(second.url, chain.sessionId)).toMatchObject({
          status: 'revoked',
          revokeReason: 'reuse',
        });
      }),
    );
    const events = await admin(second.url, 'GET', '/admin/events?type=refresh_token.reused');
    const reusedSessions = (events.json as { events: { sessionId: string }[] }).events.map(
      (event) => event.sessionId,
    );
    expect(reusedSessions.sort()).toEqual(chains.map((chain) => chain.sessionId).sort());

    await second.stop();
    const db = new Database(dbPath);
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.prepare('SELECT COUNT(*) AS n FROM sessions').get()).toEqual({ n: SESSIONS });
    } finally {
      db.close();
    }
  }, 80_000);
});
