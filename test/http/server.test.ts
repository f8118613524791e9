import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/clock.js';
import type { NewSecurityEvent } from '../../src/core/security-events.js';
import { startServer, type RunningServer } from '../../src/http/server.js';
import { createWebhookSink, SIGNATURE_HEADER, signWebhook } from '../../src/http/webhook-sink.js';
import { createTestService, T0 } from '../helpers/service.js';

const quietLog = { warn: () => undefined };
const WEBHOOK_SECRET = 'webhook-secret-0123456789abcdef0123456789';
const KEY_ROTATED: NewSecurityEvent = {
  type: 'key.rotated',
  at: T0,
  sessionId: null,
  subject: null,
  clientId: null,
  ip: null,
  detail: 'k',
};

async function body(request: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of request) text += String(chunk);
  return text;
}

describe('server maintenance', () => {
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('sweeps sessions that ended more than a day ago, in the background', async () => {
    const clock = createManualClock(T0);
    const { service } = await createTestService({ clock });
    const ended = await service.issueSession({ subject: 'alice', refreshTtl: 60 });
    const live = await service.issueSession({ subject: 'bob' });
    server = await startServer({
      service,
      host: '127.0.0.1',
      port: 0,
      logger: false,
      sweepIntervalMs: 20,
    });
    clock.advance(60 + 86_400 + 1);
    await expect.poll(() => service.getSession(ended.sessionId), { timeout: 5000 }).toBeUndefined();
    expect(await service.getSession(live.sessionId)).toBeDefined();
  });

  it('answers over a real socket and closes cleanly', async () => {
    const { service } = await createTestService();
    server = await startServer({ service, host: '127.0.0.1', port: 0, logger: false });
    const response = await fetch(`${server.url}/healthz`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
  });
});

describe('webhook sink', () => {
  let receiver: Server | undefined;
  afterEach(async () => {
    await new Promise((resolve) => receiver?.close(resolve) ?? resolve(undefined));
    receiver = undefined;
  });

  async function listen(
    handler: (request: IncomingMessage, payload: string) => number,
  ): Promise<string> {
    receiver = createServer((request, response) => {
      void body(request).then((payload) => response.writeHead(handler(request, payload)).end());
    });
    await new Promise<void>((resolve) => receiver?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(receiver?.address() as AddressInfo).port}/hook`;
  }

  it('POSTs each security event as JSON with the issuer, after the store recorded it', async () => {
    const received: Record<string, unknown>[] = [];
    const url = await listen((request, payload) => {
      expect(request.headers['content-type']).toBe('application/json');
      received.push(JSON.parse(payload) as Record<string, unknown>);
      return 204;
    });
    const events = createWebhookSink({
      url,
      secret: WEBHOOK_SECRET,
      issuer: 'http://baton.test',
      log: quietLog,
    });
    const { service, clock } = await createTestService({ events });
    const issued = await service.issueSession({ subject: 'alice' });
    await service.refresh({ refreshToken: issued.refreshToken, ip: '203.0.113.9' });
    clock.advance(11);
    await expect(service.refresh({ refreshToken: issued.refreshToken })).rejects.toMatchObject({
      code: 'ERR_REFRESH_TOKEN_REUSED',
    });
    await events.drain();
    expect(received).toEqual([
      expect.objectContaining({
        issuer: 'http://baton.test',
        type: 'refresh_token.reused',
        sessionId: issued.sessionId,
        subject: 'alice',
      }),
    ]);
    const stored = await service.listEvents({ type: 'refresh_token.reused', limit: 5 });
    expect(stored).toHaveLength(1);
    await service.close();
  });

  it('retries a failing receiver and gives up after the last attempt without throwing', async () => {
    let calls = 0;
    const url = await listen(() => {
      calls += 1;
      return calls < 2 ? 503 : 200;
    });
    const warnings: unknown[] = [];
    const log = { warn: (...args: unknown[]) => warnings.push(args) };
    const sink = createWebhookSink({
      url,
      secret: WEBHOOK_SECRET,
      issuer: 'i',
      log,
      attempts: 2,
    });
    sink.publish(KEY_ROTATED);
    await sink.drain();
    expect(calls).toBe(2);
    expect(warnings).toEqual([]);

    const failing = createWebhookSink({
      url: 'http://127.0.0.1:9/unreachable',
      secret: WEBHOOK_SECRET,
      issuer: 'i',
      log,
      attempts: 1,
      timeoutMs: 500,
    });
    failing.publish(KEY_ROTATED);
    await failing.drain();
    expect(warnings).toHaveLength(1);
  });

  it('signs every delivery: HMAC-SHA-256 of the timestamp and the raw body, under the secret', async () => {
    const deliveries: { signature: string; payload: string }[] = [];
    const url = await listen((request, payload) => {
      deliveries.push({ signature: String(request.headers[SIGNATURE_HEADER]), payload });
      return 200;
    });
    const sink = createWebhookSink({
      url,
      secret: WEBHOOK_SECRET,
      issuer: 'i',
      log: quietLog,
      now: () => T0 * 1000,
    });
    sink.publish(KEY_ROTATED);
    await sink.drain();
    const [delivery] = deliveries;
    // What a receiver does: recompute over the raw body with the shared secret, compare.
    const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(delivery?.signature ?? '');
    expect(match?.[1]).toBe(String(T0));
    const expected = createHmac('sha256', WEBHOOK_SECRET)
      .update(`${match?.[1]}.${delivery?.payload}`)
      .digest('hex');
    expect(match?.[2]).toBe(expected);
    expect(
      signWebhook('another-secret-0123456789abcdef0123456789', delivery?.payload ?? '', T0),
    ).not.toBe(delivery?.signature);
  });

  it('delivers a reuse alert ahead of a flood of routine events, and never drops it for them', async () => {
    const order: string[] = [];
    const url = await listen((_request, payload) => {
      order.push((JSON.parse(payload) as { type: string }).type);
      return 200;
    });
    const sink = createWebhookSink({
      url,
      secret: WEBHOOK_SECRET,
      issuer: 'i',
      log: quietLog,
      maxQueue: 5,
    });
    const routine = (n: number): NewSecurityEvent => ({
      ...KEY_ROTATED,
      type: 'access_token.revoked',
      detail: `j${n}`,
    });
    sink.publish(routine(0)); // goes out at once
    for (let n = 1; n <= 50; n++) sink.publish(routine(n));
    // Published in the same tick as the flood, while the first delivery is in flight.
    sink.publish({ ...KEY_ROTATED, type: 'refresh_token.reused' });
    await sink.drain();
    // The alert came right after the one in flight; of the flood only the newest five remain.
    expect(order[1]).toBe('refresh_token.reused');
    expect(order.filter((type) => type === 'refresh_token.reused')).toHaveLength(1);
    expect(order.filter((type) => type === 'access_token.revoked')).toHaveLength(6);
  });
});
