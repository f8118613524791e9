import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropSchemas, pgStoreUrl, testSchemaName } from '../helpers/postgres.js';
import {
  admin,
  ADMIN_TOKEN,
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
import {
  expectEachRotatedOnce,
  expectOneAnswer,
  refreshTogether,
} from '../helpers/concurrent-refresh.js';

// Three real `baton serve` processes on one PostgreSQL schema: the deployment the PostgreSQL
// store exists for. IP failure limits are off (every request comes from 127.0.0.1) and the
// server-wide reuse grace is generous, so that a slow 2-core machine cannot push a late loser of
// a race out of the grace: the race tests are about the winner, not the window. The chain test
// uses a client of its own with a one-second grace.
const SCHEMA = testSchemaName();
const ENV = {
  BATON_STORE: pgStoreUrl(SCHEMA),
  BATON_RATE_LIMIT_IP: '0',
  BATON_REUSE_GRACE: '60',
  // One issuer for all three, whatever their ports: a token of one is a token of all.
  BATON_ISSUER: 'http://baton.e2e',
};

let a: ServerProcess;
let b: ServerProcess;
let c: ServerProcess;
let all: ServerProcess[];

beforeAll(async () => {
  // Started together on a new schema: migrations and the first signing key race as they do
  // when several instances of a deployment start at once.
  [a, b, c] = await Promise.all([startServer(ENV), startServer(ENV), startServer(ENV)]);
  all = [a, b, c];
}, 90_000);

afterAll(async () => {
  // Processes first: they hold connections in the schema.
  await cleanupServers();
  await dropSchemas([SCHEMA]);
}, 60_000);

/** The servers' stderr, for failure messages. */
const logs = (): string =>
  all.map((server, i) => `--- ${'ABC'[i]} stderr:\n${server.process.stderr()}`).join('\n');

/** `POST /oauth/introspect` authenticated with the admin token, form-encoded. */
async function introspect(server: ServerProcess, token: string): Promise<{ active: boolean }> {
  const response = await fetch(`${server.url}/oauth/introspect`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    body: new URLSearchParams({ token }),
  });
  const text = await response.text();
  expect(response.status, `introspect on ${server.url}: ${text}`).toBe(200);
  return JSON.parse(text) as { active: boolean };
}

/** Expects a refresh to be refused with `invalid_grant` and `reason`. */
async function expectRefused(server: ServerProcess, token: string, reason: string): Promise<void> {
  const result = await refreshAt(server.url, token);
  expect(result.status, `refresh on ${server.url}: ${result.text}`).toBe(400);
  expect(result.json).toMatchObject({
    error: 'invalid_grant',
    reason,
  } satisfies Partial<OAuthErrorResponse>);
}

describe('three instances on one PostgreSQL schema', () => {
  it('three instances started together on a new schema share one active signing key', async () => {
    const views = await Promise.all(all.map((server) => admin(server.url, 'GET', '/admin/keys')));
    expect(views.map((view) => view.status)).toEqual([200, 200, 200]);
    expect(views[1]?.text).toBe(views[0]?.text);
    expect(views[2]?.text).toBe(views[0]?.text);
    const keys = (views[0]?.json as { keys: { kid: string; status: string }[] }).keys;
    expect(keys.filter((key) => key.status === 'active')).toHaveLength(1);
    const ready = await Promise.all(all.map((server) => fetch(`${server.url}/readyz`)));
    for (const response of ready) {
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ status: 'ready', store: 'postgres' });
    }
  }, 60_000);

  it('answers 100 simultaneous refreshes of one token, spread over three instances, with one rotation and 100 identical bodies', async () => {
    const minted = await mintSession(a.url, { subject: 'race-one' });
    const body = expectOneAnswer(
      await refreshTogether(all, minted.refreshToken, 100),
      minted,
      logs,
    );
    const views = await Promise.all(all.map((server) => getSession(server.url, minted.sessionId)));
    expect(views.map((view) => view.generation)).toEqual([1, 1, 1]);

    // The winner's access token is good on every instance, the minted one retired everywhere.
    for (const server of all) {
      expect((await introspect(server, body.access_token)).active).toBe(true);
      expect((await introspect(server, minted.accessToken)).active).toBe(false);
    }
    // The chain goes on from another instance than the one that minted it.
    const next = await refreshAt(c.url, body.refresh_token);
    expect(next.status).toBe(200);
    expect(decodeJwt((next.json as TokenResponse).access_token)).toMatchObject({ gen: 2 });
    expect((await getSession(b.url, minted.sessionId)).generation).toBe(2);
  }, 60_000);

  it('rotates each of 20 sessions exactly once under 300 simultaneous refreshes spread over three instances', async () => {
    const SESSIONS = 20;
    const PER_TOKEN = 15;
    const sessions = await Promise.all(
      Array.from({ length: SESSIONS }, (_, i) =>
        mintSession((all[i % 3] as ServerProcess).url, { subject: `many-${i}` }),
      ),
    );
    await expectEachRotatedOnce(all, sessions, PER_TOKEN, logs);

    const views = await Promise.all(
      sessions.map((minted, s) =>
        getSession((all[(s + 1) % 3] as ServerProcess).url, minted.sessionId),
      ),
    );
    expect(views.map((view) => view.generation)).toEqual(sessions.map(() => 1));
  }, 60_000);

  it('refuses a session revoked on one instance on the others at once', async () => {
    const minted = await mintSession(c.url, { subject: 'revoke-one' });
    // Live everywhere before: the checks below can tell a revocation from a broken token.
    for (const server of [b, c]) {
      expect((await introspect(server, minted.accessToken)).active).toBe(true);
      expect((await introspect(server, minted.refreshToken)).active).toBe(true);
    }

    const revoked = await admin(a.url, 'DELETE', `/admin/sessions/${minted.sessionId}`);
    expect(revoked.status).toBe(200);
    expect(revoked.json).toMatchObject({ revoked: true, session: { status: 'revoked' } });

    for (const server of [b, c]) {
      await expectRefused(server, minted.refreshToken, 'revoked');
      expect((await introspect(server, minted.accessToken)).active).toBe(false);
      expect((await introspect(server, minted.refreshToken)).active).toBe(false);
      expect(await getSession(server.url, minted.sessionId)).toMatchObject({
        status: 'revoked',
        revokeReason: 'admin',
      });
    }
  }, 60_000);

  it('refuses every session of a subject revoked on one instance on the others at once', async () => {
    const subject = `everywhere-${Date.now()}`;
    const own = await Promise.all(all.map((server) => mintSession(server.url, { subject })));
    const bystander = await mintSession(b.url, { subject: `${subject}-other` });

    const revoked = await admin(
      b.url,
      'DELETE',
      `/admin/subjects/${encodeURIComponent(subject)}/sessions`,
    );
    expect(revoked.status).toBe(200);
    expect(revoked.json).toEqual({ revoked: 3 });

    for (const minted of own) {
      for (const server of [a, c]) {
        await expectRefused(server, minted.refreshToken, 'revoked');
        expect((await introspect(server, minted.accessToken)).active).toBe(false);
        expect(await getSession(server.url, minted.sessionId)).toMatchObject({
          status: 'revoked',
          revokeReason: 'subject',
        });
      }
    }
    // The other subject's session was not touched.
    expect((await introspect(c, bystander.accessToken)).active).toBe(true);
    const still = await refreshAt(a.url, bystander.refreshToken);
    expect(still.status).toBe(200);
  }, 60_000);

  it('a key rotated on one instance signs tokens the other instances accept', async () => {
    const before = await mintSession(b.url, { subject: 'keys-before' });
    const oldKid = decodeProtectedHeader(before.accessToken).kid;

    const rotated = await admin(a.url, 'POST', '/admin/keys/rotate');
    expect(rotated.status).toBe(201);
    const newKid = (rotated.json as { key: { kid: string } }).key.kid;
    expect(newKid).not.toBe(oldKid);

    // A signs with the new key at once.
    const minted = await mintSession(a.url, { subject: 'keys-after' });
    const refreshed = await refreshAt(a.url, minted.refreshToken);
    expect(refreshed.status).toBe(200);
    const accessToken = (refreshed.json as TokenResponse).access_token;
    expect(decodeProtectedHeader(accessToken).kid).toBe(newKid);

    // B and C have never seen that kid: they load it from the store when they meet it.
    for (const server of [b, c]) {
      expect((await introspect(server, accessToken)).active, `${server.url}\n${logs()}`).toBe(true);
      const jwks = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as {
        keys: { kid: string }[];
      };
      expect(jwks.keys.map((key) => key.kid)).toEqual(expect.arrayContaining([newKid, oldKid]));
    }
    // Tokens signed with the retired key stay good on every instance.
    for (const server of all) {
      expect((await introspect(server, before.accessToken)).active).toBe(true);
    }
    // And B, now refreshing, signs with the new key too (it is the active one for all).
    const fromB = await refreshAt(b.url, before.refreshToken);
    expect(fromB.status).toBe(200);
    expect(decodeProtectedHeader((fromB.json as TokenResponse).access_token).kid).toBe(newKid);
  }, 60_000);

  it('carries one chain through A, B, C in turn for 30 steps, and a token reused after the grace ends the session everywhere', async () => {
    // A client with a one-second grace; created on A, unknown ids are not cached, so B and C
    // read it from the store on first use.
    const created = await admin(a.url, 'POST', '/admin/clients', {
      id: 'short-grace',
      reuseGrace: 1,
    });
    expect(created.status, created.text).toBe(201);
    const minted = await mintSession(b.url, { subject: 'chain', clientId: 'short-grace' });

    const tokens = [minted.refreshToken];
    let access = minted.accessToken;
    let last: HttpResult | undefined;
    for (let step = 1; step <= 30; step++) {
      const server = all[step % 3] as ServerProcess;
      const result = await refreshAt(server.url, tokens.at(-1) as string);
      expect(result.status, `step ${step} on ${server.url}: ${result.text}`).toBe(200);
      const body = result.json as TokenResponse;
      expect(decodeJwt(body.access_token)).toMatchObject({ sid: minted.sessionId, gen: step });
      expect(tokens).not.toContain(body.refresh_token);
      // The next instance accepts the new access token and no longer the one it replaced.
      const next = all[(step + 1) % 3] as ServerProcess;
      expect((await introspect(next, body.access_token)).active).toBe(true);
      expect((await introspect(next, access)).active).toBe(false);
      tokens.push(body.refresh_token);
      access = body.access_token;
      last = result;
    }
    const views = await Promise.all(all.map((server) => getSession(server.url, minted.sessionId)));
    expect(views.map((view) => view.generation)).toEqual([30, 30, 30]);

    // Inside the grace, the previous token presented on another instance is a retry: the same
    // bytes, nothing rotated.
    const previous = tokens.at(-2) as string;
    const retried = await refreshAt(a.url, previous);
    expect(retried.text).toBe(last?.text);
    expect((await getSession(c.url, minted.sessionId)).generation).toBe(30);

    // Times are whole seconds: a one-second grace ends at most two seconds after the refresh.
    await new Promise((resolve) => setTimeout(resolve, 2200));
    await expectRefused(b, previous, 'reused');
    for (const server of all) {
      expect(await getSession(server.url, minted.sessionId)).toMatchObject({
        status: 'revoked',
        revokeReason: 'reuse',
      });
      await expectRefused(server, tokens.at(-1) as string, 'revoked');
      expect((await introspect(server, access)).active).toBe(false);
    }
    const events = await admin(c.url, 'GET', '/admin/events?type=refresh_token.reused');
    const reused = (events.json as { events: { sessionId: string }[] }).events;
    expect(reused.map((event) => event.sessionId)).toEqual([minted.sessionId]);
  }, 60_000);
});
