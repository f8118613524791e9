import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createVerifier,
  type Verifier,
  type VerifierCredentials,
  type VerifierOptions,
} from '../../src/client/verifier/index.js';
import {
  admin,
  ADMIN_TOKEN,
  cleanupServers,
  mintSession,
  refreshAt,
  startServer,
  type ServerProcess,
  type TokenResponse,
} from '../helpers/server-process.js';
import { createTestClock, type TestClock } from './local-issuer.js';

/**
 * `checkRevocation: 'feed'` against a real Baton's `GET /oauth/revocations`: revoked sessions
 * and access tokens are refused within two polls, with no request per verification; the list
 * is kept through an outage until it is too old to trust.
 */

const AUDIENCE = 'orders-api';
/** Seconds between polls in these tests: short, so that two polls take a second. */
const POLL = 0.5;
let server: ServerProcess;
let credentials: VerifierCredentials;
const verifiers: Verifier[] = [];

beforeAll(async () => {
  server = await startServer();
  const app = await admin(server.url, 'POST', '/admin/clients', { id: 'web', audience: AUDIENCE });
  const api = await admin(server.url, 'POST', '/admin/clients', {
    id: AUDIENCE,
    confidential: true,
  });
  expect([app.status, api.status]).toEqual([201, 201]);
  credentials = {
    clientId: AUDIENCE,
    clientSecret: (api.json as { clientSecret: string }).clientSecret,
  };
});

afterAll(async () => {
  for (const verifier of verifiers) verifier.close();
  await cleanupServers();
});

function verifierFor(
  options: Partial<VerifierOptions> = {},
  target: ServerProcess = server,
): Verifier {
  const verifier = createVerifier({
    issuer: target.url,
    audience: AUDIENCE,
    checkRevocation: 'feed',
    revocationPollInterval: POLL,
    credentials,
    ...options,
  });
  verifiers.push(verifier);
  return verifier;
}

const mint = (subject = 'alice', target: ServerProcess = server) =>
  mintSession(target.url, { subject, clientId: 'web' });

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

/** Resolves once the verifier has completed `count` more polls than it had when called. */
async function pollsPass(verifier: Verifier, count: number): Promise<void> {
  const start = verifier.status().feed?.polls ?? 0;
  await expect
    .poll(() => verifier.status().feed?.polls ?? 0, { timeout: 20_000, interval: 50 })
    .toBeGreaterThanOrEqual(start + count);
}

describe('the revocation feed', () => {
  it('refuses the tokens of a session an admin revoked, within two polls', async () => {
    const verifier = verifierFor();
    const minted = await mint();
    await expect(verifier.verify(minted.accessToken)).resolves.toMatchObject({ sub: 'alice' });
    expect((await admin(server.url, 'DELETE', `/admin/sessions/${minted.sessionId}`)).status).toBe(
      200,
    );
    await pollsPass(verifier, 2);
    expect(await codeOf(verifier.verify(minted.accessToken))).toBe('revoked');
  });

  it('refuses an access token revoked by itself (RFC 7009), and not its session’s successor', async () => {
    const verifier = verifierFor();
    const minted = await mint();
    const revoked = await fetch(`${server.url}/oauth/revoke`, {
      method: 'POST',
      body: new URLSearchParams({ token: minted.accessToken, client_id: 'web' }),
    });
    expect(revoked.status).toBe(200);
    const refreshed = (await refreshAt(server.url, minted.refreshToken)).json as TokenResponse;
    await pollsPass(verifier, 2);
    expect(await codeOf(verifier.verify(minted.accessToken))).toBe('revoked');
    await expect(verifier.verify(refreshed.access_token)).resolves.toMatchObject({ gen: 1 });
  });

  it('refuses every session of a subject signed out everywhere', async () => {
    const verifier = verifierFor();
    const [first, second] = await Promise.all([mint('bob'), mint('bob')]);
    const other = await mint('carol');
    const out = await admin(server.url, 'DELETE', '/admin/subjects/bob/sessions');
    expect(out.status).toBe(200);
    await pollsPass(verifier, 2);
    for (const { accessToken } of [first, second])
      expect(await codeOf(verifier.verify(accessToken))).toBe('revoked');
    await expect(verifier.verify(other.accessToken)).resolves.toMatchObject({ sub: 'carol' });
  });

  it('has the first verification wait for the first poll', async () => {
    const minted = await mint();
    await admin(server.url, 'DELETE', `/admin/sessions/${minted.sessionId}`);
    const verifier = verifierFor();
    expect(verifier.status().feed?.polls).toBe(0);
    expect(await codeOf(verifier.verify(minted.accessToken))).toBe('revoked');
  });

  it('makes no request per verification', async () => {
    let requests = 0;
    const verifier = verifierFor({
      revocationPollInterval: 60,
      fetch: (url, init) => {
        requests += 1;
        return fetch(url, init);
      },
    });
    const tokens = await Promise.all([1, 2, 3, 4, 5].map(() => mint()));
    await verifier.verify(tokens[0]?.accessToken as string);
    const afterFirst = requests;
    for (const { accessToken } of tokens) await verifier.verify(accessToken);
    expect(requests).toBe(afterFirst);
  });

  it('refuses a token replaced by a refresh once it has seen the replacement', async () => {
    const verifier = verifierFor();
    const minted = await mint();
    await verifier.verify(minted.accessToken);
    const refreshed = (await refreshAt(server.url, minted.refreshToken)).json as TokenResponse;
    await expect(verifier.verify(refreshed.access_token)).resolves.toMatchObject({ gen: 1 });
    expect(await codeOf(verifier.verify(minted.accessToken))).toBe('revoked');
  });

  it('lists for a client only the revocations of its audience', async () => {
    await admin(server.url, 'POST', '/admin/clients', { id: 'web-billing', audience: 'billing' });
    const verifier = verifierFor();
    await verifier.verify((await mint()).accessToken);
    const before = verifier.status().feed?.sessions ?? 0;
    const foreign = await mintSession(server.url, { subject: 'dora', clientId: 'web-billing' });
    const own = await mint('dora');
    await admin(server.url, 'DELETE', `/admin/sessions/${foreign.sessionId}`);
    await admin(server.url, 'DELETE', `/admin/sessions/${own.sessionId}`);
    await pollsPass(verifier, 2);
    expect(verifier.status().feed?.sessions).toBe(before + 1);
    const adminFeed = verifierFor({ credentials: { adminToken: ADMIN_TOKEN } });
    await adminFeed.verify((await mint()).accessToken);
    expect(adminFeed.status().feed?.sessions).toBeGreaterThanOrEqual(before + 2);
  });

  it('refuses every token as unavailable when Baton refuses the credentials', async () => {
    const verifier = verifierFor({
      credentials: { clientId: AUDIENCE, clientSecret: 'cs_not-the-secret' },
    });
    expect(await codeOf(verifier.verify((await mint()).accessToken))).toBe('unavailable');
    expect(verifier.status().feed?.failures).toBeGreaterThanOrEqual(1);
  });
});

describe('a burst of revocations', () => {
  it('is read whole by the first poll, past Baton’s page size', async () => {
    const other = await startServer();
    const count = 1005; // Baton answers at most 1000 revocations at a time
    for (let i = 0; i < count; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, count - i) }, () =>
          mintSession(other.url, { subject: 'grace' }),
        ),
      );
    }
    const out = await admin(other.url, 'DELETE', '/admin/subjects/grace/sessions');
    expect(out.json).toEqual({ revoked: count });
    const verifier = verifierFor(
      { credentials: { adminToken: ADMIN_TOKEN }, audience: other.url },
      other,
    );
    const probe = await mintSession(other.url, { subject: 'heidi' });
    await verifier.verify(probe.accessToken);
    expect(verifier.status().feed).toMatchObject({ polls: 1, sessions: count });
  }, 120_000);
});

describe('an outage of the revocation list', () => {
  it('keeps the last list until revocationMaxAge, then refuses every token as unavailable', async () => {
    const other = await startServer();
    await admin(other.url, 'POST', '/admin/clients', { id: 'web', audience: AUDIENCE });
    const clock: TestClock = createTestClock();
    const verifier = verifierFor(
      { credentials: { adminToken: ADMIN_TOKEN }, revocationMaxAge: 30, timeout: 1, clock },
      other,
    );
    const revoked = await mint('erin', other);
    const good = await mint('erin', other);
    await admin(other.url, 'DELETE', `/admin/sessions/${revoked.sessionId}`);
    await pollsPass(verifier, 2);
    expect(await codeOf(verifier.verify(revoked.accessToken))).toBe('revoked');
    await other.kill9();
    await expect
      .poll(() => verifier.status().feed?.failures ?? 0, { timeout: 20_000, interval: 50 })
      .toBeGreaterThanOrEqual(1);
    clock.advance(29);
    expect(await codeOf(verifier.verify(revoked.accessToken))).toBe('revoked');
    await expect(verifier.verify(good.accessToken)).resolves.toMatchObject({ sub: 'erin' });
    clock.advance(2);
    expect(await codeOf(verifier.verify(good.accessToken))).toBe('unavailable');
  });
});
