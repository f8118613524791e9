import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTokenClient } from '../../src/client/index.js';
import {
  cleanupServers,
  mintSession,
  startServer,
  type ServerProcess,
} from '../helpers/server-process.js';
import { startBatonProxy, type BatonProxy } from './baton-proxy.js';

// Timers alone are not trusted: a page that wakes (visible again, back from the cache, online,
// resumed after a freeze) checks the expiry at once. Node has no document or window, so the test
// gives it event targets of its own.

let server: ServerProcess;
let proxy: BatonProxy;
const globals = globalThis as unknown as Record<string, unknown>;

beforeAll(async () => {
  server = await startServer({ BATON_RATE_LIMIT_IP: '0' });
  proxy = await startBatonProxy(server.url);
}, 60_000);

afterEach(() => {
  delete globals.document;
  delete globals.addEventListener;
  delete globals.removeEventListener;
});

afterAll(async () => {
  await proxy.close();
  await cleanupServers();
});

const refreshes = (): number => proxy.to('/oauth/token').length;

function testClock(): { now(): number; skip(seconds: number): void } {
  let offset = 0;
  return { now: () => Date.now() + offset, skip: (seconds) => void (offset += seconds * 1000) };
}

describe('waking up', () => {
  it.each([
    ['document', 'visibilitychange'],
    ['document', 'resume'],
    ['window', 'pageshow'],
    ['window', 'online'],
  ])('a %s %s event refreshes an expired token without waiting for its timer', async (on, type) => {
    const target = new EventTarget();
    if (on === 'document') globals.document = target;
    else {
      globals.addEventListener = target.addEventListener.bind(target);
      globals.removeEventListener = target.removeEventListener.bind(target);
    }
    const minted = await mintSession(server.url, { subject: `wake-${type}` });
    const clock = testClock();
    const client = createTokenClient({
      baseUrl: proxy.url,
      clientId: 'default',
      clock,
      tokens: { ...minted, expiresIn: 900 },
    });
    expect(await client.getAccessToken()).toBe(minted.accessToken);
    const before = refreshes();
    clock.skip(3600); // the laptop slept; the timer set for 14 minutes of real time has not fired
    target.dispatchEvent(new Event(type));
    await expect.poll(refreshes).toBe(before + 1);
    const fresh = await client.getAccessToken();
    expect(fresh).not.toBe(minted.accessToken);
    expect(refreshes()).toBe(before + 1);

    client.close();
    clock.skip(3600);
    target.dispatchEvent(new Event(type)); // a closed client listens no more
    expect(await client.getAccessToken()).not.toBe(fresh); // (it still refreshes when asked)
    expect(refreshes()).toBe(before + 2);
  });

  it('refreshes ahead of expiry on its own timer, without being called', async () => {
    const minted = await mintSession(server.url, { subject: 'wake-timer', accessTtl: 3 });
    const told: string[] = [];
    const client = createTokenClient({
      baseUrl: proxy.url,
      clientId: 'default',
      refreshSkew: 1,
      tokens: { ...minted, expiresIn: 3 },
      onTokens: (tokens) => told.push(tokens.accessToken),
    });
    const before = refreshes();
    await expect.poll(refreshes, { timeout: 10_000 }).toBeGreaterThan(before);
    await expect.poll(() => told.length).toBeGreaterThanOrEqual(1);
    // On a slow machine the timer may already have refreshed again: the latest token is handed out.
    expect(told).toContain(await client.getAccessToken());
    client.close();
  });

  it('waits for the rest when its timer fires before the clock says the token is due', async () => {
    const minted = await mintSession(server.url, { subject: 'wake-early', accessTtl: 3 });
    // A clock that stands still at first: the timer set for the refresh fires while this clock
    // still says the token is not due.
    const frozenAt = Date.now();
    let frozen = true;
    const clock = { now: () => (frozen ? frozenAt : Date.now()) };
    const client = createTokenClient({
      baseUrl: proxy.url,
      clientId: 'default',
      refreshSkew: 1,
      clock,
      tokens: { ...minted, expiresIn: 3 },
    });
    const before = refreshes();
    await new Promise((resolve) => setTimeout(resolve, 2_500)); // past the timer (2 s)
    expect(refreshes()).toBe(before);
    frozen = false; // now the token is due: the rescheduled timer refreshes it
    await expect.poll(refreshes, { timeout: 6_000 }).toBeGreaterThan(before);
    client.close();
  });
});
