import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/core/clock.js';
import type { Store } from '../../src/core/store.js';
import type { TokenService } from '../../src/core/token-service.js';
import { createApp } from '../../src/http/app.js';
import { startServer, type RunningServer } from '../../src/http/server.js';
import { ADMIN_TOKEN, createTestService } from '../helpers/service.js';

// What an operator reads off /metrics: requests by route and status, rate-limit rejections by
// budget, security events by type, store errors, and the live sessions the sweeper counted.

let app: FastifyInstance | undefined;
let server: RunningServer | undefined;
let service: TokenService;
let store: Store;
let clock: ManualClock;

afterEach(async () => {
  await app?.close();
  await server?.close();
  app = undefined;
  server = undefined;
});

async function start(): Promise<FastifyInstance> {
  ({ service, store, clock } = await createTestService({
    rateLimit: { ipFailures: 1, sessionFailures: 0, windowTtl: 60 },
  }));
  app = await createApp({ service, logger: false });
  return app;
}

async function metrics(target: FastifyInstance): Promise<string> {
  return (await target.inject({ method: 'GET', url: '/metrics' })).body;
}

/** The value of one sample line, e.g. `value(text, 'baton_x_total{a="b"}')`; 0 when absent. */
function value(text: string, sample: string): number {
  const line = text.split('\n').find((each) => each.startsWith(`${sample} `));
  return line === undefined ? 0 : Number(line.slice(sample.length + 1));
}

const refresh = (target: FastifyInstance, token: string) =>
  target.inject({
    method: 'POST',
    url: '/oauth/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: `grant_type=refresh_token&refresh_token=${token}`,
  });

describe('/metrics', () => {
  it('counts requests by route pattern, method and status; unknown paths as unmatched', async () => {
    const target = await start();
    const issued = await service.issueSession({ subject: 'alice' });
    expect((await refresh(target, issued.refreshToken)).statusCode).toBe(200);
    await target.inject({
      method: 'GET',
      url: `/admin/sessions/${issued.sessionId}`,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    for (const path of ['/nope-1', '/nope-2']) await target.inject({ method: 'GET', url: path });
    const text = await metrics(target);
    expect(
      value(text, 'baton_http_requests_total{route="/oauth/token",method="POST",status="200"}'),
    ).toBe(1);
    expect(
      value(
        text,
        'baton_http_requests_total{route="/admin/sessions/:id",method="GET",status="200"}',
      ),
    ).toBe(1);
    expect(
      value(text, 'baton_http_requests_total{route="unmatched",method="GET",status="404"}'),
    ).toBe(2);
    expect(text).not.toContain('/nope-1');
  });

  it('counts rate-limit rejections by budget, security events by type, and store errors', async () => {
    const target = await start();
    const issued = await service.issueSession({ subject: 'alice' });
    await refresh(target, 'rt_junk');
    expect((await refresh(target, 'rt_junk')).statusCode).toBe(429);
    for (let i = 0; i < 2; i++) {
      await target.inject({
        method: 'GET',
        url: '/admin/keys',
        headers: { authorization: 'Bearer wrong-token-0123456789abcdef0123456789' },
      });
    }
    await service.refresh({ refreshToken: issued.refreshToken });
    clock.advance(11);
    await refresh(target, issued.refreshToken); // reuse: the session is revoked
    let text = await metrics(target);
    expect(value(text, 'baton_rate_limited_total{budget="refresh"}')).toBe(1);
    expect(value(text, 'baton_rate_limited_total{budget="admin"}')).toBe(1);
    expect(value(text, 'baton_security_events_total{type="refresh_token.reused"}')).toBe(1);
    expect(value(text, 'baton_store_errors_total')).toBe(0);
    await store.close();
    // A token of the right shape needs the store to be told from junk: 503, not a limit.
    expect((await refresh(target, `rt_${'A'.repeat(65)}`)).statusCode).toBe(503);
    text = await metrics(target);
    expect(value(text, 'baton_store_errors_total')).toBe(1);
  });

  it('shows the live sessions the sweeper counted', async () => {
    ({ service, store, clock } = await createTestService());
    await service.issueSession({ subject: 'alice' });
    await service.issueSession({ subject: 'bob' });
    const ended = await service.issueSession({ subject: 'carol' });
    await service.revokeSession(ended.sessionId, 'admin');
    server = await startServer({ service, host: '127.0.0.1', port: 0, logger: false });
    const read = async () =>
      value(await (await fetch(`${server!.url}/metrics`)).text(), 'baton_live_sessions');
    await expect.poll(read, { timeout: 5000 }).toBe(2);
  });
});
