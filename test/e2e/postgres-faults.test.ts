import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testSchemaName } from '../helpers/postgres.js';
import {
  privatePostgresUnavailable,
  startPrivatePostgres,
  type PrivatePostgres,
} from '../helpers/private-postgres.js';
import {
  admin,
  cleanupServers,
  getSession,
  mintSession,
  refreshAt,
  startServer,
  type HttpResult,
  type OAuthErrorResponse,
  type ServerProcess,
  type TokenResponse,
} from '../helpers/server-process.js';

// PostgreSQL stopped under load. The machine's shared PostgreSQL serves other test files in
// parallel, so this file runs a cluster of its own and stops that one (pg_ctl -m immediate:
// every backend killed at once, like a crash). The schema lives and dies with the cluster.
const unavailable = privatePostgresUnavailable();
const SCHEMA = testSchemaName();
const CHAINS = 20;
const LOAD_MS = 1500;
const OUTAGE_MS = 2000;
/** A 503 must come at once, not after the client has given up. */
const FAST_MS = 3000;
/** A request without an answer after this long is stuck. */
const STUCK_MS = 10_000;

let cluster: PrivatePostgres | undefined;
let servers: ServerProcess[] = [];

const env = (url: string) => ({
  BATON_STORE: `${url}?schema=${SCHEMA}`,
  // A client that lost its answer in the outage retries after it; a generous grace models that
  // retry arriving seconds later.
  BATON_REUSE_GRACE: '60',
  BATON_RATE_LIMIT_IP: '0',
  // The final checks present every spent token; per-session failure limits would turn the later
  // ones into 429s.
  BATON_RATE_LIMIT_SESSION: '0',
  BATON_ISSUER: 'http://baton.e2e',
});

beforeAll(async () => {
  if (unavailable !== undefined) return;
  cluster = await startPrivatePostgres();
  const url = cluster.url;
  servers = await Promise.all([startServer(env(url)), startServer(env(url))]);
}, 90_000);

afterAll(async () => {
  try {
    await cleanupServers();
  } finally {
    // Stops the cluster (if it runs) and removes its directory, schema and all.
    await cluster?.destroy();
  }
}, 60_000);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Everything the servers and the cluster logged, for failure messages. */
function logs(): string {
  const own = servers.map((server, i) => `--- server ${i} stderr:\n${server.process.stderr()}`);
  return [...own, `--- postgres log (tail):\n${(cluster?.log() ?? '').slice(-3000)}`].join('\n');
}

/** How a chain's client is to lose the answer of its last request before the outage. */
type Loss = 'before-stop' | 'at-stop' | 'none';

/** One client's view of its session. */
interface Chain {
  sessionId: string;
  loss: Loss;
  /** The last refresh token received in a 200; its own refresh may have been in flight. */
  current: string;
  /** Every earlier token of the chain, oldest first: each one was presented and answered. */
  earlier: string[];
  /** The request whose answer the client dropped (aborted), if it did. */
  lostAnswer: boolean;
  /** 503 answers: how long each took and whether it was sent while PostgreSQL was down. */
  unavailable: { ms: number; duringOutage: boolean }[];
  /** Anything else that went wrong: another status, a 200 while down, a bad 503. */
  failures: string[];
}

/** Phases of the outage as the clients see them. */
interface Clock {
  /** Set once `pg_ctl stop` has returned: PostgreSQL is gone. */
  downSince: number | undefined;
  /** Set when the clients are to stop (before the restart). */
  done: boolean;
}

/** Checks one 503: the OAuth error with a retry hint. Returns the problems found. */
function badUnavailable(result: HttpResult): string[] {
  const problems: string[] = [];
  const body = result.json as Partial<OAuthErrorResponse> | undefined;
  if (body?.error !== 'temporarily_unavailable')
    problems.push(`503 without temporarily_unavailable: ${result.text}`);
  const retryAfter = result.headers.get('retry-after');
  if (retryAfter === null || !/^\d+$/.test(retryAfter))
    problems.push(`503 without a Retry-After: ${String(retryAfter)}`);
  return problems;
}

describe.skipIf(unavailable !== undefined)(
  `PostgreSQL stopped under load${unavailable === undefined ? '' : ` (skipped: ${unavailable})`}`,
  () => {
    it('answers 503 temporarily_unavailable while PostgreSQL is down, resumes by itself, and keeps every answered rotation', async () => {
      const pgc = cluster as PrivatePostgres;
      const [s0, s1] = servers as [ServerProcess, ServerProcess];
      const minted = await Promise.all(
        Array.from({ length: CHAINS }, (_, i) =>
          mintSession((servers[i % 2] as ServerProcess).url, { subject: `user-${i}` }),
        ),
      );
      const probe = await mintSession(s0.url, { subject: 'probe' });
      const losses: Loss[] = ['before-stop', 'at-stop', 'none'];
      const chains: Chain[] = minted.map((m, i) => ({
        sessionId: m.sessionId,
        loss: losses[i % 3] as Loss,
        current: m.refreshToken,
        earlier: [],
        lostAnswer: false,
        unavailable: [],
        failures: [],
      }));
      const clock: Clock = { downSince: undefined, done: false };
      const dropBeforeStop = new AbortController();
      const dropAtStop = new AbortController();

      // Each client refreshes its chain as fast as it can, alternating between the two servers.
      // A 503 leaves its token current (the refresh may or may not have committed: a retry
      // settles it); the clients that drop an answer stop there and retry after the outage.
      const loops = chains.map(async (chain, i) => {
        const signal =
          chain.loss === 'before-stop'
            ? dropBeforeStop.signal
            : chain.loss === 'at-stop'
              ? dropAtStop.signal
              : undefined;
        for (let step = 0; !clock.done; step++) {
          const server = servers[(i + step) % 2] as ServerProcess;
          const sentAt = Date.now();
          const downAtSend = clock.downSince !== undefined;
          // A request that gets no answer at all is a failure too (a stuck request).
          const stuck = AbortSignal.timeout(STUCK_MS);
          let result: HttpResult;
          try {
            result = await refreshAt(
              server.url,
              chain.current,
              signal === undefined ? stuck : AbortSignal.any([signal, stuck]),
            );
          } catch (error) {
            if (signal?.aborted === true) {
              chain.lostAnswer = true;
              return;
            }
            chain.failures.push(
              stuck.aborted
                ? `no answer within ${STUCK_MS} ms (downAtSend: ${downAtSend})`
                : `connection error (the server must stay up): ${String(error)}`,
            );
            return;
          }
          const ms = Date.now() - sentAt;
          if (result.status === 200) {
            if (downAtSend) {
              // BUG if seen: a token answered while the store is down.
              chain.failures.push(`200 for a refresh sent while PostgreSQL was down`);
            }
            chain.earlier.push(chain.current);
            chain.current = (result.json as TokenResponse).refresh_token;
          } else if (result.status === 503) {
            chain.unavailable.push({ ms, duringOutage: downAtSend });
            chain.failures.push(...badUnavailable(result));
            await sleep(50);
          } else {
            chain.failures.push(`${result.status} ${result.text}`);
            return;
          }
        }
      });

      // Load for LOAD_MS, and at least until every client has a few answers (slow machines).
      const started = Date.now();
      while (
        Date.now() - started < LOAD_MS ||
        (chains.some((chain) => chain.earlier.length < 3 && chain.failures.length === 0) &&
          Date.now() - started < 15_000)
      ) {
        await sleep(50);
      }
      for (const chain of chains) expect(chain.earlier.length).toBeGreaterThanOrEqual(3);

      // A third of the clients drop their answer, and the server gets time to commit those
      // rotations: they become committed-but-unanswered when PostgreSQL goes.
      dropBeforeStop.abort();
      await sleep(300);
      // Another third drop theirs the moment PostgreSQL is stopped: committed or not, unknown.
      dropAtStop.abort();
      await pgc.stopImmediate();
      clock.downSince = Date.now();

      // While it is down: the process stays up, is healthy, not ready, and every refresh is 503.
      const outageStarted = Date.now();
      const checks: Promise<void>[] = [];
      while (
        Date.now() - outageStarted < OUTAGE_MS ||
        (chains.some(
          (chain) =>
            chain.loss === 'none' &&
            chain.failures.length === 0 &&
            chain.unavailable.filter((u) => u.duringOutage).length < 2,
        ) &&
          Date.now() - outageStarted < 10_000)
      ) {
        for (const server of servers) {
          checks.push(
            (async () => {
              const t0 = Date.now();
              const ready = await fetch(`${server.url}/readyz`, {
                signal: AbortSignal.timeout(STUCK_MS),
              });
              const readyMs = Date.now() - t0;
              expect(ready.status).toBe(503);
              expect(await ready.json()).toMatchObject({
                status: 'unavailable',
                store: 'postgres',
              });
              expect(readyMs).toBeLessThan(FAST_MS);
              const health = await fetch(`${server.url}/healthz`, {
                signal: AbortSignal.timeout(STUCK_MS),
              });
              expect(health.status).toBe(200);
              expect(await health.json()).toEqual({ status: 'ok' });
            })(),
          );
        }
        await sleep(250);
      }
      await Promise.all(checks);
      // The probe, the admin API: the same 503 with its retry hint, quickly.
      const t0 = Date.now();
      const probeDown = await refreshAt(s1.url, probe.refreshToken);
      expect(Date.now() - t0).toBeLessThan(FAST_MS);
      expect(probeDown.status).toBe(503);
      expect(badUnavailable(probeDown)).toEqual([]);
      const mintDown = await admin(s0.url, 'POST', '/admin/sessions', { subject: 'down' });
      expect(mintDown.status).toBe(503);
      expect(mintDown.json).toMatchObject({ error: 'temporarily_unavailable' });
      expect(mintDown.headers.get('retry-after')).toMatch(/^\d+$/);

      clock.done = true;
      await Promise.all(loops);
      for (const server of servers) {
        expect(server.process.child.exitCode, logs()).toBeNull();
        expect(server.process.child.signalCode).toBeNull();
      }
      expect(
        chains.flatMap((chain) => chain.failures),
        logs(),
      ).toEqual([]);
      const during = chains.flatMap((chain) => chain.unavailable.filter((u) => u.duringOutage));
      // The outage was seen: every client that kept refreshing got 503s, and fast ones.
      for (const chain of chains.filter((each) => each.loss === 'none')) {
        expect(chain.unavailable.filter((u) => u.duringOutage).length).toBeGreaterThanOrEqual(2);
      }
      const slowest = Math.max(...chains.flatMap((chain) => chain.unavailable.map((u) => u.ms)));
      expect(slowest).toBeLessThan(FAST_MS);
      expect(during.length).toBeGreaterThan(0);
      for (const chain of chains.filter((each) => each.loss === 'before-stop')) {
        expect(chain.lostAnswer).toBe(true);
      }

      // Restart on the same port: no server restart, the pools reconnect by themselves.
      await pgc.start();
      const restartedAt = Date.now();
      const resumed = await Promise.all(
        servers.map(async (server) => {
          for (;;) {
            const result = await refreshAt(server.url, probe.refreshToken);
            if (result.status !== 503) return { result, ms: Date.now() - restartedAt };
            if (Date.now() - restartedAt > 10_000) return { result, ms: Date.now() - restartedAt };
            await sleep(100);
          }
        }),
      );
      for (const { result, ms } of resumed) {
        expect(result.status, `${result.text}\n${logs()}`).toBe(200);
        expect(ms).toBeLessThan(10_000);
      }
      // Both refreshed the same probe token: one rotation, answered twice (the retry rule).
      expect(resumed[1]?.result.text).toBe(resumed[0]?.result.text);
      for (const server of servers) {
        const ready = await fetch(`${server.url}/readyz`);
        expect(ready.status).toBe(200);
      }

      // Durability, as for SQLite after kill -9.
      let hiddenCommits = 0;
      await Promise.all(
        chains.map(async (chain, i) => {
          const [here, there] = (i % 2 === 0 ? [s0, s1] : [s1, s0]) as [
            ServerProcess,
            ServerProcess,
          ];
          // `current` is generation k. Every answered rotation survived (generation ≥ k); at
          // most the one in flight at the outage committed without an answer (k + 1).
          const k = chain.earlier.length;
          const before = (await getSession(here.url, chain.sessionId)).generation;
          expect([k, k + 1]).toContain(before);
          if (before === k + 1) hiddenCommits++;

          // The last answered token still works: a fresh rotation, or the replay of the one
          // the outage hid — never reuse. Either way generation k + 1, and asking again (on the
          // other server) gives the same bytes.
          const again = await refreshAt(here.url, chain.current);
          expect(again.status, `${chain.loss}: ${again.text}`).toBe(200);
          const againBody = again.json as TokenResponse;
          expect(decodeJwt(againBody.access_token)).toMatchObject({
            sid: chain.sessionId,
            gen: k + 1,
          });
          expect((await refreshAt(there.url, chain.current)).text).toBe(again.text);
          expect((await getSession(there.url, chain.sessionId)).generation).toBe(k + 1);

          // One more refresh: the chain goes on from the token handed out after the outage.
          const next = await refreshAt(there.url, againBody.refresh_token);
          expect(next.status).toBe(200);
          const nextBody = next.json as TokenResponse;
          expect(decodeJwt(nextBody.access_token)).toMatchObject({ gen: k + 2 });
          expect((await refreshAt(here.url, againBody.refresh_token)).text).toBe(next.text);
          chain.earlier.push(chain.current);
          chain.current = nextBody.refresh_token;
        }),
      );
      // The dropped answers put the replay-after-outage path to work.
      expect(hiddenCommits).toBeGreaterThan(0);

      // No token works twice. Spent tokens (generations 0 … k) are checked last because
      // presenting one revokes its session: first one spent token, refused as reuse (spread over
      // the chains: the one whose rotation the outage may have hidden, the last one answered
      // before it, and the minted one); then the others and the newest, refused as revoked.
      await Promise.all(
        chains.map(async (chain, i) => {
          const spent = chain.earlier;
          const server = servers[i % 2] as ServerProcess;
          const firstIndex = [spent.length - 1, spent.length - 2, 0][i % 3] as number;
          const firstToken = spent[firstIndex] as string;
          const reused = await refreshAt(server.url, firstToken);
          expect(reused.status, reused.text).toBe(400);
          expect(reused.json).toMatchObject({
            error: 'invalid_grant',
            reason: 'reused',
          } satisfies Partial<OAuthErrorResponse>);
          for (const token of [...spent.filter((t) => t !== firstToken), chain.current]) {
            const refused = await refreshAt((servers[(i + 1) % 2] as ServerProcess).url, token);
            expect(refused.status).toBe(400);
            expect(refused.json).toMatchObject({ error: 'invalid_grant', reason: 'revoked' });
          }
          expect(await getSession(server.url, chain.sessionId)).toMatchObject({
            status: 'revoked',
            revokeReason: 'reuse',
          });
        }),
      );
      const events = await admin(s1.url, 'GET', '/admin/events?type=refresh_token.reused');
      const reusedSessions = (events.json as { events: { sessionId: string }[] }).events.map(
        (event) => event.sessionId,
      );
      expect(reusedSessions.sort()).toEqual(chains.map((chain) => chain.sessionId).sort());
      for (const server of servers) expect(server.process.child.exitCode).toBeNull();
      // The outage was logged, but not once per request: one line of each kind per server.
      for (const server of servers) {
        const lines = server.process
          .stdout()
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line) as { msg?: string; code?: string });
        const outage = lines.filter((line) => line.code === 'ERR_STORE_UNAVAILABLE');
        expect(outage.length, logs()).toBeGreaterThanOrEqual(1);
        expect(outage.length, logs()).toBeLessThanOrEqual(2);
        const lost = lines.filter((line) => line.msg?.startsWith('a store connection was lost'));
        expect(lost.length, logs()).toBeLessThanOrEqual(1);
      }
    }, 60_000);
  },
);
