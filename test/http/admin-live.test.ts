import { request, type IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/core/clock.js';
import type { NewSecurityEvent } from '../../src/core/security-events.js';
import type { Store } from '../../src/core/store.js';
import type { TokenService } from '../../src/core/token-service.js';
import { createApp, type AppOptions } from '../../src/http/app.js';
import { createEventStream } from '../../src/http/event-stream.js';
import { EVENT_STREAM_BACKLOG, MAX_EVENT_STREAMS } from '../../src/http/faces/admin-live.js';
import { createMetrics } from '../../src/http/metrics.js';
import { createMemoryStore } from '../../src/stores/memory/memory-store.js';
import { ADMIN_TOKEN, createTestService, T0 } from '../helpers/service.js';

// The live admin endpoints: the security event stream (server-sent events over a real socket),
// the per-minute refresh stats, and PATCH /admin/clients/:id.

let app: FastifyInstance | undefined;
let service: TokenService;
let clock: ManualClock;
let store: Store;
let url: string;
const readers: ReadableStreamDefaultReader<Uint8Array>[] = [];

async function start(options: Partial<AppOptions> = {}, openStore = createMemoryStore) {
  ({ service, clock, store } = await createTestService({ store: openStore() }));
  app = await createApp({ service, logger: false, metrics: createMetrics({ clock }), ...options });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
}

afterEach(async () => {
  for (const reader of readers.splice(0)) await reader.cancel().catch(() => undefined);
  await app?.close();
  await service?.close();
  app = undefined;
});

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

const event = (overrides: Partial<NewSecurityEvent> = {}): NewSecurityEvent => ({
  type: 'session.revoked',
  at: T0,
  sessionId: 'ses_x',
  subject: 'alice',
  clientId: 'default',
  ip: null,
  detail: 'admin',
  ...overrides,
});

interface Message {
  id: string | undefined;
  event: string;
  data: unknown;
}

/** An open event stream, read message by message. */
async function openStream(
  query = '',
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; next: (timeoutMs?: number) => Promise<Message> }> {
  const response = await fetch(`${url}/admin/events/stream${query}`, {
    headers: { ...auth, ...headers },
  });
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  readers.push(reader);
  const decoder = new TextDecoder();
  let buffer = '';
  const next = async (timeoutMs = 5000): Promise<Message> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const lines = block.split('\n').filter((line) => !line.startsWith(':'));
        const field = (name: string) =>
          lines.find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2);
        const data = field('data');
        if (data === undefined) continue;
        return { id: field('id'), event: field('event') ?? 'message', data: JSON.parse(data) };
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no event in time');
      const chunk = await Promise.race([
        reader.read(),
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error('no event in time')), left),
        ),
      ]);
      if (chunk.done) throw new Error('the stream ended');
      buffer += decoder.decode(chunk.value, { stream: true });
    }
  };
  return { status: response.status, headers: response.headers, next };
}

/**
 * A stream opened with node:http, for tests that hang up: fetch's abort leaves a spare idle
 * connection behind (undici), which would hold the server's close.
 */
async function openRaw(): Promise<{ status: number; hangUp: () => void }> {
  const outgoing = request(`${url}/admin/events/stream`, { headers: auth });
  outgoing.end();
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    outgoing.once('response', resolve).once('error', reject);
  });
  await new Promise((resolve) => response.once('data', resolve));
  return { status: response.statusCode ?? 0, hangUp: () => outgoing.destroy() };
}

async function allEvents(): Promise<{ id: number; type: string }[]> {
  return service.listEvents({ limit: 500 });
}

describe('GET /admin/events/stream', () => {
  it('resumes after Last-Event-ID, sending each event as id, event type and JSON data', async () => {
    await start();
    for (const subject of ['a', 'b', 'c']) await store.appendEvent(event({ subject }));
    const [first, second, third] = await allEvents();
    const stream = await openStream('', { 'last-event-id': String(first?.id) });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(stream.headers.get('cache-control')).toBe('no-store');
    const one = await stream.next();
    const two = await stream.next();
    expect([one.id, two.id]).toEqual([String(second?.id), String(third?.id)]);
    expect(one.event).toBe('session.revoked');
    expect(one.data).toEqual(second);
    expect(two.data).toMatchObject({ subject: 'c', type: 'session.revoked' });
  });

  it('follows new events, also those another instance wrote to the shared store', async () => {
    await start();
    const stream = await openStream();
    // Straight into the store, as another instance would: only the polling can see it.
    await store.appendEvent(event({ subject: 'bob', type: 'refresh_token.reused' }));
    const message = await stream.next(3000);
    expect(message.event).toBe('refresh_token.reused');
    expect(message.data).toMatchObject({ subject: 'bob' });
    // And events this instance records itself.
    await service.rotateKeys();
    expect((await stream.next(3000)).event).toBe('key.rotated');
  });

  it(`starts without Last-Event-ID at the newest ${EVENT_STREAM_BACKLOG} events`, async () => {
    await start();
    for (let index = 0; index < EVENT_STREAM_BACKLOG + 30; index++)
      await store.appendEvent(event({ detail: `n${index}` }));
    const events = await allEvents();
    const stream = await openStream();
    const first = await stream.next();
    expect(Number(first.id)).toBe((events.at(-EVENT_STREAM_BACKLOG) as { id: number }).id);
    let last = first;
    for (let index = 1; index < EVENT_STREAM_BACKLOG; index++) last = await stream.next();
    expect(Number(last.id)).toBe(events.at(-1)?.id);
  });

  it('filters by type in the store and by subject and client in the face', async () => {
    await start();
    await store.appendEvent(event({ subject: 'alice', clientId: 'web' }));
    await store.appendEvent(event({ subject: 'bob', clientId: 'web' }));
    await store.appendEvent(event({ subject: 'alice', clientId: 'app' }));
    await store.appendEvent(event({ subject: 'alice', clientId: 'web', type: 'refresh.failed' }));
    await store.appendEvent(event({ subject: 'alice', clientId: 'web', detail: 'the one' }));
    const stream = await openStream('?type=session.revoked&subject=alice&clientId=web');
    expect((await stream.next()).data).toMatchObject({ subject: 'alice', clientId: 'web' });
    expect((await stream.next()).data).toMatchObject({ detail: 'the one' });
    await store.appendEvent(event({ subject: 'carol', clientId: 'web' }));
    await store.appendEvent(event({ subject: 'alice', clientId: 'web', detail: 'live' }));
    expect((await stream.next(3000)).data).toMatchObject({ detail: 'live' });
  });

  it('is not cut off by the request timeouts, which bound only the arrival of a request', async () => {
    await start({ timeouts: { headersTtl: 1, requestTtl: 1, keepAliveTtl: 1 } });
    const stream = await openStream();
    // Longer than every timeout, with Node's check of them running every second.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    await store.appendEvent(event({ detail: 'late' }));
    expect((await stream.next(3000)).data).toMatchObject({ detail: 'late' });
  });

  it('ends open streams when the server closes, instead of holding the close', async () => {
    await start();
    const response = await fetch(`${url}/admin/events/stream`, { headers: auth });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    await (app as FastifyInstance).close();
    app = undefined;
    let done = false;
    while (!done) done = (await reader.read()).done;
    expect(done).toBe(true);
  });

  it('stops reading the store once the reader has gone', async () => {
    const inner = createMemoryStore();
    let reads = 0;
    await start({}, () => ({
      ...inner,
      listEvents: (query) => {
        reads++;
        return inner.listEvents(query);
      },
    }));
    const stream = await openRaw();
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(reads).toBeGreaterThan(0);
    stream.hangUp();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const after = reads;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(reads).toBe(after);
  });

  it(`answers 429 beyond ${MAX_EVENT_STREAMS} open streams, and serves again once one closes`, async () => {
    await start();
    const streams: { status: number; hangUp: () => void }[] = [];
    for (let index = 0; index < MAX_EVENT_STREAMS; index++) streams.push(await openRaw());
    expect(streams.every((stream) => stream.status === 200)).toBe(true);
    const refused = await fetch(`${url}/admin/events/stream`, { headers: auth });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('15');
    expect(await refused.json()).toMatchObject({ code: 'ERR_RATE_LIMITED' });
    streams[0]?.hangUp();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const again = await openRaw();
    expect(again.status).toBe(200);
    for (const stream of [...streams, again]) stream.hangUp();
  });

  it.each<[string, number, string, Record<string, string>]>([
    ['no admin token', 401, '', {}],
    ['a wrong admin token', 401, '', { authorization: 'Bearer nope' }],
    ['a Last-Event-ID that is not a number', 400, '', { 'last-event-id': 'abc' }],
    ['an unknown type', 400, '?type=nope', {}],
    ['an unknown parameter', 400, '?after=3', {}],
    ['an empty subject', 400, '?subject=', {}],
    ['a subject of 256 characters', 400, `?subject=${'s'.repeat(256)}`, {}],
  ])('answers %s with %i, in the admin error format', async (_name, status, query, headers) => {
    await start();
    const response = await (app as FastifyInstance).inject({
      method: 'GET',
      url: `/admin/events/stream${query}`,
      headers: { ...(status === 401 && !('authorization' in headers) ? {} : auth), ...headers },
    });
    expect(response.statusCode).toBe(status);
    expect(response.json()).toMatchObject({ code: expect.stringMatching(/^ERR_/) as unknown });
  });

  it('takes an empty Last-Event-ID as none, as EventSource may send it', async () => {
    await start();
    await store.appendEvent(event({ detail: 'only' }));
    const stream = await openStream('', { 'last-event-id': '' });
    expect((await stream.next()).data).toMatchObject({ detail: 'only' });
  });
});

describe('the event stream itself', () => {
  it('sends a heartbeat comment when nothing happens, and nothing after stop', async () => {
    const stream = createEventStream({
      afterId: 0,
      list: async () => [],
      keep: () => true,
      pollMs: 10,
      heartbeatMs: 30,
    });
    const chunks: string[] = [];
    stream.body.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
    await new Promise((resolve) => setTimeout(resolve, 100));
    stream.stop();
    const text = chunks.join('');
    expect(text.startsWith('retry: 2000\n')).toBe(true);
    expect(text.match(/: heartbeat\n\n/g)?.length).toBeGreaterThanOrEqual(2);
    const count = chunks.length;
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(chunks.length).toBe(count);
    expect(stream.body.writableEnded).toBe(true);
  });

  it('keeps polling after a store failure, from the same cursor', async () => {
    const seen: number[] = [];
    let calls = 0;
    const stream = createEventStream({
      afterId: 7,
      list: async (afterId) => {
        seen.push(afterId);
        calls++;
        if (calls === 1) throw new Error('store down');
        return calls === 2 ? [{ ...event(), id: 8 }] : [];
      },
      keep: () => true,
      pollMs: 10,
    });
    const chunks: string[] = [];
    stream.body.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
    await new Promise((resolve) => setTimeout(resolve, 80));
    stream.stop();
    expect(seen.slice(0, 3)).toEqual([7, 7, 8]);
    expect(chunks.join('')).toContain('id: 8\nevent: session.revoked\n');
  });
});

describe('GET /admin/stats', () => {
  const get = async () => {
    const response = await (app as FastifyInstance).inject({
      method: 'GET',
      url: '/admin/stats',
      headers: auth,
    });
    expect(response.statusCode).toBe(200);
    return response.json<{
      now: number;
      countingSince: number;
      minutes: ({ at: number } & Record<string, number>)[];
    }>();
  };
  const refresh = (token: string) =>
    (app as FastifyInstance).inject({
      method: 'POST',
      url: '/oauth/token',
      payload: { grant_type: 'refresh_token', refresh_token: token },
    });

  it('counts refreshes per minute by outcome, and reuse detections', async () => {
    await start();
    const issued = await service.issueSession({ subject: 'alice' });
    expect((await refresh(issued.refreshToken)).statusCode).toBe(200);
    expect((await refresh(issued.refreshToken)).statusCode).toBe(200); // a retry in the grace
    clock.advance(11);
    expect((await refresh(issued.refreshToken)).json()).toMatchObject({ reason: 'reused' });
    expect((await refresh('rt_unknown')).statusCode).toBe(400);
    const short = await service.issueSession({ subject: 'bob', refreshTtl: 60, idleTtl: 60 });
    clock.advance(61);
    expect((await refresh(short.refreshToken)).json()).toMatchObject({ reason: 'expired' });

    const stats = await get();
    expect(stats.now).toBe(clock.now());
    expect(stats.minutes).toHaveLength(60);
    const sum = (key: string) =>
      stats.minutes.reduce((total, minute) => total + (minute[key] ?? 0), 0);
    expect({
      ok: sum('ok'),
      replayed: sum('replayed'),
      reused: sum('reused'),
      expired: sum('expired'),
      invalid: sum('invalid'),
      error: sum('error'),
      reuseDetections: sum('reuseDetections'),
    }).toEqual({
      ok: 1,
      replayed: 1,
      reused: 1,
      expired: 1,
      invalid: 1,
      error: 0,
      reuseDetections: 1,
    });
    // The last row is the running minute; the rows are whole minutes, oldest first.
    expect(stats.minutes.at(-1)?.at).toBe(Math.floor(clock.now() / 60) * 60);
    expect(stats.minutes.map((minute) => minute.at - (stats.minutes[0]?.at ?? 0))).toEqual(
      stats.minutes.map((_minute, index) => index * 60),
    );
  });

  it('forgets what is more than an hour old', async () => {
    await start();
    const issued = await service.issueSession({ subject: 'alice' });
    await refresh(issued.refreshToken);
    const before = await get();
    expect(before.minutes.at(-1)?.ok).toBe(1);
    clock.advance(30 * 60);
    expect((await get()).minutes.find((minute) => minute.ok === 1)).toBeDefined();
    clock.advance(31 * 60);
    const after = await get();
    expect(after.minutes.every((minute) => minute.ok === 0)).toBe(true);
    // A row written again an hour later holds only the new minute.
    const next = await service.issueSession({ subject: 'bob' });
    await refresh(next.refreshToken);
    expect((await get()).minutes.reduce((total, minute) => total + (minute.ok ?? 0), 0)).toBe(1);
  });

  it('counts a refresh the store could not answer as an error', async () => {
    await start();
    const issued = await service.issueSession({ subject: 'alice' });
    await store.close();
    expect((await refresh(issued.refreshToken)).statusCode).toBe(503);
    const last = (await get()).minutes.at(-1);
    expect(last).toMatchObject({ error: 1, invalid: 0, ok: 0 });
  });

  it('answers 401 without the admin token', async () => {
    await start();
    const response = await (app as FastifyInstance).inject({ method: 'GET', url: '/admin/stats' });
    expect(response.statusCode).toBe(401);
  });
});

describe('PATCH /admin/clients/:id', () => {
  const patch = (id: string, payload: unknown, headers: Record<string, string> = {}) =>
    (app as FastifyInstance).inject({
      method: 'PATCH',
      url: `/admin/clients/${id}`,
      headers: { ...auth, ...headers },
      payload: payload as string,
    });

  it('changes the named settings only and keeps the secret', async () => {
    await start();
    const { clientSecret } = await service.createClient({
      id: 'web',
      confidential: true,
      refreshTtl: 3600,
      allowedOrigins: ['https://app.example.com'],
    });
    const response = await patch('web', { accessTtl: 300, dialects: ['adid'], rotate: false });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      client: expect.objectContaining({
        id: 'web',
        confidential: true,
        accessTtl: 300,
        refreshTtl: 3600,
        rotate: false,
        dialects: ['adid'],
        allowedOrigins: ['https://app.example.com'],
      }) as unknown,
    });
    await expect(
      service.authenticateClient({ clientId: 'web', clientSecret: clientSecret as string }),
    ).resolves.toEqual({ id: 'web', authenticated: true });
    const minted = await service.issueSession({ subject: 'alice', clientId: 'web' });
    expect(minted.expiresIn).toBe(300);
  });

  it('returns a setting to the service default with null', async () => {
    await start();
    await service.createClient({ id: 'web', accessTtl: 60, allowedOrigins: ['https://a.example'] });
    const response = await patch('web', { accessTtl: null, allowedOrigins: null });
    expect(response.json()).toMatchObject({ client: { accessTtl: null, allowedOrigins: null } });
    const minted = await service.issueSession({ subject: 'alice', clientId: 'web' });
    expect(minted.expiresIn).toBe(service.options.accessTtl);
  });

  it('records a client.created event with detail updated', async () => {
    await start();
    await patch('default', { reuseGrace: 2 });
    const events = await service.listEvents({ limit: 10, type: 'client.created' });
    expect(events.at(-1)).toMatchObject({ clientId: 'default', detail: 'updated' });
  });

  it('normalises like POST /admin/clients does', async () => {
    await start();
    const response = await patch('default', { allowedOrigins: ['HTTPS://App.Example.com:443'] });
    expect(response.json()).toMatchObject({
      client: { allowedOrigins: ['https://app.example.com'] },
    });
  });

  it('answers 404 for an unknown client', async () => {
    await start();
    const response = await patch('nobody', { accessTtl: 60 });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'ERR_NOT_FOUND' });
  });

  it.each<[string, unknown]>([
    ['an empty change', {}],
    ['an unknown setting', { confidential: true }],
    ['a zero lifetime', { accessTtl: 0 }],
    ['a fractional lifetime', { idleTtl: 1.5 }],
    ['a lifetime as a string', { accessTtl: '60' }],
    ['a lifetime beyond the maximum', { refreshTtl: 10 ** 12 }],
    ['a negative reuse grace', { reuseGrace: -1 }],
    ['rotate as a string', { rotate: 'yes' }],
    ['an empty audience', { audience: '' }],
    ['an unknown dialect', { dialects: ['nope'] }],
    ['dialects as a string', { dialects: 'adid' }],
    ['an origin with a path', { allowedOrigins: ['https://a.example/path'] }],
    ['a wildcard origin', { allowedOrigins: ['*'] }],
    ['an array body', [{ accessTtl: 60 }]],
    ['a JSON string body', '"accessTtl"'],
    ['null', 'null'],
  ])('answers %s with 400, never 500', async (_name, body) => {
    await start();
    const response = await patch(
      'default',
      typeof body === 'string' ? body : JSON.stringify(body),
      { 'content-type': 'application/json' },
    );
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'ERR_INVALID_REQUEST' });
  });

  it('answers malformed, oversized and non-JSON bodies with 4xx', async () => {
    await start();
    const json = { 'content-type': 'application/json' };
    expect((await patch('default', '{"accessTtl":', json)).statusCode).toBe(400);
    expect(
      (await patch('default', JSON.stringify({ audience: 'a'.repeat(20_000) }), json)).statusCode,
    ).toBe(413);
    expect(
      (await patch('default', 'accessTtl=60', { 'content-type': 'text/plain' })).statusCode,
    ).toBe(415);
    expect((await patch('x'.repeat(300), JSON.stringify({ accessTtl: 60 }), json)).statusCode).toBe(
      400,
    );
    expect(
      (await patch('default', JSON.stringify({ accessTtl: 60 }), { authorization: '' })).statusCode,
    ).toBe(401);
  });
});
