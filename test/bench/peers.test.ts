import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAllServers, peerCommand, startServerProcess } from '../../bench/server-process.js';
import type { ServerProcess } from '../../bench/server-process.js';
import { freePort } from '../helpers/server-process.js';

const ADMIN_TOKEN = 'peer-admin-token-0123456789abcdef0123456789';

// A failed start or an aborted run must not leave a peer behind.
afterAll(() => killAllServers());

interface TokenAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** The peers of the refresh benchmark, each as the bench starts it. */
describe.each(['peer-oidc-provider', 'peer-floor'])('%s', (scenario) => {
  let server: ServerProcess;

  beforeAll(async () => {
    server = await startServerProcess({
      command: peerCommand(scenario),
      port: await freePort(),
      store: 'memory:',
      adminToken: ADMIN_TOKEN,
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  /** A chain's first refresh token, minted as the bench mints it. */
  async function mint(subject: string): Promise<string> {
    const response = await fetch(`${server.url}/admin/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ subject }),
    });
    const body = (await response.json()) as { refreshToken?: unknown };
    expect(response.status).toBe(201);
    expect(typeof body.refreshToken).toBe('string');
    return body.refreshToken as string;
  }

  /** `POST /oauth/token` exactly as the bench's wire sends it. */
  async function refresh(token: string): Promise<TokenAnswer> {
    const response = await fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=refresh_token&refresh_token=${encodeURIComponent(token)}&client_id=bench`,
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it('refuses to mint without the admin token', async () => {
    const response = await fetch(`${server.url}/admin/sessions`, {
      method: 'POST',
      headers: { authorization: 'Bearer wrong', 'content-type': 'application/json' },
      body: JSON.stringify({ subject: 'mallory' }),
    });
    expect(response.status).toBe(401);
  });

  it('rotates: the returned token refreshes again, the presented one is refused', async () => {
    const first = await mint('alice');
    const one = await refresh(first);
    expect(one.status).toBe(200);
    const second = one.body.refresh_token;
    expect(typeof second).toBe('string');
    expect(second).not.toBe(first);

    const two = await refresh(second as string);
    expect(two.status).toBe(200);
    expect(two.body.refresh_token).not.toBe(second);

    const reused = await refresh(first);
    expect(reused.status).toBe(400);
    expect(reused.body.error).toBe('invalid_grant');
  });

  it('answers an Ed25519-signed JWT access token for the subject', async () => {
    const answer = await refresh(await mint('bob'));
    expect(answer.status).toBe(200);
    expect(answer.body.token_type).toBe('Bearer');
    const accessToken = answer.body.access_token as string;
    expect(decodeProtectedHeader(accessToken).alg).toBe('EdDSA');
    const keys = createRemoteJWKSet(new URL(`${server.url}/jwks`));
    const { payload } = await jwtVerify(accessToken, keys, { algorithms: ['EdDSA'] });
    expect(payload.sub).toBe('bob');
    expect(typeof payload.jti).toBe('string');
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(900);
  });

  it('refuses a token it never issued', async () => {
    const answer = await refresh('not-a-token-of-this-server');
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_grant');
  });
});

describe('peer-oidc-provider reuse detection', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    server = await startServerProcess({
      command: peerCommand('peer-oidc-provider'),
      port: await freePort(),
      store: 'memory:',
      adminToken: ADMIN_TOKEN,
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('revokes the grant when a rotated token comes back: its newest token is refused too', async () => {
    const post = async (path: string, body: string, headers: Record<string, string>) => {
      const response = await fetch(`${server.url}${path}`, { method: 'POST', headers, body });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const minted = await post('/admin/sessions', JSON.stringify({ subject: 'carol' }), {
      authorization: `Bearer ${ADMIN_TOKEN}`,
      'content-type': 'application/json',
    });
    const first = minted.body.refreshToken as string;
    const one = await post(
      '/oauth/token',
      `grant_type=refresh_token&refresh_token=${first}&client_id=bench`,
      form,
    );
    expect(one.status).toBe(200);
    const newest = one.body.refresh_token as string;
    const reuse = await post(
      '/oauth/token',
      `grant_type=refresh_token&refresh_token=${first}&client_id=bench`,
      form,
    );
    expect(reuse.status).toBe(400);
    const after = await post(
      '/oauth/token',
      `grant_type=refresh_token&refresh_token=${newest}&client_id=bench`,
      form,
    );
    expect(after.status).toBe(400);
    expect(after.body.error).toBe('invalid_grant');
  });
});
