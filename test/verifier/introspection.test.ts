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
 * `checkRevocation: 'introspect'` against a real Baton: every token is asked about when first
 * seen, so revocations and refreshes are caught at once; active answers are reused only for
 * `introspectionCacheTtl`.
 */

const AUDIENCE = 'orders-api';
let server: ServerProcess;
let credentials: VerifierCredentials;
const verifiers: Verifier[] = [];

beforeAll(async () => {
  server = await startServer();
  // The application's client issues tokens for the API; the API is a confidential client whose
  // id is that audience, so it may ask about them.
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

function verifierFor(options: Partial<VerifierOptions> = {}, clock: TestClock = createTestClock()) {
  const verifier = createVerifier({
    issuer: server.url,
    audience: AUDIENCE,
    checkRevocation: 'introspect',
    credentials,
    clock,
    ...options,
  });
  verifiers.push(verifier);
  return verifier;
}

const mint = () => mintSession(server.url, { subject: 'alice', clientId: 'web' });

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

describe('introspection', () => {
  it('accepts an active token and reuses the answer within the cache time', async () => {
    const clock = createTestClock();
    const verifier = verifierFor({ introspectionCacheTtl: 2 }, clock);
    const { accessToken } = await mint();
    await Promise.all([1, 2, 3].map(() => verifier.verify(accessToken)));
    expect(verifier.status().introspection?.requests).toBe(1);
    clock.advance(1.9);
    await verifier.verify(accessToken);
    expect(verifier.status().introspection?.requests).toBe(1);
    clock.advance(0.2);
    await verifier.verify(accessToken);
    expect(verifier.status().introspection?.requests).toBe(2);
  });

  it('refuses a token of a revoked session at once when it was not seen before', async () => {
    const verifier = verifierFor();
    const minted = await mint();
    const revoked = await admin(server.url, 'DELETE', `/admin/sessions/${minted.sessionId}`);
    expect(revoked.status).toBe(200);
    expect(await codeOf(verifier.verify(minted.accessToken))).toBe('revoked');
    expect(verifier.status().introspection?.requests).toBe(1);
  });

  it('refuses a token it accepted once the cached answer is older than the cache time', async () => {
    const clock = createTestClock();
    const verifier = verifierFor({ introspectionCacheTtl: 2 }, clock);
    const minted = await mint();
    await verifier.verify(minted.accessToken);
    await admin(server.url, 'DELETE', `/admin/sessions/${minted.sessionId}`);
    await expect(verifier.verify(minted.accessToken)).resolves.toMatchObject({ sub: 'alice' });
    clock.advance(2);
    expect(await codeOf(verifier.verify(minted.accessToken))).toBe('revoked');
  });

  it('with introspectionCacheTtl 0, refuses a revoked token on the very next verification', async () => {
    const verifier = verifierFor({ introspectionCacheTtl: 0 });
    const minted = await mint();
    await verifier.verify(minted.accessToken);
    await admin(server.url, 'DELETE', `/admin/sessions/${minted.sessionId}`);
    expect(await codeOf(verifier.verify(minted.accessToken))).toBe('revoked');
  });

  it('refuses the access token a refresh replaced', async () => {
    const verifier = verifierFor({ introspectionCacheTtl: 0 });
    const minted = await mint();
    await verifier.verify(minted.accessToken);
    const refreshed = (await refreshAt(server.url, minted.refreshToken)).json as TokenResponse;
    await expect(verifier.verify(refreshed.access_token)).resolves.toMatchObject({ gen: 1 });
    expect(await codeOf(verifier.verify(minted.accessToken))).toBe('revoked');
  });

  it('remembers an inactive answer: a refused token is not asked about again', async () => {
    const verifier = verifierFor();
    const minted = await mint();
    await admin(server.url, 'DELETE', `/admin/sessions/${minted.sessionId}`);
    expect(await codeOf(verifier.verify(minted.accessToken))).toBe('revoked');
    const requests = verifier.status().introspection?.requests;
    expect(await codeOf(verifier.verify(minted.accessToken))).toBe('revoked');
    expect(verifier.status().introspection?.requests).toBe(requests);
  });

  it('does not ask about a token that fails its signature', async () => {
    const verifier = verifierFor();
    const { accessToken } = await mint();
    const [header, payload] = accessToken.split('.');
    expect(await codeOf(verifier.verify(`${header}.${payload}.AAAA`))).toBe('bad_signature');
    expect(verifier.status().introspection?.requests).toBe(0);
  });
});

describe('credentials', () => {
  it('authenticates with the admin token as Bearer', async () => {
    const verifier = verifierFor({ credentials: { adminToken: ADMIN_TOKEN } });
    await expect(verifier.verify((await mint()).accessToken)).resolves.toMatchObject({
      sub: 'alice',
    });
  });

  it('form-encodes the client id and secret inside HTTP Basic (RFC 6749 §2.3.1)', async () => {
    // "~" is form-encoded as %7E: Baton only finds the client if it decodes what was sent.
    await admin(server.url, 'POST', '/admin/clients', { id: 'web-2', audience: 'api~2' });
    const created = await admin(server.url, 'POST', '/admin/clients', {
      id: 'api~2',
      confidential: true,
    });
    const secret = (created.json as { clientSecret: string }).clientSecret;
    const verifier = verifierFor({
      audience: 'api~2',
      credentials: { clientId: 'api~2', clientSecret: secret },
    });
    const { accessToken } = await mintSession(server.url, { subject: 'erin', clientId: 'web-2' });
    await expect(verifier.verify(accessToken)).resolves.toMatchObject({ sub: 'erin' });
  });

  it('sees only the tokens of its own audience: another API’s token is inactive for it', async () => {
    await admin(server.url, 'POST', '/admin/clients', { id: 'web-3', audience: 'billing-api' });
    const { accessToken } = await mintSession(server.url, { subject: 'frank', clientId: 'web-3' });
    // The audience check passes (the verifier accepts billing-api), but Baton tells this client
    // nothing about a token that is not its own.
    const verifier = verifierFor({ audience: ['billing-api', AUDIENCE] });
    expect(await codeOf(verifier.verify(accessToken))).toBe('revoked');
  });

  it('refuses with unavailable when Baton refuses the credentials, and leaks no secret', async () => {
    const verifier = verifierFor({
      credentials: { clientId: AUDIENCE, clientSecret: 'cs_wrong-secret-value' },
    });
    const { accessToken } = await mint();
    const error = await verifier.verify(accessToken).then(
      () => undefined,
      (e: unknown) => e as { code: string; message: string; detail?: string },
    );
    expect(error?.code).toBe('unavailable');
    expect(error?.detail).toMatch(/answered 401/);
    const text = `${error?.message} ${error?.detail} ${JSON.stringify(error)}`;
    expect(text).not.toContain('cs_wrong-secret-value');
    expect(text).not.toContain(accessToken);
  });
});

describe('outage', () => {
  it('refuses with unavailable when introspection cannot be reached', async () => {
    const other = await startServer();
    const verifier = createVerifier({
      issuer: other.url,
      checkRevocation: 'introspect',
      credentials: { adminToken: ADMIN_TOKEN },
      timeout: 1,
    });
    verifiers.push(verifier);
    const first = await mintSession(other.url);
    const second = await mintSession(other.url);
    await verifier.verify(first.accessToken);
    await other.kill9();
    expect(await codeOf(verifier.verify(second.accessToken))).toBe('unavailable');
  });
});
