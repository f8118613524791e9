import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBenchOptions, type ScenarioName } from '../../bench/options.js';
import {
  compareWithPeers,
  roundOrder,
  serverCpuPerRefresh,
  summarisePeers,
} from '../../bench/peers/rounds.js';
import type { ScenarioResult } from '../../bench/scenario-result.js';
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

describe('the peer rounds', () => {
  const result = (
    scenario: ScenarioName,
    refreshesPerSecond: number,
    server: number,
  ): ScenarioResult => ({
    scenario,
    kind: 'http',
    store: 'memory',
    concurrency: 50,
    elapsed: 10,
    refreshes: refreshesPerSecond * 10,
    refreshesPerSecond,
    latency: {
      samples: refreshesPerSecond * 10,
      mean: 5,
      p50: 5,
      p90: 8,
      p99: 10,
      p999: 15,
      max: 20,
    },
    errors: 0,
    errorKinds: {},
    details: { cpuCores: { machine: 2, bench: 0.5, server, other: 0 } },
  });

  it('rotate the order so that each server runs first, in the middle and last once', () => {
    expect([0, 1, 2].map(roundOrder)).toEqual([
      ['http-sqlite', 'peer-oidc-provider', 'peer-floor'],
      ['peer-oidc-provider', 'peer-floor', 'http-sqlite'],
      ['peer-floor', 'http-sqlite', 'peer-oidc-provider'],
    ]);
  });

  it("read each round as Baton's ratio to each peer and take the median over rounds", () => {
    const round = (n: number, baton: number) => ({
      round: n,
      order: roundOrder(n - 1),
      results: [
        result('http-sqlite', baton, 1),
        result('peer-oidc-provider', 1000, 1),
        result('peer-floor', 4000, 1),
      ],
      ratios: compareWithPeers([
        result('http-sqlite', baton, 1),
        result('peer-oidc-provider', 1000, 1),
        result('peer-floor', 4000, 1),
      ]),
    });
    const summary = summarisePeers([round(1, 2000), round(2, 3000), round(3, 2200)]);
    const oidc = summary.medianRatios.find((ratio) => ratio.peer === 'peer-oidc-provider');
    expect(oidc?.throughput).toBeCloseTo(2.2);
    // Same server CPU at 2,200/s against 1,000/s: Baton spends 1/2.2 per refresh.
    expect(oidc?.cpuPerRefresh).toBeCloseTo(1 / 2.2);
    expect(summary.medianRefreshesPerSecond['http-sqlite']).toBe(2200);
    expect(serverCpuPerRefresh(result('peer-floor', 4000, 1))).toBeCloseTo(250);
  });

  it('are what --only peers selects, with --rounds; a peer alone runs once', () => {
    const peers = parseBenchOptions(['--only', 'peers', '--rounds', '1'], {});
    expect(peers).toMatchObject({ peers: true, rounds: 1, scenarios: [] });
    const floor = parseBenchOptions(['--only', 'peer-floor'], {});
    expect(floor).toMatchObject({ peers: false, rounds: 3, scenarios: ['peer-floor'] });
    expect(() => parseBenchOptions(['--rounds', '0'], {})).toThrow(/rounds/);
  });
});
