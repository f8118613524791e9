import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { TokenService } from '../../src/core/token-service.js';
import { createApp, type AppOptions } from '../../src/http/app.js';
import { createTestService } from '../helpers/service.js';

// Which address rate limits and security events see: X-Forwarded-For counts only when it comes
// from a trusted proxy, so a client cannot pick the IP it is limited or recorded as.

let app: FastifyInstance | undefined;
let service: TokenService;

afterEach(async () => {
  await app?.close();
  await service?.close();
});

async function start(trustProxy: NonNullable<AppOptions['trustProxy']>): Promise<void> {
  ({ service } = await createTestService({
    rateLimit: { ipFailures: 3, sessionFailures: 0, windowTtl: 60 },
  }));
  app = await createApp({ service, logger: false, trustProxy });
}

/** A refresh of a revoked session from `remoteAddress`, claiming `forwardedFor`. */
async function failFrom(remoteAddress: string, forwardedFor?: string): Promise<number> {
  const issued = await service.issueSession({ subject: 'alice' });
  await service.revokeSession(issued.sessionId, 'admin');
  const response = await app!.inject({
    method: 'POST',
    url: '/oauth/token',
    remoteAddress,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor }),
    },
    payload: `grant_type=refresh_token&refresh_token=${issued.refreshToken}`,
  });
  return response.statusCode;
}

async function recordedIps(): Promise<(string | null)[]> {
  return (await service.listEvents({ type: 'refresh.failed', limit: 100 })).map((e) => e.ip);
}

describe('the client IP', () => {
  it('ignores X-Forwarded-For by default: a client cannot choose its IP', async () => {
    await start(false);
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push(await failFrom('203.0.113.9', `198.51.100.${i}`));
    // Rotating the header does not escape the limit.
    expect(statuses).toEqual([400, 400, 400, 429, 429]);
    expect(new Set(await recordedIps())).toEqual(new Set(['203.0.113.9']));
  });

  it("believes X-Forwarded-For only from the configured proxies' addresses", async () => {
    await start(['10.0.0.0/8']);
    await failFrom('10.1.2.3', '198.51.100.7');
    await failFrom('203.0.113.9', '198.51.100.8'); // not a proxy: its own address counts
    expect(await recordedIps()).toEqual(['198.51.100.7', '203.0.113.9']);
  });

  it('with a hop count, takes the address the nearest proxy saw, not what the client wrote', async () => {
    await start(1);
    // The client forged the left-most entry; the proxy appended the address it saw.
    await failFrom('10.9.9.9', '192.0.2.66, 198.51.100.20');
    expect(await recordedIps()).toEqual(['198.51.100.20']);
  });
});
